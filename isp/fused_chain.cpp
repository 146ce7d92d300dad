#include "isp/fused_chain.h"

#include "isp/black_white_level.h"
#include "isp/color_matrix.h"
#include "isp/demosaic.h"
#include "isp/srgb.h"
#include "isp/tone_curve.h"
#include "isp/white_balance.h"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

namespace invgfx {
namespace {

#define INVGFX_FUSED_INLINE inline __attribute__((always_inline))

// The sRGB encode of srgb.cpp (same formulas and the same fast float power, so the values agree), kept
// here inline because that file exports it only as an out-of-line scalar function, which would stop
// the fused row loop from vectorising.
INVGFX_FUSED_INLINE float select_bits(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}

INVGFX_FUSED_INLINE float fast_log2(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u);
  const float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127);
  const float s = (m - 1.f) / (m + 1.f), s2 = s * s;
  const float ln_m =
      2.f * s * (1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9 + s2 * (1.f / 11 + s2 * (1.f / 13)))))));
  return e + ln_m * 1.44269504f;
}

INVGFX_FUSED_INLINE float fast_exp2(float y) {
  y = select_bits(y < -126.f, -126.f, y);
  y = select_bits(y > 126.f, 126.f, y);
  const int32_t yi = static_cast<int32_t>(y + 127.5f) - 127;
  const float t = (y - static_cast<float>(yi)) * 0.69314718f;
  const float p =
      1.f + t * (1.f + t * (0.5f + t * (1.f / 6 + t * (1.f / 24 + t * (1.f / 120 + t * (1.f / 720 + t * (1.f / 5040)))))));
  return p * std::bit_cast<float>(static_cast<uint32_t>(yi + 127) << 23);
}

template <class T>
INVGFX_FUSED_INLINE T select(bool c, T a, T b) {
  if constexpr (std::is_same_v<T, float>) return select_bits(c, a, b);
  else return c ? a : b;
}

template <class T>
INVGFX_FUSED_INLINE T pow_pos(T x, T p) {
  if constexpr (std::is_same_v<T, float>) return fast_exp2(p * fast_log2(x));
  else return std::pow(x, p);
}

constexpr double kLinKnee = 0.0031308;

template <class T>
INVGFX_FUSED_INLINE T encode(T L) {
  const bool hi = L > T(kLinKnee);
  const T pw = T(1.055) * pow_pos(select(hi, L, T(kLinKnee)), T(1 / 2.4)) - T(0.055);
  return select(hi, pw, T(12.92) * L);
}

inline int64_t reflect(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

// The tone curve's segment index clamp((int)⌊u⌋, 0, K − 1) written with value selects: std::clamp
// returns a reference, which kept GCC from if-converting (and vectorising) the row loops.
template <class T>
INVGFX_FUSED_INLINE int segment(T u, int K) {
  u = u < T(-1) ? T(-1) : (u > T(K) ? T(K) : u);  // keeps the int conversion in range (any result ≥ K clamps)
  const int ki = static_cast<int>(u);                 // truncation; ⌊u⌋ = ki − (ki > u)
  int k = ki - (static_cast<T>(ki) > u ? 1 : 0);
  k = k < 0 ? 0 : k;
  return k > K - 1 ? K - 1 : k;
}

inline size_t round16(int64_t n) { return static_cast<size_t>((n + 15) / 16 * 16); }

double softplus(double t) { return t > 30 ? t : std::log1p(std::exp(t)); }
double sigmoid(double t) { return 1 / (1 + std::exp(-t)); }

}  // namespace

