#include "isp/ciede2000.h"

#include "isp/srgb.h"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace invgfx {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

// Linear sRGB → XYZ (IEC 61966-2-1, the matrix also used by isp/unprocess.cpp); the white point is
// its row sums, so that sRGB white is exactly the reference white.
constexpr double kM[3][3] = {{0.4124564, 0.3575761, 0.1804375},
                             {0.2126729, 0.7151522, 0.0721750},
                             {0.0193339, 0.1191920, 0.9503041}};
constexpr double kWhite[3] = {kM[0][0] + kM[0][1] + kM[0][2], kM[1][0] + kM[1][1] + kM[1][2],
                              kM[2][0] + kM[2][1] + kM[2][2]};

// CIE 1976 f(t): cube root above (6/29)³, its tangent line below.
double lab_f(double t) {
  constexpr double d = 6.0 / 29.0;
  return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}

// Hue angle in degrees in [0, 360); 0 for an achromatic colour (Sharma et al. eq. 4).
double hue_deg(double b, double a) {
  if (a == 0 && b == 0) return 0;
  const double h = std::atan2(b, a) / kDeg;
  return h < 0 ? h + 360 : h;
}

}  // namespace

Lab lab_from_linear_srgb(double r, double g, double b) {
  double xyz[3];
  for (int i = 0; i < 3; ++i) xyz[i] = (kM[i][0] * r + kM[i][1] * g + kM[i][2] * b) / kWhite[i];
  const double fx = lab_f(xyz[0]), fy = lab_f(xyz[1]), fz = lab_f(xyz[2]);
  return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

Lab lab_from_srgb(double r, double g, double b) {
  return lab_from_linear_srgb(srgb_decode(r), srgb_decode(g), srgb_decode(b));
}

double delta_e_2000(const Lab& x, const Lab& y, double kL, double kC, double kH) {
  // Eqs. 2–6: a' stretched by G, which depends on the mean chroma.
  const double C1 = std::hypot(x.a, x.b), C2 = std::hypot(y.a, y.b);
  const double Cm7 = std::pow((C1 + C2) / 2, 7);
  const double G = 0.5 * (1 - std::sqrt(Cm7 / (Cm7 + std::pow(25.0, 7))));
  const double a1 = (1 + G) * x.a, a2 = (1 + G) * y.a;
  const double C1p = std::hypot(a1, x.b), C2p = std::hypot(a2, y.b);
  const double h1 = hue_deg(x.b, a1), h2 = hue_deg(y.b, a2);

  // Eqs. 8–10: differences; the hue difference is 0 when either colour is achromatic.
  const double dL = y.L - x.L, dC = C2p - C1p;
  double dh = 0;
  if (C1p * C2p != 0) {
    dh = h2 - h1;
    if (dh > 180) dh -= 360;
    else if (dh < -180) dh += 360;
  }
  const double dH = 2 * std::sqrt(C1p * C2p) * std::sin(dh / 2 * kDeg);

  // Eqs. 12–14: means; the mean hue takes the short way round, or the sum when one is achromatic.
  const double Lm = (x.L + y.L) / 2, Cm = (C1p + C2p) / 2;
  double hm = h1 + h2;
  if (C1p * C2p != 0) {
    if (std::abs(h1 - h2) <= 180) hm = (h1 + h2) / 2;
    else hm = h1 + h2 < 360 ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2;
  }

  // Eqs. 15–22: weighting functions and the rotation term.
  const double T = 1 - 0.17 * std::cos((hm - 30) * kDeg) + 0.24 * std::cos(2 * hm * kDeg) +
                   0.32 * std::cos((3 * hm + 6) * kDeg) - 0.20 * std::cos((4 * hm - 63) * kDeg);
  const double dTheta = 30 * std::exp(-std::pow((hm - 275) / 25, 2));
  const double Cm7p = std::pow(Cm, 7);
  const double RC = 2 * std::sqrt(Cm7p / (Cm7p + std::pow(25.0, 7)));
  const double SL = 1 + 0.015 * (Lm - 50) * (Lm - 50) / std::sqrt(20 + (Lm - 50) * (Lm - 50));
  const double SC = 1 + 0.045 * Cm, SH = 1 + 0.015 * Cm * T;
  const double RT = -std::sin(2 * dTheta * kDeg) * RC;
  const double tL = dL / (kL * SL), tC = dC / (kC * SC), tH = dH / (kH * SH);
  return std::sqrt(tL * tL + tC * tC + tH * tH + RT * tC * tH);
}

Tensor delta_e_2000_map(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.rank() != 3 || a.dim(0) != 3)
    throw std::invalid_argument("delta_e_2000_map: images must both be 3×H×W, got " + a.shape().str() + " and " +
                                b.shape().str());
  const int64_t h = a.dim(1), w = a.dim(2), plane = h * w;
  Tensor out({1, h, w});
#pragma omp parallel for schedule(static) if (plane >= (1 << 14))
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const int64_t i = y * w + x;
      const Lab la = lab_from_srgb(a[i], a[plane + i], a[2 * plane + i]);
      const Lab lb = lab_from_srgb(b[i], b[plane + i], b[2 * plane + i]);
      out[i] = static_cast<float>(delta_e_2000(la, lb));
    }
  return out;
}

}  // namespace invgfx
