// Finite-difference checks (double precision) of every ISP stage w.r.t. its input and parameters,
// exact identity settings, and the awkward inputs: zeros, negatives, saturated values above 1.
//
// Tolerances: core/gradcheck.h defaults (h = 1e-6, rtol 1e-5, atol 1e-8). Every stage here is smooth
// or piecewise smooth; the random test values avoid kinks by more than h with probability ≈ 1, and the
// deliberately placed awkward values (0, 1, negatives) sit where the stage is differentiable (noted
// per test). Central differences then agree to ~1e-9 relative, well inside rtol.
#include "core/gradcheck.h"
#include "core/random.h"
#include "isp/black_white_level.h"
#include "isp/color_matrix.h"
#include "isp/demosaic.h"
#include "isp/srgb.h"
#include "isp/tone_curve.h"
#include "isp/white_balance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

// Uniform in [lo, hi] with a few exact zeros, ones and negatives planted at fixed positions.
TensorD awkward_image(const Shape& s, uint64_t seed, double lo = -0.2, double hi = 1.4) {
  TensorD t(s);
  Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  const int64_t n = t.numel();
  t[0] = 0.0;
  if (n > 5) t[5] = 1.0;
  if (n > 7) t[7] = -0.05;
  if (n > 11) t[11] = 1.3;
  return t;
}

void expect_grad_ok(NodeD& node, TensorD& x, const GradCheckOptions& opt = {}) {
  const auto rep = check_node(node, {&x}, opt);
  EXPECT_TRUE(rep.ok) << rep.message();
  EXPECT_GT(rep.checked, 0);
}

void expect_finite(const TensorD& t) {
  for (int64_t i = 0; i < t.numel(); ++i) ASSERT_TRUE(std::isfinite(t[i])) << "element " << i;
}

void expect_identity(IspStageD& stage, const TensorD& x) {
  stage.set_identity();
  TensorD y;
  stage.forward(x, y);
  ASSERT_EQ(y.shape(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(y[i], x[i]) << stage.name() << " element " << i;
}

TEST(IspBlackWhiteLevel, GradientsAndIdentity) {
  BlackWhiteLevelD s({{64, 60, 62, 70}, 1023});
  s.set_learnable(true);
  TensorD x = awkward_image(Shape{1, 6, 7}, 1, 0, 1100);
  x[3] = 0;  // far below black: negatives must pass
  x[4] = 1023;
  expect_grad_ok(s, x);
  TensorD y;
  s.forward(x, y);
  EXPECT_NEAR(y[4], (1023.0 - 60) / (1023 - 60), 1e-12);  // site (0,1) at white → 1
  EXPECT_LT(y[3], 0);
  expect_identity(s, awkward_image(Shape{1, 6, 7}, 2));
  EXPECT_THROW(s.set_params({{10, 10, 10, 10}, 5}), std::invalid_argument);
}

TEST(IspWhiteBalance, GradientsOnMosaicAndRgb) {
  for (CfaPattern p : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
    WhiteBalanceD s({0.6, 0.3, false});
    s.set_cfa(p);
    TensorD x = awkward_image(Shape{1, 5, 6}, 3);
    expect_grad_ok(s, x);
  }
  WhiteBalanceD s({0.6, -0.2, false});
  TensorD x = awkward_image(Shape{2, 3, 4, 5}, 4);
  expect_grad_ok(s, x);
}

TEST(IspWhiteBalance, ClippedHighlightsStayNeutralAndGradientsMatch) {
  // Gains (e^0.7, 1, e^0.4) ≥ 1: m = 1. A saturated mosaic (all 1) must come out all 1 (neutral).
  WhiteBalanceD s({0.7, 0.4, true});
  TensorD sat(Shape{1, 4, 4}, 1.0), y;
  s.forward(sat, y);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y[i], 1.0);
  // Unclipped pixels get their gain; clipped pixels get zero input gradient (documented).
  TensorD x = awkward_image(Shape{1, 6, 6}, 5, -0.1, 1.2);
  x[5] = 1.05;  // the planted 1.0 would sit exactly on the clip kink of a green site (gain 1 = m)
  expect_grad_ok(s, x);
  // A gain below green: the clip level follows it, and so does its gradient.
  WhiteBalanceD s2({-0.3, 0.5, true});
  expect_grad_ok(s2, x);
  TensorD y2;
  s2.forward(sat, y2);
  for (int64_t i = 0; i < y2.numel(); ++i) EXPECT_NEAR(y2[i], std::exp(-0.3), 1e-12);
}

TEST(IspWhiteBalance, IdentityAndGainsFromMultipliers) {
  WhiteBalanceD s;
  s.set_gains({2.0, 1.0, 1.5});
  EXPECT_NEAR(s.gains()[0], 2.0, 1e-12);
  EXPECT_NEAR(s.gains()[2], 1.5, 1e-12);
  s.set_gains({4.0, 2.0, 3.0});  // normalised by green
  EXPECT_NEAR(s.gains()[0], 2.0, 1e-12);
  expect_identity(s, awkward_image(Shape{1, 4, 6}, 6));
}

TEST(IspDemosaic, GradientsAllMethodsAndPatterns) {
  for (DemosaicMethod m : {DemosaicMethod::Bilinear, DemosaicMethod::Malvar, DemosaicMethod::Learned}) {
    for (CfaPattern p : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
      DemosaicD s({m});
      s.set_cfa(p);
      TensorD x = awkward_image(Shape{1, 7, 6}, 7);  // odd height: the mirrored border is asymmetric
      expect_grad_ok(s, x);
    }
  }
  DemosaicD s({DemosaicMethod::Learned});
  TensorD x = awkward_image(Shape{2, 1, 5, 5}, 8);
  expect_grad_ok(s, x);
}

TEST(IspDemosaic, ReproducesKnownSamplesAndConstants) {
  // A constant grey mosaic demosaics to the same constant for every method (kernels sum to 1 per colour),
  // and each pixel's own colour is passed through exactly.
  for (DemosaicMethod m : {DemosaicMethod::Bilinear, DemosaicMethod::Malvar}) {
    DemosaicD s({m});
    TensorD grey(Shape{1, 8, 8}, 0.37), y;
    s.forward(grey, y);
    for (int64_t i = 0; i < y.numel(); ++i) EXPECT_NEAR(y[i], 0.37, 1e-12);
    TensorD x = awkward_image(Shape{1, 8, 8}, 9);
    s.forward(x, y);
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) EXPECT_EQ(y.at(cfa_colour_at(CfaPattern::RGGB, i, j), i, j), x.at(0, i, j));
  }
  // Bilinear on RGGB: green at the red site (2,2) is the mean of its 4 neighbours.
  DemosaicD b;
  TensorD x = awkward_image(Shape{1, 8, 8}, 10), y;
  b.forward(x, y);
  EXPECT_NEAR(y.at(1, 2, 2), (x.at(0, 1, 2) + x.at(0, 3, 2) + x.at(0, 2, 1) + x.at(0, 2, 3)) / 4, 1e-12);
  EXPECT_NEAR(y.at(2, 2, 2), (x.at(0, 1, 1) + x.at(0, 1, 3) + x.at(0, 3, 1) + x.at(0, 3, 3)) / 4, 1e-12);
}