template <class T>
bool FusedIspChainT<T>::bind(const std::vector<std::unique_ptr<IspStageT<T>>>& stages,
                             const std::vector<size_t>& active) {
  bl_ = nullptr; wb_ = nullptr; dm_ = nullptr; cm_ = nullptr; tc_ = nullptr; srgb_ = nullptr;
  p_black_ = p_white_ = p_gains_ = p_matrix_ = p_theta_ = nullptr;
  int last = -1;
  for (size_t i : active) {
    IspStageT<T>* s = stages[i].get();
    int pos;
    if (auto* p = dynamic_cast<BlackWhiteLevelT<T>*>(s)) { bl_ = p; pos = 0; }
    else if (auto* p = dynamic_cast<WhiteBalanceT<T>*>(s)) { wb_ = p; pos = 1; }
    else if (auto* p = dynamic_cast<DemosaicT<T>*>(s)) { dm_ = p; pos = 2; }
    else if (auto* p = dynamic_cast<ColorMatrixT<T>*>(s)) { cm_ = p; pos = 3; }
    else if (auto* p = dynamic_cast<ToneCurveT<T>*>(s)) { tc_ = p; pos = 4; }
    else if (auto* p = dynamic_cast<SrgbT<T>*>(s)) { srgb_ = p; pos = 5; }
    else return false;
    if (pos <= last) return false;
    last = pos;
  }
  if (!dm_ || dm_->params().method != DemosaicMethod::Bilinear) return false;
  if (srgb_ && srgb_->params().decode) return false;
  auto grab = [this](ParameterT<T>& p) {
    if (p.name == "black_white_level.black") p_black_ = &p;
    else if (p.name == "black_white_level.white") p_white_ = &p;
    else if (p.name == "white_balance.log_gains") p_gains_ = &p;
    else if (p.name == "color_matrix.matrix") p_matrix_ = &p;
    else if (p.name == "tone_curve.theta") p_theta_ = &p;
  };
  for (IspStageT<T>* s : std::initializer_list<IspStageT<T>*>{bl_, wb_, cm_, tc_})
    if (s) s->visit_parameters(grab);
  if (bl_ && (!p_black_ || !p_white_)) return false;
  if (wb_ && !p_gains_) return false;
  if (cm_ && !p_matrix_) return false;
  if (tc_ && (!p_theta_ || p_theta_->value.numel() > 32)) return false;  // smoothstep exposes no θ
  return true;
}

template <class T>
bool FusedIspChainT<T>::accepts(const Shape& s) {
  if (s.rank() < 3 || s.rank() > 4) return false;
  const Dims4 d = as4d(s);
  return d.c == 1 && d.h >= 3 && d.w >= 3;
}

template <class T>
void FusedIspChainT<T>::prepare() {
  tile_ = cfa_tile(dm_->cfa());
  for (int t = 0; t < 4; ++t) { black_[t] = T(0); scale_[t] = T(1); gain_[t] = T(1); }
  white_ = T(1);
  if (bl_) {
    white_ = p_white_->value[0];
    for (int t = 0; t < 4; ++t) {
      if (!(white_ > p_black_->value[t]))
        throw std::invalid_argument("isp stage 'black_white_level': white level must exceed the black level of site " +
                                    std::to_string(t));
      black_[t] = p_black_->value[t];
      scale_[t] = T(1) / (white_ - black_[t]);
    }
  }
  clip_ = false;
  gain_min_ = T(1);
  argmin_ = -1;
  if (wb_) {
    const T g[3] = {std::exp(p_gains_->value[0]), T(1), std::exp(p_gains_->value[1])};
    for (int t = 0; t < 4; ++t) gain_[t] = g[tile_[t]];
    gain_min_ = std::min({g[0], g[1], g[2]});
    argmin_ = g[0] <= g[1] && g[0] <= g[2] ? 0 : (g[2] < g[1] && g[2] < g[0] ? 2 : -1);
    clip_ = wb_->params().clip_highlights;
  }
  m_ = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  rows_sum_to_one_ = false;
  if (cm_) {
    rows_sum_to_one_ = cm_->params().rows_sum_to_one;
    for (int i = 0; i < 9; ++i) m_[i] = p_matrix_->value[i];
    if (rows_sum_to_one_)  // the projection of ColorMatrixT::effective, in the same arithmetic
      for (int r = 0; r < 3; ++r) {
        const T excess = (m_[r * 3] + m_[r * 3 + 1] + m_[r * 3 + 2] - T(1)) / T(3);
        for (int c = 0; c < 3; ++c) m_[r * 3 + c] -= excess;
      }
  }
  if (tc_) {  // knots as ToneCurveT::update_knots computes them
    K_ = static_cast<int>(p_theta_->value.numel());
    double s = 0;
    tone_identity_ = true;
    for (int k = 0; k < K_; ++k) {
      tone_identity_ = tone_identity_ && p_theta_->value[k] == p_theta_->value[0];
      s += softplus(static_cast<double>(p_theta_->value[k]));
    }
    S_ = s;
    double acc = 0;
    Y_[0] = T(0);
    for (int k = 0; k < K_; ++k) {
      acc += softplus(static_cast<double>(p_theta_->value[k]));
      Y_[k + 1] = static_cast<T>(acc / s);
    }
    Y_[K_] = T(1);
  }
}

