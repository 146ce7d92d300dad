// Matrix products on row-major arrays for the NN layers, split across the OpenMP threads.
//
// Eigen is built with EIGEN_DONT_PARALLELIZE (the project parallelises outside Eigen), so one Eigen
// GEMM runs on one core. Here the output is cut into one panel per thread along its longer side, and
// each thread runs Eigen's cache-blocked kernel on its panel: no reduction is needed, and transposed
// operands are read in place (Eigen packs them itself), so no transposed copies are ever made.
#pragma once

#include <cstdint>

namespace invgfx {

// C (m×n, row stride ldc) = op(A)·op(B), or C += op(A)·op(B) when `accumulate`.
// op(A) is m×k: A is stored m×k (row stride lda), or k×m when trans_a. Likewise op(B) is k×n: B is
// stored k×n (ldb), or n×k when trans_b. Must not be called from inside a parallel region.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
          const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate);

// The same on the calling thread only, for use inside a parallel region (e.g. one image per thread).
template <class T>
void gemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate);

}  // namespace invgfx
