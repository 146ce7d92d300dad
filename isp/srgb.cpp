#include "isp/srgb.h"

#include <bit>
#include <cstdint>

namespace invgfx {
namespace {

constexpr double kLinKnee = 0.0031308, kEncKnee = 0.04045;

// x^p for x > 0 in float via 2^{p·log2 x}: log2 by exponent extraction plus a minimax-style
// polynomial of ln((1+s)/(1−s)) on the mantissa, exp2 by integer part into the exponent and a degree-6
// polynomial on the fraction. Relative error ≈ 2e-7 (checked against std::pow in the tests), far below
// the 1/255 quantisation of an 8-bit output; written branch-free so the compiler vectorises the loops.
inline float fast_log2(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  int e = static_cast<int>((bits >> 23) & 0xff) - 127;
  float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  // Centre the mantissa on 1: m in [√½, √2).
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e += big ? 1 : 0;
  const float s = (m - 1.f) / (m + 1.f), s2 = s * s;
  // ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + s⁷/7 + s⁹/9), |s| ≤ 0.1716.
  const float ln_m = 2.f * s * (1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9)))));
  return static_cast<float>(e) + ln_m * 1.44269504f;
}

inline float fast_exp2(float y) {
  y = y < -126.f ? -126.f : (y > 126.f ? 126.f : y);
  const float fl = std::floor(y);
  const float f = y - fl;  // [0, 1)
  const float t = f * 0.69314718f;
  // e^t, t in [0, ln 2): Taylor to degree 7, error < 2e-8.
  const float p = 1.f + t * (1.f + t * (0.5f + t * (1.f / 6 + t * (1.f / 24 + t * (1.f / 120 + t * (1.f / 720 + t * (1.f / 5040)))))));
  const uint32_t scale = static_cast<uint32_t>(static_cast<int>(fl) + 127) << 23;
  return p * std::bit_cast<float>(scale);
}

template <class T>
inline T pow_pos(T x, T p) {
  if constexpr (std::is_same_v<T, float>) return fast_exp2(p * fast_log2(x));
  else return std::pow(x, p);
}

}  // namespace

template <class T>
T srgb_encode(T L) {
  // Evaluate the power on a safe argument so the untaken branch stays finite.
  const T safe = L > T(kLinKnee) ? L : T(kLinKnee);
  const T pw = T(1.055) * pow_pos(safe, T(1 / 2.4)) - T(0.055);
  return L > T(kLinKnee) ? pw : T(12.92) * L;
}

template <class T>
T srgb_decode(T V) {
  const T safe = V > T(kEncKnee) ? V : T(kEncKnee);
  const T pw = pow_pos((safe + T(0.055)) / T(1.055), T(2.4));
  return V > T(kEncKnee) ? pw : V / T(12.92);
}

template float srgb_encode<float>(float);
template double srgb_encode<double>(double);
template float srgb_decode<float>(float);
template double srgb_decode<double>(double);

template <class T>
void SrgbT<T>::params_from_json(const nlohmann::json& j) {
  isp_detail::check_keys(j, name(), {"decode"});
  if (j.contains("decode")) decode_ = isp_detail::read_bool(j, name(), "decode");
}

template <class T>
void SrgbT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  isp_detail::image_dims(x.shape(), name(), true, true);
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
  if (decode_) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) ys[i] = srgb_decode(xs[i]);
  } else {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) ys[i] = srgb_encode(xs[i]);
  }
}

template <class T>
void SrgbT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                                TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  const int64_t n = x.numel();
  const T *xs = x.data(), *ys = y.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
  // The power branch's slope from the output, without a second pow:
  //   encode: dV/dL = (1.055/2.4)·L^{1/2.4 − 1} = (V + 0.055)/(2.4·L)
  //   decode: dL/dV = (2.4/1.055)·((V+0.055)/1.055)^{1.4} = 2.4·L/(V + 0.055)
  if (decode_) {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const T v = xs[i];
      const T s = v > T(kEncKnee) ? T(2.4) * ys[i] / (v + T(0.055)) : T(1 / 12.92);
      d[i] += g[i] * s;
    }
  } else {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const T l = xs[i];
      const T safe = l > T(kLinKnee) ? l : T(kLinKnee);
      const T s = l > T(kLinKnee) ? (ys[i] + T(0.055)) / (T(2.4) * safe) : T(12.92);
      d[i] += g[i] * s;
    }
  }
}

template <class T>
void SrgbT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  isp_detail::image_dims(y.shape(), name(), true, true);
  x.resize(y.shape());
  const int64_t n = y.numel();
  for (int64_t i = 0; i < n; ++i) x[i] = decode_ ? srgb_encode(y[i]) : srgb_decode(y[i]);
}

template class SrgbT<float>;
template class SrgbT<double>;

}  // namespace invgfx
