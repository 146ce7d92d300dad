// Texture sampling: analytic lookups (texel centres, midpoints, wrap modes, mip averages) and
// double-precision finite-difference checks of texels and uv, including samples exactly on texel
// edges and texel centres.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/texture.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

// Bilinear sampling is piecewise bilinear in uv and linear in the texels: central differences with
// h = 1e-6 are exact up to rounding (~1e-10) away from the kinks at texel centres.
GradCheckOptions fd_options() {
  GradCheckOptions o;
  o.rtol = 1e-6;
  o.atol = 1e-9;
  return o;
}

// uv of the centre of texel (row i, column j) in an H×W texture.
double tu(double j, int W) { return (j + 0.5) / W; }
double tv(double i, int H) { return 1 - (i + 0.5) / H; }

TensorD uv_image(std::initializer_list<std::pair<double, double>> uvs) {
  TensorD t({2, 1, static_cast<int64_t>(uvs.size())});
  int64_t i = 0;
  for (auto [u, v] : uvs) {
    t[i] = u;
    t[static_cast<int64_t>(uvs.size()) + i] = v;
    ++i;
  }
  return t;
}

TEST(SceneTexture, SamplesTexelCentresMidpointsAndWrapModes) {
  TextureOptions o;
  o.wrap_u = WrapMode::kClamp;
  TextureD tex(1, 2, 4, o);
  for (int64_t i = 0; i < 8; ++i) tex.texels.value[i] = static_cast<double>(i * i);  // row-major
  TensorD out;
  // Centre of (row 0, col 2) = 4; centre of (row 1, col 1) = 25; halfway between (0,1) and (0,2) =
  // (1 + 4)/2; the middle of the 2×2 block (0..1, 1..2) = (1 + 4 + 25 + 36)/4; below-left of the
  // image with clamp = texel (row 1, col 0) = 16.
  TensorD uv = uv_image({{tu(2, 4), tv(0, 2)}, {tu(1, 4), tv(1, 2)}, {tu(1.5, 4), tv(0, 2)},
                         {tu(1.5, 4), tv(0.5, 2)}, {-0.3, -0.2}});
  tex.forward(uv, out);
  EXPECT_NEAR(out[0], 4, 1e-12);
  EXPECT_NEAR(out[1], 25, 1e-12);
  EXPECT_NEAR(out[2], 2.5, 1e-12);
  EXPECT_NEAR(out[3], 16.5, 1e-12);
  EXPECT_NEAR(out[4], 16, 1e-12);
  // Repeat along u: at u = 0 the sample sits halfway between the last and the first column.
  tex.options.wrap_u = WrapMode::kRepeat;
  TensorD uv2 = uv_image({{0.0, tv(0, 2)}, {1.0 + tu(2, 4), tv(0, 2)}, {-3.0 + tu(1, 4), tv(1, 2)}});
  tex.forward(uv2, out);
  EXPECT_NEAR(out[0], (9 + 0) / 2.0, 1e-12);
  EXPECT_NEAR(out[1], 4, 1e-12);
  EXPECT_NEAR(out[2], 25, 1e-12);
  // Non-finite uv gives a finite value.
  TensorD uv3 = uv_image({{NAN, INFINITY}});
  tex.forward(uv3, out);
  EXPECT_TRUE(std::isfinite(out[0]));
}

TEST(SceneTexture, MipLevelsAreBoxAveragesAndLodBlendsThem) {
  TextureOptions o;
  o.mip_levels = 0;
  o.wrap_v = WrapMode::kRepeat;
  TextureD tex(1, 4, 4, o);
  for (int64_t i = 0; i < 16; ++i) tex.texels.value[i] = static_cast<double>(i);
  TensorD uv = uv_image({{0.3, 0.6}}), out;
  tex.options.lod = 2;  // the 1×1 level: the mean of all texels
  tex.forward(uv, out);
  ASSERT_EQ(tex.num_built_levels(), 3);
  EXPECT_NEAR(out[0], 7.5, 1e-12);
  EXPECT_NEAR(tex.level(1).at(0, 0, 0), (0 + 1 + 4 + 5) / 4.0, 1e-12);
  tex.options.lod = 1.25;  // ¾ of level 1 + ¼ of level 2
  tex.forward(uv, out);
  const double l1 = out[0];
  tex.options.lod = 1;
  tex.forward(uv, out);
  EXPECT_NEAR(l1, 0.75 * out[0] + 0.25 * 7.5, 1e-12);
}

TEST(SceneTexture, GradientsTexelsAndUvBothWrapModes) {
  for (WrapMode m : {WrapMode::kRepeat, WrapMode::kClamp}) {
    TextureOptions o;
    o.wrap_u = o.wrap_v = m;
    TextureD tex(3, 4, 5, o);
    Rng rng(11);
    rng.fill_uniform(tex.texels.value, 0, 1);
    TensorD uv({2, 3, 4});
    rng.fill_uniform(uv, -0.2, 1.2);  // includes samples beyond the edges
    const GradCheckReport r = check_node<double>(tex, {&uv}, fd_options());
    EXPECT_TRUE(r.ok) << r.message();
    EXPECT_EQ(r.checked, 24 + 60);
  }
}