template <class T>
void FusedIspChainT<T>::reserve(int64_t h, int64_t w, int threads) {
  h_ = h; w_ = w;
  pw_ = w + 2;
  gw_ = w + 4;
  gh_ = h + 4;
  padded_.resize(static_cast<size_t>((h + 2) * pw_));
  ws_ = round16(w);
  ws2_ = round16(w + 2);
  slot_ = 9 * ws_ + 2 * ws2_;
  // Every thread's slot starts on a 64-byte boundary, so a row's vector loops (and their summation
  // order) are the same whichever thread runs them.
  scratch_.resize(static_cast<size_t>(threads) * slot_ + 64 / sizeof(T));
  const auto addr = reinterpret_cast<uintptr_t>(scratch_.data());
  scratch_base_ = scratch_.data() + ((64 - addr % 64) % 64) / sizeof(T);
  bands_.resize(static_cast<size_t>((h + kBandRows - 1) / kBandRows));
}

// Padded row a (image row reflect(a − 1)) of the white-balanced mosaic, in the stages' arithmetic.
template <class T>
void FusedIspChainT<T>::mosaic_row(const T* x, int64_t a) {
  const int64_t r = reflect(a - 1, h_), W = w_;
  const T* xr = x + r * W;
  T* pr = padded_.data() + a * pw_ + 1;
  for (int pj = 0; pj < 2; ++pj) {
    const int t = static_cast<int>(((r & 1) << 1) | pj);
    const T b = black_[t], s = scale_[t], g = gain_[t], mm = gain_min_;
    if (clip_) {
      for (int64_t j = pj; j < W; j += 2) pr[j] = std::min(g * ((xr[j] - b) * s), mm);
    } else {
      for (int64_t j = pj; j < W; j += 2) pr[j] = g * ((xr[j] - b) * s);
    }
  }
  pr[-1] = pr[1];
  pr[W] = pr[W - 2];
}

// Bilinear demosaic of output row i into D (3 planes of stride ws_). The sums are in the tap order of
// DemosaicT (row-major), and the weights are powers of two, so the values are the stage's exactly.
template <class T>
void FusedIspChainT<T>::demosaic_row(int64_t i, T* D) const {
  const T* pu = padded_.data() + i * pw_ + 1;
  const T* pc = pu + pw_;
  const T* pd = pc + pw_;
  T* Dc[3] = {D, D + ws_, D + 2 * ws_};
  const int64_t W = w_;
  for (int pj = 0; pj < 2; ++pj) {
    const int t = static_cast<int>(((i & 1) << 1) | pj), own = tile_[t];
    if (own == 1) {
      T* og = Dc[1];
      T* oh = Dc[tile_[t ^ 1]];  // the colour of this row's other sites: horizontal neighbours
      T* ov = Dc[tile_[t ^ 2]];  // the colour of the rows above and below: vertical neighbours
      for (int64_t j = pj; j < W; j += 2) {
        og[j] = pc[j];
        oh[j] = (pc[j - 1] + pc[j + 1]) * T(0.5);
        ov[j] = (pu[j] + pd[j]) * T(0.5);
      }
    } else {
      T* oo = Dc[own];
      T* og = Dc[1];
      T* ox = Dc[2 - own];  // the opposite colour sits on the diagonals
      for (int64_t j = pj; j < W; j += 2) {
        oo[j] = pc[j];
        og[j] = (((pu[j] + pc[j - 1]) + pc[j + 1]) + pd[j]) * T(0.25);
        ox[j] = (((pu[j - 1] + pu[j + 1]) + pd[j - 1]) + pd[j + 1]) * T(0.25);
      }
    }
  }
}

