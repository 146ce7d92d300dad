// BM_Isp/N exactly as tests/bench/README.md defines it: RGGB RAW of N×N → black level → white balance on the
// mosaic → bilinear demosaic → 3×3 colour matrix → tone curve → sRGB; loss = Σ output·w for a fixed
// random w (so dL/d(output) = w); forward and backward to the RAW and to every ISP parameter.
#include "core/random.h"
#include "isp/pipeline.h"
#include "isp/tone_curve.h"

#include <benchmark/benchmark.h>

namespace invgfx {
namespace {

IspPipeline bench_pipeline() {
  const nlohmann::json cfg = {
      {"cfa", "RGGB"},
      {"stages",
       {{{"stage", "black_white_level"}, {"params", {{"black", {64, 64, 64, 64}}, {"white", 1023}}}, {"learnable", true}},
        {{"stage", "white_balance"}, {"params", {{"gains", {2.0, 1.0, 1.6}}}}, {"learnable", true}},
        {{"stage", "demosaic"}, {"params", {{"method", "bilinear"}}}},
        {{"stage", "color_matrix"},
         {"params", {{"matrix", {{1.7, -0.5, -0.2}, {-0.3, 1.6, -0.3}, {0.0, -0.6, 1.6}}}}},
         {"learnable", true}},
        {{"stage", "tone_curve"}, {"params", {{"knots", 16}}}, {"learnable", true}},
        {{"stage", "srgb"}}}}};
  auto isp = IspPipeline::from_json(cfg);
  // A non-identity tone curve so the general path is timed.
  auto& tc = isp.get<ToneCurve>("tone_curve");
  for (int k = 0; k < 16; ++k) tc.theta().value[k] = 0.5f - 0.05f * static_cast<float>(k);
  return isp;
}

void BM_Isp(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto isp = bench_pipeline();
  Rng rng(11);
  Tensor raw({1, n, n}), out, w, dL_draw(raw.shape());
  rng.fill_uniform(raw, 40.0, 1023.0);
  isp.forward(raw, out);
  w.resize(out.shape());
  rng.fill_uniform(w, -1.0, 1.0);
  for (auto _ : state) {
    isp.visit_parameters([](Parameter& p) { p.zero_grad(); });
    dL_draw.zero();
    isp.forward(raw, out);
    isp.backward(raw, out, w, &dL_draw);
    benchmark::DoNotOptimize(dL_draw.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Isp)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace invgfx