TEST(IspDemosaic, LearnedKernelsFollowThePattern) {
  // Learned kernels set for RGGB, then the pattern switched to GRBG, must give the same image as a
  // fresh Malvar on GRBG (the kernels move with the sites).
  DemosaicD learned({DemosaicMethod::Learned}), malvar({DemosaicMethod::Malvar});
  learned.set_cfa(CfaPattern::GRBG);
  malvar.set_cfa(CfaPattern::GRBG);
  TensorD x = awkward_image(Shape{1, 8, 10}, 11), a, b;
  learned.forward(x, a);
  malvar.forward(x, b);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12);
}

TEST(IspColorMatrix, GradientsRowsSumAndIdentity) {
  ColorMatrixD s({{1.6, -0.4, -0.2, -0.3, 1.5, -0.2, 0.1, -0.5, 1.4}, true});
  TensorD x = awkward_image(Shape{3, 4, 5}, 12);
  expect_grad_ok(s, x);
  const auto m = s.params().matrix;
  for (int r = 0; r < 3; ++r) EXPECT_NEAR(m[r * 3] + m[r * 3 + 1] + m[r * 3 + 2], 1.0, 1e-12);
  // A neutral pixel stays neutral.
  TensorD grey(Shape{3, 1, 1}, 0.4), y;
  s.forward(grey, y);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(y[c], 0.4, 1e-12);
  ColorMatrixD free_m({{1.6, -0.4, -0.2, -0.3, 1.5, -0.2, 0.1, -0.5, 1.4}, false});
  expect_grad_ok(free_m, x);
  expect_identity(s, x);
}

TEST(IspToneCurve, PwlGradientsIdentityAndMonotone) {
  ToneCurveParams p;
  p.knots = 16;
  Rng rng(13);
  p.values.assign(17, 0.0);
  for (int k = 1; k <= 16; ++k) p.values[k] = p.values[k - 1] + rng.uniform_d(0.2, 1.0);
  for (double& v : p.values) v /= p.values.back();
  ToneCurveD s(p);
  TensorD x = awkward_image(Shape{3, 5, 5}, 14);  // 0 and 1 are ends of segments: no kink there
  expect_grad_ok(s, x);
  const auto Y = s.knot_values();
  for (int k = 0; k <= 16; ++k) EXPECT_NEAR(Y[k], p.values[k], 1e-12);
  expect_identity(s, x);
  // 32 knots too.
  p.knots = 32;
  p.values.clear();
  ToneCurveD s32(p);
  s32.theta().value[0] += 0.3;  // not the identity any more
  expect_grad_ok(s32, x);
  // 64 knots, the most the stage allows (an S-curve with toe and shoulder for the calibration), with
  // uneven θ; x holds 0, 1, negatives and 1.3, which lie inside the (extended) end segments.
  p.knots = 64;
  ToneCurveD s64(p);
  for (int k = 0; k < 64; ++k) s64.theta().value[k] = 0.5 + 0.4 * std::sin(0.3 * k);
  expect_grad_ok(s64, x);
  const auto Y64 = s64.knot_values();
  ASSERT_EQ(Y64.size(), 65u);
  for (int k = 0; k < 64; ++k) EXPECT_GT(Y64[k + 1], Y64[k]);
  EXPECT_THROW(ToneCurveD({ToneCurveKind::Pwl, 8, {}}), std::invalid_argument);
  EXPECT_THROW(ToneCurveD({ToneCurveKind::Pwl, 65, {}}), std::invalid_argument);
}