template <class T>
template <bool Tone, bool Srgb>
void FusedIspChainT<T>::finish_row(const T* D, T* out) const {
  const T *R = D, *G = D + ws_, *B = D + 2 * ws_;
  const int64_t hw = h_ * w_, W = w_;
  T *o0 = out, *o1 = out + hw, *o2 = out + 2 * hw;
  const std::array<T, 9> m = m_;
  const T* Y = Y_.data();
  const int K = K_;
  const T fK = static_cast<T>(K);
  // Three short loops over the row (in L1): colour matrix, tone curve, sRGB; each one vectorises on its
  // own, the fused body did not (GCC saw control flow in the segment lookup).
#pragma omp simd
  for (int64_t j = 0; j < W; ++j) {
    const T r = R[j], g = G[j], b = B[j];
    o0[j] = m[0] * r + m[1] * g + m[2] * b;
    o1[j] = m[3] * r + m[4] * g + m[5] * b;
    o2[j] = m[6] * r + m[7] * g + m[8] * b;
  }
  for (T* o : {o0, o1, o2}) {
    if constexpr (Tone) {  // Tone: a non-identity curve (the identity forward is exact, as in ToneCurveT)
#pragma omp simd
      for (int64_t j = 0; j < W; ++j) {
        const T u = o[j] * fK;
        const int k = segment(u, K);
        const T t = u - static_cast<T>(k);
        o[j] = Y[k] + (Y[k + 1] - Y[k]) * t;
      }
    }
    if constexpr (Srgb) {
#pragma omp simd
      for (int64_t j = 0; j < W; ++j) o[j] = encode(o[j]);
    }
  }
}

template <class T>
void FusedIspChainT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = as4d(x.shape());
  prepare();
  if (x.rank() == 3) y.resize(Shape{3, d.h, d.w});
  else y.resize(Shape{d.n, 3, d.h, d.w});
  const int64_t hw = d.h * d.w;
  const int nt = hw >= isp_detail::kOmpMinWork ? omp_get_max_threads() : 1;
  reserve(d.h, d.w, nt);
  const int mode = (tc_ && !tone_identity_ ? 2 : 0) + (srgb_ ? 1 : 0);
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xs = x.data() + n * hw;
    T* out = y.data() + n * 3 * hw;
#pragma omp parallel num_threads(nt)
    {
#pragma omp for schedule(static)
      for (int64_t a = 0; a < d.h + 2; ++a) mosaic_row(xs, a);
      T* D = scratch(omp_get_thread_num());
#pragma omp for schedule(static)
      for (int64_t i = 0; i < d.h; ++i) {
        demosaic_row(i, D);
        T* o = out + i * d.w;
        switch (mode) {
          case 0: finish_row<false, false>(D, o); break;
          case 1: finish_row<false, true>(D, o); break;
          case 2: finish_row<true, false>(D, o); break;
          default: finish_row<true, true>(D, o); break;
        }
      }
    }
  }
}

