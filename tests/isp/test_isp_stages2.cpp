// FD checks (double) and analytic checks for the sensor, lens shading, saturation and sharpen stages.
// Tolerances: core/gradcheck.h defaults (see test_isp_stages.cpp for the reasoning).
#include "core/gradcheck.h"
#include "core/random.h"
#include "isp/denoise.h"
#include "isp/lens_shading.h"
#include "isp/saturation.h"
#include "isp/sensor.h"
#include "isp/sharpen.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

TensorD random_image(const Shape& s, uint64_t seed, double lo = -0.1, double hi = 1.3) {
  TensorD t(s);
  Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  t[0] = 0.0;
  return t;
}

void expect_grad_ok(NodeD& node, TensorD& x, const GradCheckOptions& opt = {}) {
  const auto rep = check_node(node, {&x}, opt);
  EXPECT_TRUE(rep.ok) << rep.message();
  EXPECT_GT(rep.checked, 0);
}

void expect_identity(IspStageD& stage, const TensorD& x) {
  stage.set_identity();
  TensorD y;
  stage.forward(x, y);
  ASSERT_EQ(y.shape(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(y[i], x[i]) << stage.name() << " element " << i;
}

TEST(IspSensor, MosaicPicksTheCfaColourForAllPatterns) {
  TensorD x = random_image(Shape{3, 4, 6}, 1, 0, 1);
  for (CfaPattern p : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
    SensorParams sp;
    sp.exposure = 1;  // ×2
    SensorD s(sp);
    s.set_cfa(p);
    TensorD y;
    s.forward(x, y);
    ASSERT_EQ(y.shape(), (Shape{1, 4, 6}));
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 6; ++j) EXPECT_DOUBLE_EQ(y.at(0, i, j), 2 * x.at(cfa_colour_at(p, i, j), i, j));
  }
}

TEST(IspSensor, GaussianSurrogateGradientsIncludingNoiseLevels) {
  SensorParams sp;
  sp.exposure = 0.3;
  sp.noise = SensorNoise::Gaussian;
  sp.shot = 0.01;
  sp.read = 0.0004;
  sp.seed = 5;
  SensorD s(sp);
  s.set_learnable(true);
  TensorD x = random_image(Shape{3, 5, 6}, 2, 0.0, 1.0);
  x[1] = -0.4;  // a·m + b < 0: no noise there, no 1/σ blow-up
  expect_grad_ok(s, x);
  // Same (seed, frame) → same noise; next frame → different noise.
  TensorD a, b, c;
  s.forward(x, a);
  s.forward(x, b);
  s.next_frame();
  s.forward(x, c);
  int differ = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    EXPECT_EQ(a[i], b[i]);
    differ += a[i] != c[i];
  }
  EXPECT_GT(differ, a.numel() / 2);
}

TEST(IspSensor, NoiseVarianceMatchesShotAndRead) {
  // Flat grey 0.25 with a = 0.01, b = 0.0004: variance 0.0029 (σ ≈ 0.0539). 64×64 samples give the
  // sample variance within ±3% (standard error √(2/N) = 2.2%).
  for (SensorNoise mode : {SensorNoise::Gaussian, SensorNoise::Poisson}) {
    SensorParams sp;
    sp.noise = mode;
    sp.shot = 0.01;
    sp.read = 0.0004;
    sp.seed = 9;
    SensorD s(sp);
    TensorD x(Shape{3, 64, 64}, 0.25), y;
    s.forward(x, y);
    double mean = 0, var = 0;
    for (int64_t i = 0; i < y.numel(); ++i) mean += y[i];
    mean /= static_cast<double>(y.numel());
    for (int64_t i = 0; i < y.numel(); ++i) var += (y[i] - mean) * (y[i] - mean);
    var /= static_cast<double>(y.numel() - 1);
    EXPECT_NEAR(mean, 0.25, 0.003);
    EXPECT_NEAR(var, 0.0029, 0.0029 * 0.07);
  }
}

TEST(IspSensor, ClippingAtWhiteWithZeroOrPassGradient) {
  SensorParams sp;
  sp.clip = true;
  sp.white = 0.9;
  SensorD s(sp);
  TensorD x = random_image(Shape{3, 4, 4}, 3, 0.0, 1.5), y;
  s.forward(x, y);
  int clipped = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    EXPECT_LE(y[i], 0.9);
    clipped += y[i] == 0.9;
  }
  EXPECT_GT(clipped, 0);
  expect_grad_ok(s, x);  // exact derivative: 0 on clipped pixels
  // Straight-through: every pixel passes its gradient, clipped or not.
  sp.clip_gradient = ClipGradient::Pass;
  SensorD st(sp);
  TensorD g(y.shape(), 1.0), dx(x.shape(), 0.0);
  st.forward(x, y);
  st.backward(x, y, g, &dx);
  double total = 0;
  for (int64_t i = 0; i < dx.numel(); ++i) total += dx[i];
  EXPECT_DOUBLE_EQ(total, 16.0);  // one unit per mosaic pixel
  SensorParams rgb;
  rgb.mosaic = false;
  SensorD id(rgb);
  expect_identity(id, x);
}