TEST(IspToneCurve, SmoothstepGradientsAndValues) {
  ToneCurveD s({ToneCurveKind::Smoothstep, 16, {}});
  TensorD x = awkward_image(Shape{3, 4, 4}, 15);
  // At the planted 0 and 1 the clamped curve is only C¹ (y'' jumps from ∓6 to 0), so the central
  // difference there errs by (6/2)·h/2 = 1.5e-6 while the analytic slope is exactly 0: atol 5e-6.
  GradCheckOptions opt;
  opt.atol = 5e-6;
  expect_grad_ok(s, x, opt);
  TensorD t(Shape{3, 1, 1}), y;
  t[0] = 0.25; t[1] = -1; t[2] = 2;
  s.forward(t, y);
  EXPECT_NEAR(y[0], 3 * 0.0625 - 2 * 0.015625, 1e-15);
  EXPECT_EQ(y[1], 0.0);
  EXPECT_EQ(y[2], 1.0);
}

TEST(IspSrgb, EncodeDecodeGradientsValuesAndFiniteness) {
  for (bool decode : {false, true}) {
    SrgbD s({decode});
    TensorD x = awkward_image(Shape{3, 4, 4}, 16);
    expect_grad_ok(s, x);
    TensorD z(Shape{1, 1, 4}), y;
    z[0] = 0; z[1] = -0.5; z[2] = 1; z[3] = 50;
    s.forward(z, y);
    expect_finite(y);
    EXPECT_EQ(y[0], 0.0);
    EXPECT_NEAR(y[2], 1.0, 1e-12);
  }
  // Reference values of the standard.
  EXPECT_NEAR(srgb_encode(0.18), 0.4613561295, 1e-9);
  EXPECT_NEAR(srgb_decode(0.5), 0.2140411405, 1e-9);
  EXPECT_NEAR(srgb_encode(0.001), 0.01292, 1e-12);
}

TEST(IspSrgb, FastFloatPowerMatchesDouble) {
  double worst = 0;
  for (int i = 0; i <= 20000; ++i) {
    const double L = std::pow(10.0, -4 + 5.0 * i / 20000);  // 1e-4 .. 10
    const double ref = srgb_encode(L), got = srgb_encode(static_cast<float>(L));
    worst = std::max(worst, std::abs(got - ref) / std::max(ref, 1e-3));
    const double ref_d = srgb_decode(ref), got_d = srgb_decode(static_cast<float>(ref));
    worst = std::max(worst, std::abs(got_d - ref_d) / std::max(ref_d, 1e-3));
  }
  EXPECT_LT(worst, 2e-6);  // float rounding of the argument alone is 6e-8·(1/2.4 or 2.4)
}

TEST(IspStage, DisabledStageIsExactPassThrough) {
  ColorMatrixD s({{1.6, -0.4, -0.2, -0.3, 1.5, -0.2, 0.1, -0.5, 1.4}, true});
  s.set_enabled(false);
  TensorD x = awkward_image(Shape{3, 3, 3}, 17), y, g(x.shape(), 0.5), dx(x.shape(), 0.0);
  s.forward(x, y);
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(y[i], x[i]);
  s.backward(x, y, g, &dx);
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(dx[i], 0.5);
}

TEST(IspStage, BadShapesAndParamsGiveClearErrors) {
  ColorMatrixD cm;
  TensorD mosaic(Shape{1, 4, 4}), y;
  try {
    cm.forward(mosaic, y);
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("color_matrix"), std::string::npos) << e.what();
  }
  DemosaicD dm;
  TensorD rgb(Shape{3, 4, 4});
  EXPECT_THROW(dm.forward(rgb, y), std::invalid_argument);
  WhiteBalanceD wb;
  EXPECT_THROW(wb.params_from_json({{"log_gain_green", 1.0}}), std::invalid_argument);
  EXPECT_THROW(cm.params_from_json({{"matrix", {1, 2, 3}}}), std::invalid_argument);
  EXPECT_THROW(dm.params_from_json({{"method", "vng"}}), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
