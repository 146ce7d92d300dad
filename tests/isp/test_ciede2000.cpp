// CIEDE2000 against the 34 test pairs published by Sharma, Wu & Dalal (Color Res. Appl. 30(1), 2005,
// Table 1), both orders (the formula is symmetric), to the 4 decimals they are published with; and
// the CIELAB of sRGB colours against hand-computed values.
#include "isp/ciede2000.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

struct SharmaPair {
  double L1, a1, b1, L2, a2, b2, de;
};

// Sharma et al. 2005, Table 1: L*a*b* of each pair and ΔE₀₀ to 4 decimals.
constexpr SharmaPair kSharma[] = {
    {50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425},
    {50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615},
    {50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412},
    {50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669},
    {50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461},
    {50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065},
    {50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492},
    {50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977},
    {50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030},
    {50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535},
    {50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000},
    {50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000},
    {50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000},
    {50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000},
    {60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644},
    {63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630},
    {61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731},
    {35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645},
    {22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373},
    {36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146},
    {90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441},
    {90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381},
    {6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377},
    {2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082},
};

TEST(Ciede2000, SharmaTestPairsBothOrders) {
  int index = 1;
  for (const SharmaPair& p : kSharma) {
    const Lab x{p.L1, p.a1, p.b1}, y{p.L2, p.a2, p.b2};
    // The table rounds to 4 decimals: ±5e-5, plus a margin for the last digit of the inputs.
    EXPECT_NEAR(delta_e_2000(x, y), p.de, 6e-5) << "pair " << index;
    EXPECT_NEAR(delta_e_2000(y, x), p.de, 6e-5) << "pair " << index << " reversed";
    ++index;
  }
  EXPECT_EQ(index, 35);
}

TEST(Ciede2000, IdenticalColoursAndGreysDifferByLightnessOnly) {
  const Lab c{43.2, 17.5, -30.1};
  EXPECT_EQ(delta_e_2000(c, c), 0.0);
  // Two greys: ΔE₀₀ = |ΔL|/S_L with S_L = 1 + 0.015(L̄−50)²/√(20 + (L̄−50)²); L̄ = 55: S_L = 1.0167705…
  const double sl = 1 + 0.015 * 25 / std::sqrt(45.0);
  EXPECT_NEAR(delta_e_2000({50, 0, 0}, {60, 0, 0}), 10 / sl, 1e-12);
}

TEST(Ciede2000, LabOfSrgbColours) {
  // White is the reference white exactly.
  const Lab w = lab_from_srgb(1, 1, 1);
  EXPECT_NEAR(w.L, 100, 1e-9);
  EXPECT_NEAR(w.a, 0, 1e-9);
  EXPECT_NEAR(w.b, 0, 1e-9);
  // Black, and mid grey: sRGB 0.5 → linear 0.21404 → L* = 116·Y^(1/3) − 16 = 53.389.
  EXPECT_NEAR(lab_from_srgb(0, 0, 0).L, 0, 1e-12);
  const double Y = std::pow((0.5 + 0.055) / 1.055, 2.4);
  EXPECT_NEAR(lab_from_srgb(0.5, 0.5, 0.5).L, 116 * std::cbrt(Y) - 16, 1e-9);
  EXPECT_NEAR(lab_from_srgb(0.5, 0.5, 0.5).L, 53.389, 1e-3);
  // Pure sRGB red: the commonly tabulated L*a*b* (D65) is (53.24, 80.09, 67.20).
  const Lab r = lab_from_srgb(1, 0, 0);
  EXPECT_NEAR(r.L, 53.24, 0.01);
  EXPECT_NEAR(r.a, 80.09, 0.02);
  EXPECT_NEAR(r.b, 67.20, 0.02);
  // Very dark values follow the linear segment of f: Y = 0.001 → L* = 903.3·Y.
  EXPECT_NEAR(lab_from_linear_srgb(0.001, 0.001, 0.001).L, 0.001 * 24389.0 / 27.0, 1e-9);
}

TEST(Ciede2000, MapOfTwoImages) {
  Tensor a({3, 2, 3}), b({3, 2, 3});
  for (int64_t i = 0; i < a.numel(); ++i) {
    a[i] = 0.1f + 0.05f * static_cast<float>(i % 7);
    b[i] = a[i];
  }
  b[4] += 0.1f;  // red of pixel 4
  const Tensor m = delta_e_2000_map(a, b);
  ASSERT_EQ(m.shape(), (Shape{1, 2, 3}));
  for (int64_t i = 0; i < 6; ++i) {
    const Lab la = lab_from_srgb(a[i], a[6 + i], a[12 + i]), lb = lab_from_srgb(b[i], b[6 + i], b[12 + i]);
    EXPECT_NEAR(m[i], delta_e_2000(la, lb), 1e-4);
    if (i != 4) {
      EXPECT_EQ(m[i], 0.f);
    }
  }
  EXPECT_GT(m[4], 1.f);
  EXPECT_THROW(delta_e_2000_map(a, Tensor({3, 2, 2})), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