// Pass A for output row i: ∂L/∂(demosaic output) into the gradient planes, colour-matrix and
// tone-curve gradients into the band.
template <class T>
template <bool Tone, bool Srgb>
void FusedIspChainT<T>::backward_row_a(int64_t i, const T* gy, const T* ys, T* s, Band& band) {
  T* D = s;
  T* U = s + 3 * ws_;   // tone input · K per channel
  T* GT = s + 6 * ws_;  // ∂L/∂(tone output) per channel
  demosaic_row(i, D);
  const int64_t hw = h_ * w_, W = w_;
  const T *R = D, *G = D + ws_, *B = D + 2 * ws_;
  const T *g0 = gy + i * W, *g1 = g0 + hw, *g2 = g1 + hw;
  const T *y0 = ys + i * W, *y1 = y0 + hw, *y2 = y1 + hw;
  T* q0 = gplanes_.data() + (i + 2) * gw_ + 2;
  T* q1 = q0 + gh_ * gw_;
  T* q2 = q1 + gh_ * gw_;
  const std::array<T, 9> m = m_;
  const T* Y = Y_.data();
  const int K = K_;
  const T fK = static_cast<T>(K);
  const bool ident = tone_identity_;
  // ∂L/∂(tone input) of one channel; u and the tone-output gradient are kept for the θ histogram.
  auto chain = [&](T L, T gv, T yv, T& u_out, T& gt_out) {
    T v = L, slope = T(1);
    if constexpr (Tone) {
      const T u = L * fK;
      const int k = segment(u, K);
      const T t = u - static_cast<T>(k);
      const T yk = Y[k], dy = Y[k + 1] - Y[k];
      v = ident ? L : yk + dy * t;  // a select, not a branch (keeps the loop vectorisable)
      slope = dy;
      u_out = u;
    }
    T gt = gv;
    if constexpr (Srgb) {
      const T safe = v > T(kLinKnee) ? v : T(kLinKnee);
      gt = gv * (v > T(kLinKnee) ? (yv + T(0.055)) / (T(2.4) * safe) : T(12.92));
    }
    gt_out = gt;
    if constexpr (Tone) return gt * slope * fK;
    else return gt;
  };
  T a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
  T *U0 = U, *U1 = U + ws_, *U2 = U + 2 * ws_;
  T *T0 = GT, *T1 = GT + ws_, *T2 = GT + 2 * ws_;
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7, a8)
  for (int64_t j = 0; j < W; ++j) {
    const T r = R[j], g = G[j], b = B[j];
    const T lr = chain(m[0] * r + m[1] * g + m[2] * b, g0[j], y0[j], U0[j], T0[j]);
    const T lg = chain(m[3] * r + m[4] * g + m[5] * b, g1[j], y1[j], U1[j], T1[j]);
    const T lb = chain(m[6] * r + m[7] * g + m[8] * b, g2[j], y2[j], U2[j], T2[j]);
    a0 += lr * r; a1 += lr * g; a2 += lr * b;
    a3 += lg * r; a4 += lg * g; a5 += lg * b;
    a6 += lb * r; a7 += lb * g; a8 += lb * b;
    q0[j] = m[0] * lr + m[3] * lg + m[6] * lb;
    q1[j] = m[1] * lr + m[4] * lg + m[7] * lb;
    q2[j] = m[2] * lr + m[5] * lg + m[8] * lb;
  }
  for (T* q : {q0, q1, q2}) { q[-2] = q[-1] = T(0); q[W] = q[W + 1] = T(0); }
  const T a[9] = {a0, a1, a2, a3, a4, a5, a6, a7, a8};
  for (int k = 0; k < 9; ++k) band.ccm[k] += static_cast<double>(a[k]);
  if constexpr (Tone) {
    if (p_theta_->requires_grad) {
      // ∂L/∂Y_k, ∂L/∂Y_{k+1} of each sample (a histogram: scalar, in double as in ToneCurveT). Six
      // sub-histograms (channel × column parity) so that neighbouring samples, which mostly fall in
      // the same segment, do not wait on each other's store; summed in a fixed order.
      double h[6][34] = {};
      for (int c = 0; c < 3; ++c) {
        const T* uc = U + c * ws_;
        const T* gc = GT + c * ws_;
        double* h0 = h[2 * c];
        double* h1 = h[2 * c + 1];
        int64_t j = 0;
        for (; j + 1 < W; j += 2) {
          const int k0 = segment(uc[j], K), k1 = segment(uc[j + 1], K);
          const double t0 = static_cast<double>(uc[j]) - k0, t1 = static_cast<double>(uc[j + 1]) - k1;
          h0[k0] += gc[j] * (1 - t0);
          h0[k0 + 1] += gc[j] * t0;
          h1[k1] += gc[j + 1] * (1 - t1);
          h1[k1 + 1] += gc[j + 1] * t1;
        }
        for (; j < W; ++j) {
          const int k = segment(uc[j], K);
          const double t = static_cast<double>(uc[j]) - k;
          h0[k] += gc[j] * (1 - t);
          h0[k + 1] += gc[j] * t;
        }
      }
      double* gY = band.tone;
      for (int k = 0; k <= K; ++k) gY[k] += ((h[0][k] + h[1][k]) + (h[2][k] + h[3][k])) + (h[4][k] + h[5][k]);
    }
  }
}

