// Area resampling: finite-difference check of the backward (the adjoint of the fixed linear map) in
// double, including footprints that leave the input, and hand-checked cases: identity, integer shifts
// (exact copies), 2× shrinking (2×2 block means) and shrink_by, the eight orientations (equal to orient_image), a
// fractional footprint worked out by hand, and the inside() flags.
//
// Tolerance: core/gradcheck.h defaults (h = 1e-6, rtol 1e-5, atol 1e-8); the map is linear, so
// central differences are exact up to rounding (~1e-10).
#include "core/gradcheck.h"
#include "core/random.h"
#include "isp/area_resample.h"
#include "isp/develop.h"

#include <gtest/gtest.h>

namespace invgfx {
namespace {

TensorD random_image(const Shape& s, uint64_t seed) {
  TensorD t(s);
  Rng rng(seed);
  rng.fill_uniform(t, -0.3, 1.4);
  return t;
}

TEST(AreaResample, GradientIsTheAdjointForEveryOrientation) {
  for (int flip = 0; flip < 8; ++flip) {
    AreaResampleGeometry g;
    g.in_h = 9;
    g.in_w = 7;
    g.out_h = 5;
    g.out_w = 4;
    g.flip = flip;
    g.scale_x = 1.7;
    g.scale_y = 1.3;
    g.offset_x = -0.6;  // the first column reaches outside the input
    g.offset_y = 0.35;
    AreaResampleD r(g);
    TensorD x = random_image(Shape{2, 3, 9, 7}, 10 + flip);
    const auto rep = check_node(r, {&x});
    EXPECT_TRUE(rep.ok) << "flip " << flip << ": " << rep.message();
  }
}

TEST(AreaResample, IdentityShiftAndBlockMeansAreExact) {
  Tensor x({3, 6, 8});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 100.f;
  Tensor y;
  AreaResample id({6, 8, 6, 8, 0, 1, 1, 0, 0});
  id.forward(x, y);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(y[i], x[i]);

  AreaResample shift({6, 8, 4, 5, 0, 1, 1, 3, 2});  // output (r, c) = input (r + 2, c + 3)
  shift.forward(x, y);
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 4; ++r)
      for (int q = 0; q < 5; ++q) ASSERT_EQ(y.at(c, r, q), x.at(c, r + 2, q + 3));

  AreaResample half({6, 8, 3, 4, 0, 2, 2, 0, 0});
  half.forward(x, y);
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 3; ++r)
      for (int q = 0; q < 4; ++q) {
        const float m = (x.at(c, 2 * r, 2 * q) + x.at(c, 2 * r, 2 * q + 1) + x.at(c, 2 * r + 1, 2 * q) +
                         x.at(c, 2 * r + 1, 2 * q + 1)) / 4;
        ASSERT_NEAR(y.at(c, r, q), m, 1e-6f);
      }
  for (uint8_t v : half.inside()) EXPECT_EQ(v, 1);
}

TEST(AreaResample, ShrinkByAWholeFactorEqualsTheMap) {
  Tensor x({3, 11, 14});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>((i * 53) % 97) / 97.f;
  for (int m : {1, 2, 3, 5}) {
    const Tensor direct = shrink_by(x, m);
    Tensor mapped;
    AreaResample({11, 14, 11 / m, 14 / m, 0, static_cast<double>(m), static_cast<double>(m), 0, 0}).forward(x, mapped);
    ASSERT_EQ(direct.shape(), mapped.shape()) << m;
    for (int64_t i = 0; i < direct.numel(); ++i) ASSERT_NEAR(direct[i], mapped[i], 1e-6) << "m " << m << " element " << i;
  }
  EXPECT_THROW(shrink_by(x, 12), std::invalid_argument);
}

TEST(AreaResample, OrientationsMatchOrientImage) {
  Tensor x({3, 5, 7});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i);
  for (int flip = 0; flip < 8; ++flip) {
    const Tensor want = orient_image(x, flip);
    AreaResample r({5, 7, want.dim(1), want.dim(2), flip, 1, 1, 0, 0});
    Tensor y;
    r.forward(x, y);
    ASSERT_EQ(y.shape(), want.shape()) << "flip " << flip;
    for (int64_t i = 0; i < y.numel(); ++i) ASSERT_EQ(y[i], want[i]) << "flip " << flip << " element " << i;
  }
}

TEST(AreaResample, FractionalFootprintByHandAndInsideFlags) {
  // One output pixel covering x ∈ [0.5, 2.0), y ∈ [0, 1) of a 1×3 input: weights 0.5/1.5, 1/1.5.
  Tensor x({1, 1, 3});
  x[0] = 3.f;
  x[1] = 6.f;
  x[2] = 100.f;
  AreaResample r({1, 3, 1, 1, 0, 1.5, 1, 0.5, 0});
  Tensor y;
  r.forward(x, y);
  EXPECT_NEAR(y[0], (0.5 * 3 + 1.0 * 6) / 1.5, 1e-5);
  EXPECT_EQ(r.inside()[0], 1);
  // Footprints [−1, 1) and [1, 3) of a 2-wide input: the first half outside (averaged over what is
  // inside, flagged), the second half outside too; a footprint entirely outside gives 0.
  Tensor x2({1, 1, 2});
  x2[0] = 2.f;
  x2[1] = 4.f;
  AreaResample edge({1, 2, 1, 3, 0, 2, 1, -1, 0});
  edge.forward(x2, y);
  EXPECT_NEAR(y[0], 2.f, 1e-6);
  EXPECT_NEAR(y[1], 4.f, 1e-6);
  EXPECT_EQ(y[2], 0.f);
  EXPECT_EQ(edge.inside()[0], 0);
  EXPECT_EQ(edge.inside()[1], 0);
  EXPECT_EQ(edge.inside()[2], 0);
}

TEST(AreaResample, BadGeometryAndShapesAreRefused) {
  EXPECT_THROW(AreaResample({0, 4, 2, 2, 0, 1, 1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(AreaResample({4, 4, 2, 2, 8, 1, 1, 0, 0}), std::invalid_argument);
  EXPECT_THROW(AreaResample({4, 4, 2, 2, 0, 0, 1, 0, 0}), std::invalid_argument);
  AreaResample r({4, 4, 2, 2, 0, 2, 2, 0, 0});
  Tensor y;
  EXPECT_THROW(r.forward(Tensor({3, 4, 5}), y), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
