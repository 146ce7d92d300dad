// The fused ISP chain (isp/fused_chain.h) against the stage-by-stage reference: forward values and every
// gradient (RAW and all parameters), all CFA phases, odd/even sizes, clipped and saturated pixels,
// frozen parameters and disabled stages; bit-identical results at 1 and 2 threads; FD check in double.
#include "core/gradcheck.h"
#include "core/random.h"
#include "isp/pipeline.h"
#include "isp/tone_curve.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

namespace invgfx {
namespace {

nlohmann::json chain_config(const std::string& cfa, bool clip, bool learn_all = true) {
  return {{"cfa", cfa},
          {"stages",
           {{{"stage", "black_white_level"}, {"params", {{"black", {60, 66, 62, 70}}, {"white", 1023}}}, {"learnable", learn_all}},
            {{"stage", "white_balance"},
             {"params", {{"gains", {2.0, 1.0, 1.6}}, {"clip_highlights", clip}}},
             {"learnable", true}},
            {{"stage", "demosaic"}, {"params", {{"method", "bilinear"}}}},
            {{"stage", "color_matrix"},
             {"params", {{"matrix", {{1.7, -0.5, -0.2}, {-0.3, 1.6, -0.3}, {0.0, -0.6, 1.6}}}}},
             {"learnable", learn_all}},
            {{"stage", "tone_curve"}, {"params", {{"knots", 16}}}, {"learnable", true}},
            {{"stage", "srgb"}}}}};
}

template <class T>
void bend_tone_curve(IspPipelineT<T>& isp) {
  auto& tc = isp.template get<ToneCurveT<T>>("tone_curve");
  for (int64_t k = 0; k < tc.theta().value.numel(); ++k) tc.theta().value[k] = T(0.5) - T(0.05) * static_cast<T>(k);
}

struct IspRun {
  Tensor out, draw;
  std::map<std::string, Tensor> grads;
};

// One forward + backward of L = Σ out·w, with fresh gradients.
IspRun run(IspPipeline& isp, const Tensor& raw, uint64_t seed) {
  IspRun r;
  isp.visit_parameters([](Parameter& p) { p.zero_grad(); });
  isp.forward(raw, r.out);
  Tensor w(r.out.shape());
  Rng rng(seed);
  rng.fill_uniform(w, -1.0, 1.0);
  r.draw.resize(raw.shape());
  r.draw.zero();
  isp.backward(raw, r.out, w, &r.draw);
  isp.visit_parameters([&](Parameter& p) { r.grads[p.name].copy_from(p.grad); });
  return r;
}

// RAW in DN with a few pixels at and above white (saturated) and below black.
Tensor make_raw(int64_t h, int64_t w, uint64_t seed) {
  Tensor raw({1, h, w});
  Rng rng(seed);
  rng.fill_uniform(raw, 40.0, 1023.0);
  for (int64_t i = 0; i < raw.numel(); i += 7) raw[i] = 1023.0f;
  for (int64_t i = 3; i < raw.numel(); i += 11) raw[i] = 1100.0f;
  for (int64_t i = 5; i < raw.numel(); i += 13) raw[i] = 50.0f;
  return raw;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::abs(static_cast<double>(t[i])));
  return m;
}

// Tolerances. Forward: the fused values are the stages' except for FMA contraction in the colour matrix
// (~1 ulp of values ≤ 8), amplified by at most the tone slope (≤ 3) and the sRGB toe slope (12.92):
// 1e-5 absolute on outputs in [−0.5, 1.5]. Gradients: the same per-element rounding plus float partial
// sums per row (the stages sum in double): 1e-4 relative to the tensor's largest entry.
void expect_same(const IspRun& fused, const IspRun& ref, const std::string& what) {
  ASSERT_EQ(fused.out.shape(), ref.out.shape()) << what;
  for (int64_t i = 0; i < ref.out.numel(); ++i)
    ASSERT_NEAR(fused.out[i], ref.out[i], 1e-5) << what << ": output " << i;
  const double sd = max_abs(ref.draw);
  ASSERT_GT(sd, 0) << what;
  for (int64_t i = 0; i < ref.draw.numel(); ++i)
    ASSERT_NEAR(fused.draw[i], ref.draw[i], 1e-4 * sd) << what << ": dL/draw " << i;
  ASSERT_EQ(fused.grads.size(), ref.grads.size()) << what;
  for (const auto& [name, g] : ref.grads) {
    const Tensor& f = fused.grads.at(name);
    ASSERT_EQ(f.numel(), g.numel()) << what << ": " << name;
    const double s = max_abs(g);
    for (int64_t i = 0; i < g.numel(); ++i)
      EXPECT_NEAR(f[i], g[i], 1e-4 * s + 1e-7) << what << ": " << name << "[" << i << "]";
  }
}

void compare(const nlohmann::json& cfg, const Tensor& raw, const std::string& what, bool bend = true) {
  auto fused = IspPipeline::from_json(cfg);
  auto ref = IspPipeline::from_json(cfg);
  if (bend) { bend_tone_curve(fused); bend_tone_curve(ref); }
  ref.set_fused(false);
  const IspRun a = run(fused, raw, 5), b = run(ref, raw, 5);
  ASSERT_TRUE(fused.fused_last_forward()) << what;
  ASSERT_FALSE(ref.fused_last_forward()) << what;
  expect_same(a, b, what);
}

TEST(IspFused, MatchesStagesAllPhasesOddEvenSizesClipped) {
  for (const char* cfa : {"RGGB", "BGGR", "GRBG", "GBRG"})
    for (auto [h, w] : {std::pair<int64_t, int64_t>{3, 3}, {8, 6}, {7, 9}, {12, 13}})
      for (bool clip : {false, true})
        compare(chain_config(cfa, clip), make_raw(h, w, 17 + h * w),
                std::string(cfa) + " " + std::to_string(h) + "x" + std::to_string(w) + (clip ? " clip" : ""));
}

TEST(IspFused, ClippedPixelsReallyClip) {
  // Saturated pixels with clip_highlights: the fused output is neutral there and the RAW gradient of the
  // red and blue sites (clipped to the min gain, green's) is 0.
  auto isp = IspPipeline::from_json(chain_config("RGGB", true));
  Tensor raw({1, 6, 6});
  raw.fill(1023.0f);
  IspRun r = run(isp, raw, 3);
  ASSERT_TRUE(isp.fused_last_forward());
  for (int64_t i = 0; i < 36; ++i) {
    EXPECT_NEAR(r.out[i], r.out[36 + i], 1e-6);
    EXPECT_NEAR(r.out[i], r.out[72 + i], 1e-6);
    const bool green = ((i / 6) + (i % 6)) % 2 == 1;
    if (green) EXPECT_NE(r.draw[i], 0.0f);
    else EXPECT_EQ(r.draw[i], 0.0f);
  }
}

TEST(IspFused, FrozenParametersDisabledStagesAndIdentityCurve) {
  auto base = chain_config("GBRG", true, false);  // black/white level and colour matrix frozen
  compare(base, make_raw(9, 10, 4), "frozen");
  compare(base, make_raw(9, 10, 4), "identity tone curve", false);
  for (int off : {0, 1, 3, 4, 5}) {  // every optional stage disabled in turn
    auto cfg = chain_config("GRBG", false);
    cfg["stages"][off]["enabled"] = false;
    compare(cfg, make_raw(7, 8, 9 + off), "stage " + std::to_string(off) + " disabled");
  }
  // Only the demosaic (stages absent rather than disabled).
  nlohmann::json only = {{"cfa", "BGGR"}, {"stages", {{{"stage", "demosaic"}}}}};
  compare(only, make_raw(5, 7, 1), "demosaic only", false);
  // Frozen parameters get no gradient.
  auto isp = IspPipeline::from_json(base);
  bend_tone_curve(isp);
  const IspRun r = run(isp, make_raw(9, 10, 4), 2);
  EXPECT_EQ(max_abs(r.grads.at("color_matrix.matrix")), 0.0);
  EXPECT_EQ(max_abs(r.grads.at("black_white_level.black")), 0.0);
  EXPECT_GT(max_abs(r.grads.at("white_balance.log_gains")), 0.0);
  EXPECT_GT(max_abs(r.grads.at("tone_curve.theta")), 0.0);
}

TEST(IspFused, OtherChainsRunStageByStage) {
  auto cfg = chain_config("RGGB", false);
  cfg["stages"][2]["params"]["method"] = "malvar";
  auto isp = IspPipeline::from_json(cfg);
  run(isp, make_raw(6, 6, 1), 1);
  EXPECT_FALSE(isp.fused_last_forward());
  auto cfg2 = chain_config("RGGB", false);
  cfg2["stages"][4]["params"] = {{"kind", "smoothstep"}};
  auto isp2 = IspPipeline::from_json(cfg2);
  run(isp2, make_raw(6, 6, 1), 1);
  EXPECT_FALSE(isp2.fused_last_forward());
  auto cfg3 = chain_config("RGGB", false);  // out of order
  std::swap(cfg3["stages"][0], cfg3["stages"][1]);
  auto isp3 = IspPipeline::from_json(cfg3);
  run(isp3, make_raw(6, 6, 1), 1);
  EXPECT_FALSE(isp3.fused_last_forward());
}

TEST(IspFused, BitIdenticalAtOneAndTwoThreadsAndMatchesStagesOnLargeImage) {
  // 150×131 > the 16k-pixel threshold of the parallel path; odd width and height.
  const Tensor raw = make_raw(150, 131, 8);
  auto isp = IspPipeline::from_json(chain_config("GRBG", true));
  bend_tone_curve(isp);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const IspRun one = run(isp, raw, 6);
  omp_set_num_threads(2);
  const IspRun two = run(isp, raw, 6);
  omp_set_num_threads(saved);
  ASSERT_TRUE(isp.fused_last_forward());
  auto same_bits = [](const Tensor& a, const Tensor& b) {
    return a.numel() == b.numel() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
  };
  EXPECT_TRUE(same_bits(one.out, two.out));
  EXPECT_TRUE(same_bits(one.draw, two.draw));
  for (const auto& [name, g] : one.grads) EXPECT_TRUE(same_bits(g, two.grads.at(name))) << name;
  auto ref = IspPipeline::from_json(chain_config("GRBG", true));
  bend_tone_curve(ref);
  ref.set_fused(false);
  expect_same(two, run(ref, raw, 6), "150x131");
}

TEST(IspFused, BatchOfImages) {
  Tensor raw({2, 1, 6, 7});
  Rng rng(4);
  rng.fill_uniform(raw, 40.0, 1023.0);
  compare(chain_config("BGGR", true), raw, "N=2");
}

TEST(IspFused, DoubleGradientsByFiniteDifferences) {
  for (const char* cfa : {"RGGB", "GBRG"}) {
    nlohmann::json cfg = chain_config(cfa, false);
    cfg["stages"][0]["params"] = {{"black", {0.05, 0.06, 0.04, 0.05}}, {"white", 1.0}};
    auto isp = IspPipelineD::from_json(cfg);
    bend_tone_curve(isp);
    TensorD raw(Shape{1, 6, 7});
    Rng rng(2);
    rng.fill_uniform(raw, 0.15, 0.45);  // outputs stay above the sRGB knee
    GradCheckOptions opt;
    opt.rtol = 1e-4;  // six chained stages: rounding of the 1e-6 step accumulates to ~1e-7 relative
    const auto rep = check_node(isp, {&raw}, opt);
    EXPECT_TRUE(isp.fused_last_forward());
    EXPECT_TRUE(rep.ok) << cfa << ": " << rep.message();
  }
}

}  // namespace
}  // namespace invgfx