TEST(SceneTexture, GradientsExactlyOnTexelEdges) {
  // On the edge between two texels (x = j + ½ in texel units) bilinear sampling is smooth in u, so
  // central differences must match there too.
  TextureD tex(2, 3, 4);
  Rng rng(12);
  rng.fill_uniform(tex.texels.value, 0, 1);
  TensorD uv = uv_image({{1.0 / 4, tv(0.3, 3)}, {2.0 / 4, 1.0 / 3}, {0.75, 2.0 / 3}, {0.5, 1.0 / 3}});
  const GradCheckReport r = check_node<double>(tex, {&uv}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
}

TEST(SceneTexture, GradientsExactlyOnTexelCentresOfALinearRamp) {
  // At a texel centre bilinear sampling has a kink in general; on a texture that is a linear ramp
  // t = 2j − 3i the interpolant is the plane itself, so one-sided and central differences agree:
  // ∂s/∂u = 2·W, ∂s/∂v = +3·H (v up, rows down).
  TextureOptions o;
  o.wrap_u = o.wrap_v = WrapMode::kClamp;
  TextureD tex(1, 4, 5, o);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 5; ++j) tex.texels.value.at(0, i, j) = 2.0 * j - 3.0 * i;
  TensorD uv = uv_image({{tu(1, 5), tv(1, 4)}, {tu(2, 5), tv(2, 4)}, {tu(3, 5), tv(1, 4)}}), out;
  const GradCheckReport r = check_node<double>(tex, {&uv}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
  tex.forward(uv, out);
  TensorD g({1, 1, 3}, 1.0), duv({2, 1, 3}, 0.0);
  tex.backward(uv, out, g, &duv);
  EXPECT_NEAR(duv[0], 10, 1e-12);
  EXPECT_NEAR(duv[3], 12, 1e-12);
}

TEST(SceneTexture, GradientsThroughTheMipPyramid) {
  TextureOptions o;
  o.mip_levels = 0;
  o.lod = 1.4;
  TextureD tex(2, 5, 7, o);  // odd sizes: edge rows/columns averaged with themselves
  Rng rng(13);
  rng.fill_uniform(tex.texels.value, 0, 1);
  TensorD uv({2, 2, 3});
  rng.fill_uniform(uv, 0, 1);
  const GradCheckReport r = check_node<double>(tex, {&uv}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
  EXPECT_EQ(r.checked, 12 + 70);
}

// Large images scatter texel gradients in four row bands; the result must equal the sum of the
// gradients of the image's row slices, each small enough for the single-band path.
TEST(SceneTexture, BandedScatterEqualsSumOfSlices) {
  TextureOptions o;
  o.mip_levels = 0;
  o.lod = 0.5;
  TextureD tex(3, 16, 16, o);
  Rng rng(14);
  rng.fill_uniform(tex.texels.value, 0, 1);
  const int64_t H = 300, W = 300;
  TensorD uv({2, H, W}), g({3, H, W}), out;
  rng.fill_uniform(uv, 0, 1);
  rng.fill_uniform(g, -1, 1);
  tex.texels.zero_grad();
  TensorD duv({2, H, W}, 0.0);
  tex.forward(uv, out);
  tex.backward(uv, out, g, &duv);
  const TensorD banded = tex.texels.grad;
  tex.texels.zero_grad();
  const int64_t rows = 75;
  for (int64_t r0 = 0; r0 < H; r0 += rows) {
    TensorD uvs({2, rows, W}), gs({3, rows, W}), duvs({2, rows, W}, 0.0);
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < W; ++j) {
          if (c < 2) uvs.at(c, i, j) = uv.at(c, r0 + i, j);
          gs.at(c, i, j) = g.at(c, r0 + i, j);
        }
    tex.forward(uvs, out);
    tex.backward(uvs, out, gs, &duvs);
    for (int64_t i = 0; i < duvs.numel(); ++i) EXPECT_EQ(duvs[i], duv[(i / (rows * W)) * H * W + r0 * W + i % (rows * W)]);
  }
  for (int64_t i = 0; i < banded.numel(); ++i) EXPECT_NEAR(tex.texels.grad[i], banded[i], 1e-9);
}

TEST(SceneTexture, BadShapesAreRejected) {
  TextureD tex(3, 4, 4);
  TensorD uv({3, 2, 2}), out;
  EXPECT_THROW(tex.forward(uv, out), std::invalid_argument);
  EXPECT_THROW(TextureD(0, 4, 4), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
