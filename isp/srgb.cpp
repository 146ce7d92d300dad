#include "isp/srgb.h"

#include <bit>
#include <cstdint>

namespace invgfx {
namespace {

constexpr double kLinKnee = 0.0031308, kEncKnee = 0.04045;

// x^p for x > 0 in float via 2^{p·log2 x}: log2 from the exponent bits plus the series
// ln m = 2·atanh(s), s = (m−1)/(m+1) ∈ [0, 1/3] for the mantissa m ∈ [1, 2) (7 terms: truncation
// 9e-9); exp2 by splitting off the nearest integer into the exponent bits and a degree-7 Taylor
// polynomial of e^t on |t| ≤ ln2/2 (truncation 5e-9). Measured relative error of the sRGB curve ≤ 7e-7
// (IspSrgb.FastFloatPowerMatchesDouble), far below the 1/255 step of an 8-bit output.
// Written without branches (selects by bit masks): GCC otherwise threads the selects into control flow
// and leaves the loop scalar, which made this stage 40× slower.
#define INVGFX_INLINE inline __attribute__((always_inline))

INVGFX_INLINE float select_bits(bool c, float a, float b) {  // c ? a : b
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}

INVGFX_INLINE float fast_log2(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u);
  const float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127);
  const float s = (m - 1.f) / (m + 1.f), s2 = s * s;
  const float ln_m =
      2.f * s * (1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9 + s2 * (1.f / 11 + s2 * (1.f / 13)))))));
  return e + ln_m * 1.44269504f;
}

INVGFX_INLINE float fast_exp2(float y) {
  y = select_bits(y < -126.f, -126.f, y);
  y = select_bits(y > 126.f, 126.f, y);
  const int32_t yi = static_cast<int32_t>(y + 127.5f) - 127;  // nearest integer (y > −127)
  const float t = (y - static_cast<float>(yi)) * 0.69314718f;
  const float p =
      1.f + t * (1.f + t * (0.5f + t * (1.f / 6 + t * (1.f / 24 + t * (1.f / 120 + t * (1.f / 720 + t * (1.f / 5040)))))));
  return p * std::bit_cast<float>(static_cast<uint32_t>(yi + 127) << 23);
}

template <class T>
INVGFX_INLINE T select(bool c, T a, T b) {
  if constexpr (std::is_same_v<T, float>) return select_bits(c, a, b);
  else return c ? a : b;
}

template <class T>
INVGFX_INLINE T pow_pos(T x, T p) {
  if constexpr (std::is_same_v<T, float>) return fast_exp2(p * fast_log2(x));
  else return std::pow(x, p);
}

// The power is evaluated on a clamped argument so the branch not taken stays finite.
template <class T>
INVGFX_INLINE T encode_impl(T L) {
  const bool hi = L > T(kLinKnee);
  const T pw = T(1.055) * pow_pos(select(hi, L, T(kLinKnee)), T(1 / 2.4)) - T(0.055);
  return select(hi, pw, T(12.92) * L);
}

template <class T>
INVGFX_INLINE T decode_impl(T V) {
  const bool hi = V > T(kEncKnee);
  const T pw = pow_pos((select(hi, V, T(kEncKnee)) + T(0.055)) / T(1.055), T(2.4));
  return select(hi, pw, V / T(12.92));
}

}  // namespace

template <class T>
T srgb_encode(T L) {
  return encode_impl(L);
}

template <class T>
T srgb_decode(T V) {
  return decode_impl(V);
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
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) ys[i] = decode_impl(xs[i]);
  } else {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) ys[i] = encode_impl(xs[i]);
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
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) {
      const T v = xs[i];
      const T s = v > T(kEncKnee) ? T(2.4) * ys[i] / (v + T(0.055)) : T(1 / 12.92);
      d[i] += g[i] * s;
    }
  } else {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
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
