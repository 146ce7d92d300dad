// BM_Predict/B/S of tests/bench/README.md: what `invgfx-cli predict` does per batch, forward only — B
// photos of S×S → encoder → scene decoder → hard rasterizer with antialiasing → sensor → ISP, then the
// loss terms and PSNR/SSIM/IoU of every photo (Loop::metrics over one batch). No gradient, no step.
// Reports the time per batch and photos/s; the target is ≤ 10 ms per photo at 128 px.
#ifdef INVGFX_HAVE_APP
#include "app/loop.h"
#include "app/synth_category.h"

#include <benchmark/benchmark.h>

namespace invgfx {
namespace {

void BM_Predict(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), size = static_cast<int>(state.range(1));
  SynthOptions so;
  so.size = size;
  so.azimuth_spread = 0.8;
  Dataset photos = make_synthetic_category(so, batch).dataset;
  LoopConfig c = LoopConfig::preset("category");
  c.iterations = 0;
  c.batch_size = batch;
  c.render.size = size;
  Loop loop(c, std::move(photos));
  loop.metrics();  // warm-up: buffers reach their steady-state sizes
  for (auto _ : state) {
    const FitMetrics m = loop.metrics();
    benchmark::DoNotOptimize(m.psnr);
  }
  state.counters["photos/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * batch, benchmark::Counter::kIsRate);
  state.counters["s/photo"] = benchmark::Counter(static_cast<double>(state.iterations()) * batch,
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Predict)->Args({1, 128})->Args({8, 128})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace invgfx
#endif
