// Implementation of core/gemm.h.
#include "core/gemm.h"

#include <Eigen/Core>
#include <omp.h>

#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include <algorithm>
#include <type_traits>
#include <vector>

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


#ifdef __AVX512F__
// Single-precision GEMM for AVX-512 in the style of GotoBLAS / BLIS (Goto & van de Geijn 2008):
// C is computed in MR×NR register tiles from packed panels of A (MR rows, k-major) and B (NR columns,
// k-major); B is packed per KC×NC block (kept in L2/L3 and reused across all of A's rows), A per MC×KC
// block (kept in L2), and each B micro-panel stays in L1 while the MR-row panels of A stream past it.
// The 8×48 tile holds 24 accumulators in zmm registers: per k step, 3 loads of B, 8 broadcasts of A and
// 24 FMAs. Packing reads transposed operands in place, so no transposed copy of anything is ever made.
// Edges are zero-padded in the packs and masked on store. Pack buffers are per thread and grown once.
namespace sgemm {

constexpr int64_t kMR = 8, kNR = 48;
constexpr int64_t kKC = 256, kMC = 128, kNC = 3072;  // kMC % kMR == 0, kNC % kNR == 0

inline __mmask16 lane_mask(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// In-register transpose of a 16×16 block: r[i] holds row i before and column i after.
inline void transpose16x16(__m512* r) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}

void pack_a(bool trans, const float* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t ib = 0; ib < mc; ib += kMR) {
    const int64_t mr = std::min(kMR, mc - ib);
    float* d = dst + ib * kc;
    if (!trans) {
      // Transposing pack, 16 depths at a time through registers (rows beyond mr and depths beyond kc
      // come out zero from the masked loads).
      for (int64_t p = 0; p < kc; p += 16) {
        const __mmask16 pm = lane_mask(kc - p);
        __m512 r[16];
        for (int64_t i = 0; i < 16; ++i)
          r[i] = i < mr ? _mm512_maskz_loadu_ps(pm, a + (i0 + ib + i) * lda + p0 + p) : _mm512_setzero_ps();
        transpose16x16(r);
        const int64_t np = std::min<int64_t>(16, kc - p);
        for (int64_t q = 0; q < np; ++q) _mm256_storeu_ps(d + (p + q) * kMR, _mm512_castps512_ps256(r[q]));
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a + (p0 + p) * lda + i0 + ib;
        float* dp = d + p * kMR;
        for (int64_t r = 0; r < mr; ++r) dp[r] = src[r];
        for (int64_t r = mr; r < kMR; ++r) dp[r] = 0.f;
      }
    }
  }
}

void pack_b(bool trans, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t jb = 0; jb < nc; jb += kNR) {
    const int64_t nr = std::min(kNR, nc - jb);
    float* d = dst + jb * kc;
    if (!trans) {
      // Three masked vector copies per k: no library call for these short rows, and the zero
      // padding comes from the masked loads.
      const __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16), m2 = lane_mask(nr - 32);
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + jb;
        float* dp = d + p * kNR;
        _mm512_storeu_ps(dp, _mm512_maskz_loadu_ps(m0, src));
        _mm512_storeu_ps(dp + 16, _mm512_maskz_loadu_ps(m1, src + 16));
        _mm512_storeu_ps(dp + 32, _mm512_maskz_loadu_ps(m2, src + 32));
      }
    } else {
      // Transposing pack: 16 columns of op(B) (rows of B) × 16 depths per register transpose.
      for (int64_t c0 = 0; c0 < kNR; c0 += 16)
        for (int64_t p = 0; p < kc; p += 16) {
          const __mmask16 pm = lane_mask(kc - p);
          __m512 r[16];
          for (int64_t i = 0; i < 16; ++i)
            r[i] = c0 + i < nr ? _mm512_maskz_loadu_ps(pm, b + (j0 + jb + c0 + i) * ldb + p0 + p) : _mm512_setzero_ps();
          transpose16x16(r);
          const int64_t np = std::min<int64_t>(16, kc - p);
          for (int64_t q = 0; q < np; ++q) _mm512_storeu_ps(d + (p + q) * kNR + c0, r[q]);
        }
    }
  }
}