TEST(IspLensShading, GradientsIncludingCentreAndIdentity) {
  LensShadingParams p;
  p.k = {0.3, 0.1, -0.05, 0.25, 0.05, 0.02, 0.4, -0.1, 0.03};
  p.centre = {0.45, 0.55};
  LensShadingD s(p);
  TensorD mosaic = random_image(Shape{1, 6, 8}, 4);
  expect_grad_ok(s, mosaic);
  TensorD rgb = random_image(Shape{3, 5, 7}, 5);
  expect_grad_ok(s, rgb);
  // Corner gain of a centred image: r = 1 → 1 + k1 + k2 + k3.
  LensShadingParams q;
  q.k = {0.3, 0.1, 0.05, 0, 0, 0, 0, 0, 0};
  LensShadingD c(q);
  TensorD big(Shape{3, 200, 300}, 1.0), y;
  c.forward(big, y);
  EXPECT_NEAR(y.at(0, 0, 0), 1.45, 0.01);  // the pixel centre is half a pixel inside the corner
  // Inverse undoes it.
  TensorD back;
  s.inverse(rgb, back);
  TensorD fwd;
  s.forward(back, fwd);
  for (int64_t i = 0; i < rgb.numel(); ++i) EXPECT_NEAR(fwd[i], rgb[i], 1e-12);
  expect_identity(s, rgb);
}

TEST(IspSaturation, GradientsLumaKeptAndIdentity) {
  SaturationD s({1.6});
  TensorD x = random_image(Shape{3, 4, 5}, 6);
  expect_grad_ok(s, x);
  TensorD y;
  s.forward(x, y);
  for (int64_t i = 0; i < 20; ++i) {
    const double Yx = 0.2126 * x[i] + 0.7152 * x[20 + i] + 0.0722 * x[40 + i];
    const double Yy = 0.2126 * y[i] + 0.7152 * y[20 + i] + 0.0722 * y[40 + i];
    EXPECT_NEAR(Yx, Yy, 1e-12);
  }
  SaturationD grey({0.0});
  grey.forward(x, y);
  EXPECT_NEAR(y[3], y[23], 1e-12);
  expect_identity(s, x);
}

TEST(IspSharpen, GradientsAdjointBordersAndIdentity) {
  SharpenD s({0.8, 1.2});
  TensorD x = random_image(Shape{3, 7, 9}, 7);
  expect_grad_ok(s, x);
  TensorD xb = random_image(Shape{2, 3, 5, 4}, 8);  // smaller than the kernel: clamped taps everywhere
  expect_grad_ok(s, xb);
  // A flat image has no detail: unchanged.
  TensorD flat(Shape{3, 6, 6}, 0.3), y;
  s.forward(flat, y);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_NEAR(y[i], 0.3, 1e-12);
  expect_identity(s, x);
}

TEST(IspDenoise, BilateralGradientsIncludingRangeSigmaAndIdentity) {
  DenoiseD s({2, 1.2, 0.3});
  TensorD x = random_image(Shape{3, 6, 7}, 9, 0.0, 1.0);
  expect_grad_ok(s, x);
  TensorD xb = random_image(Shape{2, 3, 4, 3}, 10, -0.1, 1.2);  // window larger than the image
  expect_grad_ok(s, xb);
  // Noise goes down, a flat image is unchanged.
  TensorD flat(Shape{3, 8, 8}, 0.4), y;
  s.forward(flat, y);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_NEAR(y[i], 0.4, 1e-12);
  TensorD noisy(Shape{3, 16, 16});
  Rng rng(11);
  rng.fill_normal(noisy, 0.5, 0.05);
  s.forward(noisy, y);
  double vin = 0, vout = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    vin += (noisy[i] - 0.5) * (noisy[i] - 0.5);
    vout += (y[i] - 0.5) * (y[i] - 0.5);
  }
  EXPECT_LT(vout, 0.3 * vin);
  expect_identity(s, x);
}

}  // namespace
}  // namespace invgfx
