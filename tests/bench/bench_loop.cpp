// BM_Loop/B/S of tests/bench/README.md: one full training step of the loop — B photos of S×S → encoder →
// scene (icosphere level 4, 128² texture, SH light, camera) → hard rasterizer + antialiasing →
// sensor → ISP → feature network + pixel + SSIM + silhouette + mesh regularizers → backward → Adam.
#ifdef INVGFX_HAVE_APP
#include "app/loop.h"

#include <benchmark/benchmark.h>

#include <cmath>

namespace invgfx {
namespace {

Dataset bench_dataset(int n, int size) {
  Dataset d;
  d.options.size = size;
  for (int i = 0; i < n; ++i) {
    Photo p;
    p.path = "bench" + std::to_string(i) + ".png";
    p.original_width = p.original_height = size;
    p.srgb.resize({3, size, size});
    p.mask.resize({1, size, size});
    const float cx = 0.5f + 0.02f * i, r = 0.3f;
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const float dx = (x + 0.5f) / size - cx, dy = (y + 0.5f) / size - 0.5f;
        const bool in = dx * dx + dy * dy < r * r;
        p.mask.at(0, y, x) = in;
        for (int c = 0; c < 3; ++c) p.srgb.at(c, y, x) = in ? 0.2f + 0.3f * c + 0.1f * std::sin(0.2f * x) : 0.5f;
      }
    d.photos.push_back(std::move(p));
  }
  return d;
}

void BM_Loop(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0)), size = static_cast<int>(state.range(1));
  LoopConfig c;
  c.iterations = 1 << 30;
  c.train_fraction = 1.0;
  c.batch_size = batch;
  c.icosphere_level = 4;
  c.render.size = size;
  c.render.light = LightModel::kSphericalHarmonics;
  c.decoder.texture_size = 128;
  Loop loop(c, bench_dataset(batch, size));
  for (int i = 0; i < 2; ++i) loop.step();  // warm-up: buffers reach their steady-state sizes
  for (auto _ : state) {
    const StepInfo s = loop.step();
    benchmark::DoNotOptimize(s.loss);
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Loop)->Args({1, 128})->Args({8, 128})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace invgfx
#endif