// C[0..mr)[0..nr) (= or +=) Σ_p pa[p][r] · pb[p][c].
void micro_kernel(int64_t kc, const float* pa, const float* pb, float* c, int64_t ldc, int64_t mr, int64_t nr,
                  bool add) {
  __m512 acc[kMR][3];
#pragma GCC unroll 8
  for (int r = 0; r < kMR; ++r) acc[r][0] = acc[r][1] = acc[r][2] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(pb), b1 = _mm512_loadu_ps(pb + 16), b2 = _mm512_loadu_ps(pb + 32);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
      const __m512 av = _mm512_set1_ps(pa[r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
      acc[r][2] = _mm512_fmadd_ps(av, b2, acc[r][2]);
    }
    pa += kMR;
    pb += kNR;
  }
  const __mmask16 m0 = lane_mask(nr), m1 = lane_mask(nr - 16), m2 = lane_mask(nr - 32);
  for (int64_t r = 0; r < mr; ++r) {
    float* row = c + r * ldc;
    __m512 v0 = acc[r][0], v1 = acc[r][1], v2 = acc[r][2];
    if (add) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
      v2 = _mm512_add_ps(v2, _mm512_maskz_loadu_ps(m2, row + 32));
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
    _mm512_mask_storeu_ps(row + 32, m2, v2);
  }
}

void gemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  // Sized for the largest blocks once per thread, so steady state does not allocate.
  thread_local std::vector<float, Eigen::aligned_allocator<float>> abuf(kMC * kKC), bbuf(kKC * kNC);
  for (int64_t jc = 0; jc < n; jc += kNC) {
    const int64_t nc = std::min(kNC, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKC) {
      const int64_t kc = std::min(kKC, k - pc);
      pack_b(trans_b, b, ldb, pc, kc, jc, nc, bbuf.data());
      const bool add = accumulate || pc > 0;
      for (int64_t ic = 0; ic < m; ic += kMC) {
        const int64_t mc = std::min(kMC, m - ic);
        pack_a(trans_a, a, lda, ic, mc, pc, kc, abuf.data());
        for (int64_t jr = 0; jr < nc; jr += kNR)
          for (int64_t ir = 0; ir < mc; ir += kMR)
            micro_kernel(kc, abuf.data() + ir * kc, bbuf.data() + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc,
                         std::min(kMR, mc - ir), std::min(kNR, nc - jr), add);
      }
    }
  }
}

}  // namespace sgemm
#endif

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
  // Below ~10 MFLOP (≈ 0.1 ms on one core) a fork/join costs more than it saves, and far more on a
  // loaded machine, where every join waits for a descheduled thread.
  const bool parallel = static_cast<double>(m) * n * k > 5e6 && omp_get_max_threads() > 1;
#pragma omp parallel if (parallel)
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    // Panels are multiples of 16 so that each keeps whole AVX-512 vectors of C.
    const bool split_cols = n >= m;
    const int64_t len = split_cols ? n : m;
    const int64_t chunk = ((len + nt - 1) / nt + 15) / 16 * 16;
    const int64_t lo = std::min(len, t * chunk), hi = std::min(len, lo + chunk);
    if (hi > lo) {
#ifdef __AVX512F__
      if constexpr (std::is_same_v<T, float>) {
        if (split_cols)
          sgemm::gemm_serial(trans_a, trans_b, m, hi - lo, k, a, lda, trans_b ? b + lo * ldb : b + lo, ldb, c + lo, ldc,
                             accumulate);
        else
          sgemm::gemm_serial(trans_a, trans_b, hi - lo, n, k, trans_a ? a + lo : a + lo * lda, lda, b, ldb,
                             c + lo * ldc, ldc, accumulate);
      } else
#endif
      if (split_cols)
        gemm_panel(trans_a, trans_b, 0, m, lo, hi - lo, k, a, lda, b, ldb, c, ldc, accumulate);
      else
        gemm_panel(trans_a, trans_b, lo, hi - lo, 0, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }
  }
}

template <class T>
void gemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    return;
  }
#ifdef __AVX512F__
  if constexpr (std::is_same_v<T, float>) {
    sgemm::gemm_serial(trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
#endif
  gemm_panel(trans_a, trans_b, 0, m, 0, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

template void gemm_serial<float>(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*,
                                 int64_t, float*, int64_t, bool);
template void gemm_serial<double>(bool, bool, int64_t, int64_t, int64_t, const double*, int64_t, const double*,
                                  int64_t, double*, int64_t, bool);
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*,
                          int64_t, float*, int64_t, bool);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, const double*, int64_t, const double*,
                           int64_t, double*, int64_t, bool);

}  // namespace invgfx