// ∂L/∂(padded mosaic) of padded row a (−1 ≤ a ≤ H) for padded columns −1..W, into E[0..W+1]: each
// pixel gathers from the outputs that interpolate its own colour from it.
template <class T>
void FusedIspChainT<T>::gather_row(int64_t a, T* E) const {
  const int64_t W = w_, plane = gh_ * gw_;
  for (int pb = 0; pb < 2; ++pb) {
    const int t = static_cast<int>(((a & 1) << 1) | pb), own = tile_[t];
    const T* gc = gplanes_.data() + own * plane + (a + 2) * gw_ + 2;
    const T* gu = gc - gw_;
    const T* gd = gc + gw_;
    T* e = E + 1;
    const int64_t start = pb == 1 ? -1 : 0;
    if (own == 1) {
      // Green: the red/blue sites left, right, above and below take 1/4 of it (cross kernel).
      for (int64_t b = start; b <= W; b += 2)
        e[b] = gc[b] + (((gu[b] + gc[b - 1]) + gc[b + 1]) + gd[b]) * T(0.25);
    } else {
      // Red/blue: its colour at the 8 neighbours is interpolated with the 3×3 tent (1/2 edge, 1/4 corner).
      for (int64_t b = start; b <= W; b += 2)
        e[b] = gc[b] + (gc[b - 1] + gc[b + 1]) * T(0.5) + (gu[b] + gd[b]) * T(0.5) +
               (((gu[b - 1] + gu[b + 1]) + gd[b - 1]) + gd[b + 1]) * T(0.25);
    }
  }
}

// Pass B for mosaic row r: the demosaic adjoint (with the mirrored border folded back), then the
// white-balance and black-level adjoints.
template <class T>
void FusedIspChainT<T>::backward_row_b(int64_t r, const T* x, T* dx, T* s, Band& band) {
  T* E = s + 9 * ws_;
  T* E2 = E + ws2_;
  const int64_t W = w_;
  gather_row(r, E);
  // Reflect-101: padded row −1 is row 1, padded row H is row H − 2.
  for (int64_t a : {int64_t(-1), h_}) {
    if (reflect(a, h_) != r) continue;
    gather_row(a, E2);
    for (int64_t b = 0; b < W + 2; ++b) E[b] += E2[b];
  }
  T* dM = E + 1;
  dM[1] += E[0];
  dM[W - 2] += E[W + 1];
  const T* xr = x + r * W;
  T* dr = dx ? dx + r * W : nullptr;
  const T w = white_, mm = gain_min_;
  const bool clip = clip_;
  for (int pj = 0; pj < 2; ++pj) {
    const int t = static_cast<int>(((r & 1) << 1) | pj);
    const T b = black_[t], sc = scale_[t], g = gain_[t];
    T s_wb = 0, s_clip = 0, s_black = 0, s_white = 0;
#pragma omp simd reduction(+ : s_wb, s_clip, s_black, s_white)
    for (int64_t j = pj; j < W; j += 2) {
      const T xv = xr[j];
      const T v = g * ((xv - b) * sc);
      const bool clipped = clip && v > mm;
      const T gm = dM[j];
      const T gbl = clipped ? T(0) : gm * g;  // ∂L/∂(black-level output)
      s_wb += clipped ? T(0) : gm * v;        // ∂(g x)/∂ln g = g x
      s_clip += clipped ? gm : T(0);          // the clipped value follows min gain
      const T gs = gbl * sc * sc;             // ∂y/∂b = (x − w)/(w − b)², ∂y/∂w = −(x − b)/(w − b)²
      s_black += gs * (xv - w);
      s_white -= gs * (xv - b);
    }
    if (dr) {
#pragma omp simd
      for (int64_t j = pj; j < W; j += 2) {
        const T v = g * ((xr[j] - b) * sc);
        const bool clipped = clip && v > mm;
        dr[j] += clipped ? T(0) : (dM[j] * g) * sc;
      }
    }
    band.wb[tile_[t]] += static_cast<double>(s_wb);
    if (argmin_ >= 0) band.wb[argmin_] += static_cast<double>(s_clip) * static_cast<double>(mm);
    band.black[t] += static_cast<double>(s_black);
    band.white += static_cast<double>(s_white);
  }
}

template <class T>
void FusedIspChainT<T>::backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                                 TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  if (d.h != h_ || d.w != w_ || dL_dy.numel() != 3 * x.numel() || y.numel() != 3 * x.numel())
    throw std::invalid_argument("isp pipeline (fused): backward needs the input, output and gradient of the last forward");
  const int64_t hw = d.h * d.w;
  const int nt = hw >= isp_detail::kOmpMinWork ? omp_get_max_threads() : 1;
  reserve(d.h, d.w, nt);
  gplanes_.resize(static_cast<size_t>(3 * gh_ * gw_));
  for (int c = 0; c < 3; ++c) {  // zero border rows (columns are zeroed per row in pass A)
    T* p = gplanes_.data() + c * gh_ * gw_;
    std::fill(p, p + 2 * gw_, T(0));
    std::fill(p + (gh_ - 2) * gw_, p + gh_ * gw_, T(0));
  }
  const int mode = (tc_ ? 2 : 0) + (srgb_ ? 1 : 0);
  const int64_t nb = static_cast<int64_t>(bands_.size());
  double tot[4 + 1 + 3 + 9 + 33] = {};
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xs = x.data() + n * hw;
    const T* gy = dL_dy.data() + n * 3 * hw;
    const T* ys = y.data() + n * 3 * hw;
    T* dx = dL_dx ? dL_dx->data() + n * hw : nullptr;
    const bool refill = d.n > 1;  // the forward kept only the last image's mosaic
