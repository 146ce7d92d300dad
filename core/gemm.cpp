#include "core/gemm.h"

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>

namespace invgfx {

namespace {

template <class T>
using ConstMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                            Eigen::OuterStride<>>;
template <class T>
using MutMap =
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;

template <class EA, class EB, class EC>
void product(const EA& a, const EB& b, EC&& c, bool accumulate) {
  if (accumulate)
    c.noalias() += a * b;
  else
    c.noalias() = a * b;
}

// One panel: rows [i0, i0+mi) and columns [j0, j0+nj) of C.
template <class T>
void gemm_panel(bool trans_a, bool trans_b, int64_t i0, int64_t mi, int64_t j0, int64_t nj, int64_t k,
                const T* a, int64_t lda, const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  MutMap<T> cm(c + i0 * ldc + j0, mi, nj, Eigen::OuterStride<>(ldc));
  // Row i of op(A): A[i, :] or column i of A (stored k×m).
  ConstMap<T> am = trans_a ? ConstMap<T>(a + i0, k, mi, Eigen::OuterStride<>(lda))
                           : ConstMap<T>(a + i0 * lda, mi, k, Eigen::OuterStride<>(lda));
  ConstMap<T> bm = trans_b ? ConstMap<T>(b + j0 * ldb, nj, k, Eigen::OuterStride<>(ldb))
                           : ConstMap<T>(b + j0, k, nj, Eigen::OuterStride<>(ldb));
  if (!trans_a && !trans_b) product(am, bm, cm, accumulate);
  if (!trans_a && trans_b) product(am, bm.transpose(), cm, accumulate);
  if (trans_a && !trans_b) product(am.transpose(), bm, cm, accumulate);
  if (trans_a && trans_b) product(am.transpose(), bm.transpose(), cm, accumulate);
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
          const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    return;
  }
  // Below ~2 MFLOP a fork/join costs more than it saves.
  const bool parallel = static_cast<double>(m) * n * k > 1e6 && omp_get_max_threads() > 1;
#pragma omp parallel if (parallel)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    // Panels are multiples of 16 so that each keeps whole AVX-512 vectors of C.
    const bool split_cols = n >= m;
    const int64_t len = split_cols ? n : m;
    const int64_t chunk = ((len + nt - 1) / nt + 15) / 16 * 16;
    const int64_t lo = std::min(len, t * chunk), hi = std::min(len, lo + chunk);
    if (hi > lo) {
      if (split_cols)
        gemm_panel(trans_a, trans_b, 0, m, lo, hi - lo, k, a, lda, b, ldb, c, ldc, accumulate);
      else
        gemm_panel(trans_a, trans_b, lo, hi - lo, 0, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }
  }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*,
                          int64_t, float*, int64_t, bool);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, const double*, int64_t, const double*,
                           int64_t, double*, int64_t, bool);

}  // namespace invgfx
