// The JSON-built ISP pipeline (presets, errors, parameter reports, RAW metadata, gradients of the whole
// chain) and unprocessing round trips.
#include "core/gradcheck.h"
#include "core/random.h"
#include "isp/color_matrix.h"
#include "isp/demosaic.h"
#include "isp/pipeline.h"
#include "isp/tone_curve.h"
#include "isp/unprocess.h"
#include "isp/white_balance.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <fstream>

namespace invgfx {
namespace {

std::string asset(const std::string& name) { return std::string(INVGFX_SOURCE_DIR) + "/assets/isp/" + name; }

// Throws std::invalid_argument whose message contains `needle`.
template <class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error mentioning '" << needle << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// Smooth colour field plus a few edges, linear values in [0.02, 0.9].
TensorD smooth_image(int64_t h, int64_t w, uint64_t seed) {
  Rng rng(seed);
  const double a = rng.uniform_d(0.5, 2), b = rng.uniform_d(0.5, 2);
  TensorD t(Shape{3, h, w});
  for (int c = 0; c < 3; ++c)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        const double u = static_cast<double>(j) / w, v = static_cast<double>(i) / h;
        t.at(c, i, j) = 0.46 + 0.44 * std::sin(a * 3 * u + b * 2 * v + c * 1.3) * std::cos(2 * v - c);
      }
  return t;
}

TEST(IspPipeline, DefaultPresetLoadsAndDevelopsAMosaic) {
  auto isp = IspPipeline::from_file(asset("default.json"));
  EXPECT_NE(isp.stage("demosaic"), nullptr);
  EXPECT_EQ(isp.get<Demosaic>("demosaic").params().method, DemosaicMethod::Malvar);
  Tensor raw(Shape{1, 16, 20}, 0.2f), out;
  isp.forward(raw, out);
  ASSERT_EQ(out.shape(), (Shape{3, 16, 20}));
  // Grey mosaic, identity WB/CCM/curve: every channel is sRGB(0.2).
  for (int64_t i = 0; i < out.numel(); ++i) EXPECT_NEAR(out[i], 0.4845292, 1e-5);
  auto bil = IspPipeline::from_file(asset("dcraw_bilinear.json"));
  EXPECT_EQ(bil.size(), 5u);
}

TEST(IspPipeline, ToJsonReloadsToTheSamePipeline) {
  auto isp = IspPipeline::from_file(asset("default.json"));
  isp.get<WhiteBalance>("white_balance").set_gains({2.1, 1.0, 1.7});
  isp.get<ToneCurve>("tone_curve").theta().value[3] = 1.5f;
  isp.get<Demosaic>("demosaic").set_params({DemosaicMethod::Learned});
  const auto j = isp.to_json();
  auto again = IspPipeline::from_json(j);
  EXPECT_EQ(again.to_json().dump(), j.dump());
  Tensor raw(Shape{1, 8, 8});
  Rng rng(1);
  rng.fill_uniform(raw, 0.0, 1.0);
  Tensor a, b;
  isp.forward(raw, a);
  again.forward(raw, b);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
  // Learnable flags survive too.
  int learnable = 0;
  again.visit_parameters([&](Parameter& p) { learnable += p.requires_grad; });
  EXPECT_EQ(learnable, 4);  // white balance, demosaic kernels, colour matrix, tone curve
  EXPECT_TRUE(isp.parameters_json().contains("white_balance"));
}

TEST(IspPipeline, BadConfigurationsGiveClearErrors) {
  expect_error([] { IspPipeline::from_json({{"stages", {{{"stage", "fisheye"}}}}}); }, "unknown stage 'fisheye'");
  expect_error([] { IspPipeline::from_json({{"stages", 3}}); }, "'stages' must be an array");
  expect_error([] { IspPipeline::from_json({{"stages", {{{"stage", "color_matrix"}, {"params", {{"matrix", {1, 2}}}}}}}}); },
               "'matrix' must have 9 numbers, got 2");
  expect_error([] { IspPipeline::from_json({{"stages", {{{"stage", "tone_curve"}, {"params", {{"knots", 80}}}}}}}); },
               "knots");
  expect_error([] { IspPipeline::from_json({{"stages", {{{"stage", "white_balance"}, {"learnable", {"gainz"}}}}}}); },
               "no parameter named 'gainz'");
  expect_error([] { IspPipeline::from_json({{"cfa", "RGBG"}, {"stages", nlohmann::json::array()}}); }, "RGBG");
  expect_error([] { IspPipeline::from_json({{"stages", {{{"stage", "srgb"}}, {{"stage", "srgb"}}}}}); }, "twice");
  expect_error([] { IspPipeline::from_json({{"stages", {{{"stage", "srgb"}, {"enable", true}}}}}); }, "unknown key 'enable'");
  const std::string bad = std::string(INVGFX_BINARY_DIR) + "/isp_bad_config.json";
  std::ofstream(bad) << "{\"stages\": [ {\"stage\": \"srgb\" ";
  expect_error([&] { IspPipeline::from_file(bad); }, "not valid JSON");
  expect_error([] { IspPipeline::from_file("/nonexistent/isp.json"); }, "no such file");
}

TEST(IspPipeline, RawSettingsReachTheStages) {
  auto isp = IspPipeline::from_file(asset("dcraw_bilinear.json"));
  IspRawSettings s;
  s.cfa = CfaPattern::GBRG;
  s.black = {512, 512, 512, 512};
  s.white = 16383;
  s.wb_gains = {2.2, 1.0, 1.4};
  s.camera_to_srgb = {1.7, -0.5, -0.2, -0.2, 1.5, -0.3, 0.0, -0.5, 1.5};
  isp.apply_raw_settings(s);
  EXPECT_EQ(isp.cfa(), CfaPattern::GBRG);
  EXPECT_EQ(isp.at(2).cfa(), CfaPattern::GBRG);
  EXPECT_NEAR(isp.get<WhiteBalance>("white_balance").gains()[0], 2.2, 1e-6);
  EXPECT_NEAR(isp.get<ColorMatrix>("color_matrix").params().matrix[0], 1.7, 1e-6);
  const auto j = isp.parameters_json();
  EXPECT_EQ(j["black_white_level"]["white"].get<double>(), 16383.0);
}

TEST(IspPipeline, WholeChainGradientsInDouble) {
  nlohmann::json cfg = {{"cfa", "GRBG"},
                        {"stages",
                         {{{"stage", "black_white_level"}, {"params", {{"black", {0.05, 0.06, 0.04, 0.05}}}}, {"learnable", true}},
                          {{"stage", "lens_shading"}, {"params", {{"k", {0.2, 0, 0, 0.1, 0, 0, 0.3, 0, 0}}}}, {"learnable", true}},
                          {{"stage", "white_balance"}, {"params", {{"gains", {1.9, 1, 1.5}}}}, {"learnable", true}},
                          {{"stage", "demosaic"}, {"params", {{"method", "malvar"}}}},  // learned kernels: test_isp_stages
                          {{"stage", "color_matrix"}, {"params", {{"matrix", {1.5, -0.3, -0.2, -0.2, 1.4, -0.2, 0, -0.4, 1.4}}}}},
                          {{"stage", "tone_curve"}, {"params", {{"kind", "smoothstep"}}}},
                          {{"stage", "saturation"}, {"params", {{"saturation", 1.2}}}},
                          {{"stage", "sharpen"}, {"params", {{"amount", 0.5}}}, {"learnable", true}},
                          {{"stage", "srgb"}}}}};
  auto isp = IspPipelineD::from_json(cfg);
  TensorD raw(Shape{1, 6, 6});
  Rng rng(2);
  rng.fill_uniform(raw, 0.1, 0.5);  // stays inside (0, 1) after the chain: no smoothstep clamp kinks
  GradCheckOptions opt;
  opt.rtol = 1e-4;  // many chained stages: rounding of the 1e-6 step accumulates to ~1e-7 relative
  const auto rep = check_node(isp, {&raw}, opt);
  EXPECT_TRUE(rep.ok) << rep.message();
  // A disabled stage is skipped.
  isp.stage("sharpen")->set_enabled(false);
  const auto rep2 = check_node(isp, {&raw}, opt);
  EXPECT_TRUE(rep2.ok) << rep2.message();
}

// Parameter gradients of every learnable stage are sums over the image; they come out the same bit for
// bit at 1, 2 and 3 threads (fixed summation blocks, isp_detail::reduce_blocks), so fits and resumed
// sessions do not depend on the machine's core count.
TEST(IspPipeline, ParameterGradientsDoNotDependOnTheThreadCount) {
  nlohmann::json cfg = {{"cfa", "RGGB"},
                        {"stages",
                         {{{"stage", "sensor"}, {"params", {{"noise", "gaussian"}}}, {"learnable", true}},
                          {{"stage", "black_white_level"}, {"params", {{"black", {0.05, 0.06, 0.04, 0.05}}}}, {"learnable", true}},
                          {{"stage", "lens_shading"}, {"params", {{"k", {0.2, 0, 0, 0.1, 0, 0, 0.3, 0, 0}}}}, {"learnable", true}},
                          {{"stage", "white_balance"}, {"params", {{"gains", {1.9, 1, 1.5}}}}, {"learnable", true}},
                          {{"stage", "demosaic"}, {"params", {{"method", "learned"}}}, {"learnable", true}},
                          {{"stage", "denoise"}, {"params", {{"radius", 1}}}, {"learnable", true}},
                          {{"stage", "color_matrix"}, {"params", {{"matrix", {1.5, -0.3, -0.2, -0.2, 1.4, -0.2, 0, -0.4, 1.4}}}}, {"learnable", true}},
                          {{"stage", "tone_curve"}, {"params", {{"kind", "pwl"}}}, {"learnable", true}},
                          {{"stage", "saturation"}, {"params", {{"saturation", 1.2}}}, {"learnable", true}},
                          {{"stage", "sharpen"}, {"params", {{"amount", 0.5}}}, {"learnable", true}},
                          {{"stage", "srgb"}}}}};
  const int n = 192;  // 3·n² elements: every stage takes its parallel path
  TensorD rgb(Shape{3, n, n}), dy(Shape{3, n, n});
  Rng rng(9);
  rng.fill_uniform(rgb, 0.05, 0.8);
  rng.fill_uniform(dy, -1, 1);
  auto grads_at = [&](int threads) {
    omp_set_num_threads(threads);
    auto isp = IspPipelineD::from_json(cfg);
    TensorD y, dx(rgb.shape());  // backward adds into dx
    isp.forward(rgb, y);
    isp.visit_parameters([](ParameterD& p) { p.zero_grad(); });
    isp.backward(rgb, y, dy, &dx);
    std::vector<std::vector<double>> g;
    isp.visit_parameters([&](ParameterD& p) { g.emplace_back(p.grad.begin(), p.grad.end()); });
    return g;
  };
  const int before = omp_get_max_threads();
  const auto g1 = grads_at(1), g2 = grads_at(2), g3 = grads_at(3);
  omp_set_num_threads(before);
  ASSERT_GE(g1.size(), 10u);
  double norm = 0;
  for (const auto& t : g1)
    for (double v : t) norm += v * v;
  EXPECT_GT(norm, 0);
  EXPECT_EQ(g1, g2);
  EXPECT_EQ(g1, g3);
}

TEST(IspUnprocess, RoundTripOnInvertibleStagesWithin1Over255) {
  // Every stage that has an exact inverse, on RGB (no mosaic): process(unprocess(x)) == x.
  nlohmann::json cfg = {{"stages",
                         {{{"stage", "black_white_level"}, {"params", {{"black", {64, 64, 64, 64}}, {"white", 1023}}}},
                          {{"stage", "lens_shading"}, {"params", {{"k", {0.2, 0.05, 0, 0.15, 0, 0, 0.25, 0, 0}}}}},
                          {{"stage", "white_balance"}, {"params", {{"gains", {2.1, 1, 1.6}}}}},
                          {{"stage", "color_matrix"}, {"params", {{"matrix", {1.6, -0.4, -0.2, -0.25, 1.5, -0.25, 0.05, -0.55, 1.5}}}}},
                          {{"stage", "tone_curve"}, {"params", {{"kind", "smoothstep"}}}},
                          {{"stage", "saturation"}, {"params", {{"saturation", 1.3}}}},
                          {{"stage", "srgb"}}}}};
  auto isp = IspPipeline::from_json(cfg);
  Tensor srgb = smooth_image(24, 32, 3).cast<float>(), raw, back;
  unprocess(isp, srgb, raw);
  isp.forward(raw, back);
  double worst = 0;
  for (int64_t i = 0; i < srgb.numel(); ++i) worst = std::max(worst, std::abs(static_cast<double>(back[i] - srgb[i])));
  EXPECT_LT(worst, 1.0 / 255);
  // And the same with a learnable PWL curve in place of smoothstep.
  ToneCurveParams tp;
  tp.values.assign(17, 0.0);
  for (int k = 1; k <= 16; ++k) tp.values[k] = std::sqrt(k / 16.0);
  isp.get<ToneCurve>("tone_curve").set_params(tp);
  unprocess(isp, srgb, raw);
  isp.forward(raw, back);
  worst = 0;
  for (int64_t i = 0; i < srgb.numel(); ++i) worst = std::max(worst, std::abs(static_cast<double>(back[i] - srgb[i])));
  EXPECT_LT(worst, 1.0 / 255);
}

TEST(IspUnprocess, BrooksCameraRoundTripThroughTheMosaic) {
  // Brooks' random camera with a Bayer mosaic: only the demosaic loses information; on a smooth image
  // the bilinear round trip stays within a few 1/255 steps away from the 2-pixel border.
  Rng rng(4);
  auto isp = IspPipeline::from_json(brooks_random_isp(rng, CfaPattern::BGGR));
  Tensor srgb = smooth_image(40, 40, 5).cast<float>(), raw, back;
  unprocess(isp, srgb, raw);
  ASSERT_EQ(raw.shape(), (Shape{1, 40, 40}));
  isp.forward(raw, back);
  double worst = 0;
  for (int c = 0; c < 3; ++c)
    for (int i = 2; i < 38; ++i)
      for (int j = 2; j < 38; ++j) worst = std::max(worst, std::abs(static_cast<double>(back.at(c, i, j) - srgb.at(c, i, j))));
  EXPECT_LT(worst, 4.0 / 255);
  const auto [shot, read] = brooks_random_noise(rng);
  EXPECT_GE(shot, 1e-4);
  EXPECT_LE(shot, 0.012);
  EXPECT_GT(read, 0);
  // Safe gains (applied on RGB, so before the mosaic as in Brooks' code: test with the demosaic off)
  // keep a white pixel white instead of dimming it.
  isp.stage("demosaic")->set_enabled(false);
  Tensor white(Shape{3, 2, 2}, 1.0f), rw;
  unprocess(isp, white, rw, {true});
  for (int64_t i = 0; i < rw.numel(); ++i) EXPECT_GT(rw[i], 0.99f);
}

}  // namespace
}  // namespace invgfx