#pragma omp parallel num_threads(nt)
    {
      if (refill) {
#pragma omp for schedule(static)
        for (int64_t a = 0; a < d.h + 2; ++a) mosaic_row(xs, a);
      }
      T* s = scratch(omp_get_thread_num());
#pragma omp for schedule(static)
      for (int64_t k = 0; k < nb; ++k) {
        Band& band = bands_[static_cast<size_t>(k)];
        std::memset(static_cast<void*>(&band), 0, sizeof(Band));
        for (int64_t i = k * kBandRows; i < std::min(d.h, (k + 1) * kBandRows); ++i) {
          switch (mode) {
            case 0: backward_row_a<false, false>(i, gy, ys, s, band); break;
            case 1: backward_row_a<false, true>(i, gy, ys, s, band); break;
            case 2: backward_row_a<true, false>(i, gy, ys, s, band); break;
            default: backward_row_a<true, true>(i, gy, ys, s, band); break;
          }
        }
      }
#pragma omp for schedule(static)
      for (int64_t k = 0; k < nb; ++k)
        for (int64_t r = k * kBandRows; r < std::min(d.h, (k + 1) * kBandRows); ++r)
          backward_row_b(r, xs, dx, s, bands_[static_cast<size_t>(k)]);
    }
    for (const Band& b : bands_) {  // fixed order: the same sums at any thread count
      const double* v = b.black;
      for (int i = 0; i < 50; ++i) tot[i] += v[i];
    }
  }
  const double *g_black = tot, g_white = tot[4], *g_wb = tot + 5, *g_m = tot + 8, *gY = tot + 17;
  if (bl_) {
    if (p_black_->requires_grad) {
      p_black_->grad.resize(p_black_->value.shape());
      for (int i = 0; i < 4; ++i) p_black_->grad[i] += static_cast<T>(g_black[i]);
    }
    if (p_white_->requires_grad) {
      p_white_->grad.resize(p_white_->value.shape());
      p_white_->grad[0] += static_cast<T>(g_white);
    }
  }
  if (wb_ && p_gains_->requires_grad) {
    p_gains_->grad.resize(p_gains_->value.shape());
    p_gains_->grad[0] += static_cast<T>(g_wb[0]);
    p_gains_->grad[1] += static_cast<T>(g_wb[2]);
  }
  if (cm_ && p_matrix_->requires_grad) {
    p_matrix_->grad.resize(p_matrix_->value.shape());
    for (int row = 0; row < 3; ++row) {
      const double mean = rows_sum_to_one_ ? (g_m[row * 3] + g_m[row * 3 + 1] + g_m[row * 3 + 2]) / 3 : 0.0;
      for (int c = 0; c < 3; ++c) p_matrix_->grad[row * 3 + c] += static_cast<T>(g_m[row * 3 + c] - mean);
    }
  }
  if (tc_ && p_theta_->requires_grad) {
    // As ToneCurveT: Y_k = S_k / S ⇒ ∂L/∂s_j = (Σ_{k>j} gY_k − Σ_k gY_k·Y_k) / S, ∂s/∂θ = σ(θ).
    double dot = 0;
    for (int k = 0; k <= K_; ++k) dot += gY[k] * static_cast<double>(Y_[k]);
    double tail = 0;
    p_theta_->grad.resize(p_theta_->value.shape());
    for (int j = K_ - 1; j >= 0; --j) {
      tail += gY[j + 1];
      p_theta_->grad[j] += static_cast<T>((tail - dot) / S_ * sigmoid(static_cast<double>(p_theta_->value[j])));
    }
  }
}

template class FusedIspChainT<float>;
template class FusedIspChainT<double>;

}  // namespace invgfx
