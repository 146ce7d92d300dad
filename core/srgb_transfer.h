// The sRGB transfer function (IEC 61966-2-1) with its linear toe, and its inverse: the one definition
// the ISP's srgb stage, texture files, exports and the GUI's image panels all use.
//   encode: V = 12.92·L               for L ≤ 0.0031308
//           V = 1.055·L^{1/2.4} − 0.055 otherwise
//   decode: L = V/12.92               for V ≤ 0.04045
//           L = ((V + 0.055)/1.055)^{2.4} otherwise
// The toe keeps the slope finite at 0 (a pure power 1/2.2 has an infinite slope there). Negative
// values follow the toe line, values above 1 the power branch; nothing is clipped. The power is
// never evaluated off its branch, so the unused branch cannot inject Inf/NaN (pytorch#187297).
//
// Float uses a branch-free power accurate to ~7e-7 relative (so pixel loops vectorise); double uses
// std::pow. Inline, because the ISP's loops must inline them to vectorise.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace invgfx {

inline constexpr double kSrgbLinearKnee = 0.0031308;   // L where the toe meets the power branch
inline constexpr double kSrgbEncodedKnee = 0.04045;    // V of the same point, encoded

namespace srgb_detail {

#define INVGFX_SRGB_INLINE inline __attribute__((always_inline))

// c ? a : b on the bits, so GCC keeps the loop branch-free (it otherwise threads selects into
// control flow and leaves the loop scalar, which made the ISP's sRGB stage 40× slower).
INVGFX_SRGB_INLINE float select_bits(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}

// log2 from the exponent bits plus the series ln m = 2·atanh(s), s = (m−1)/(m+1) ∈ [0, 1/3] for the
// mantissa m ∈ [1, 2) (7 terms: truncation 9e-9).
INVGFX_SRGB_INLINE float fast_log2(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const float m = std::bit_cast<float>((bits & 0x007fffffu) | 0x3f800000u);
  const float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 127);
  const float s = (m - 1.f) / (m + 1.f), s2 = s * s;
  const float ln_m =
      2.f * s * (1.f + s2 * (1.f / 3 + s2 * (1.f / 5 + s2 * (1.f / 7 + s2 * (1.f / 9 + s2 * (1.f / 11 + s2 * (1.f / 13)))))));
  return e + ln_m * 1.44269504f;
}

// exp2 by splitting off the nearest integer into the exponent bits and a degree-7 Taylor polynomial
// of e^t on |t| ≤ ln2/2 (truncation 5e-9).
INVGFX_SRGB_INLINE float fast_exp2(float y) {
  y = select_bits(y < -126.f, -126.f, y);
  y = select_bits(y > 126.f, 126.f, y);
  const int32_t yi = static_cast<int32_t>(y + 127.5f) - 127;  // nearest integer (y > −127)
  const float t = (y - static_cast<float>(yi)) * 0.69314718f;
  const float p =
      1.f + t * (1.f + t * (0.5f + t * (1.f / 6 + t * (1.f / 24 + t * (1.f / 120 + t * (1.f / 720 + t * (1.f / 5040)))))));
  return p * std::bit_cast<float>(static_cast<uint32_t>(yi + 127) << 23);
}

template <class T>
INVGFX_SRGB_INLINE T select(bool c, T a, T b) {
  if constexpr (std::is_same_v<T, float>) return select_bits(c, a, b);
  else return c ? a : b;
}

// x^p for x > 0.
template <class T>
INVGFX_SRGB_INLINE T pow_pos(T x, T p) {
  if constexpr (std::is_same_v<T, float>) return fast_exp2(p * fast_log2(x));
  else return std::pow(x, p);
}

#undef INVGFX_SRGB_INLINE

}  // namespace srgb_detail

// Linear → sRGB-encoded. The power is evaluated on a clamped argument so the branch not taken stays
// finite.
template <class T>
inline T srgb_encode(T L) {
  using namespace srgb_detail;
  const bool hi = L > T(kSrgbLinearKnee);
  const T pw = T(1.055) * pow_pos(select(hi, L, T(kSrgbLinearKnee)), T(1 / 2.4)) - T(0.055);
  return select(hi, pw, T(12.92) * L);
}

// sRGB-encoded → linear.
template <class T>
inline T srgb_decode(T V) {
  using namespace srgb_detail;
  const bool hi = V > T(kSrgbEncodedKnee);
  const T pw = pow_pos((select(hi, V, T(kSrgbEncodedKnee)) + T(0.055)) / T(1.055), T(2.4));
  return select(hi, pw, V / T(12.92));
}

// Linear → an 8-bit sRGB code: clamped to [0, 1] first (non-finite values give 0), then rounded.
inline uint8_t srgb_encode8(double linear) {
  const double l = std::clamp(std::isfinite(linear) ? linear : 0.0, 0.0, 1.0);
  return static_cast<uint8_t>(std::lround(255 * srgb_encode(l)));
}

}  // namespace invgfx
