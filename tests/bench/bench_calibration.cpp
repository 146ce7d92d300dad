// ISP calibration (isp/calibration.h) on a 3000×2000 RAW with a full-size camera JPEG, the size of a
// 6-megapixel camera's files: BM_CalibrationLoad reads the pair, aligns it and prepares the working
// images; BM_CalibrationStep/S is one Adam step of the default fit (tint, matrix, tone curve,
// saturation, sharpening) at working size S (long side of the grid; superpixels of 6 raw pixels at
// 512). A calibration's time is about one load plus `--iters` steps.
#include "core/random.h"
#include "isp/calibration.h"
#include "tests/isp/synthetic_camera.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// A procedural scene: smooth colour fields, a grating and random patches, sRGB 3×H×W.
Tensor procedural_scene(int64_t h, int64_t w) {
  Tensor s({3, h, w});
  Rng rng(7);
  std::vector<float> patch(3 * 64);
  for (float& v : patch) v = rng.uniform(0.05f, 0.95f);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      const float u = static_cast<float>(x) / w, v = static_cast<float>(y) / h;
      const int p = static_cast<int>(8 * v) * 8 + static_cast<int>(8 * u);
      const float grating = 0.1f * std::sin(0.2f * x + 0.05f * y);
      for (int c = 0; c < 3; ++c)
        s.at(c, y, x) = std::clamp(0.6f * patch[3 * p + c] + 0.3f * (c == 0 ? u : c == 1 ? v : 1 - u) + grating, 0.f, 1.f);
    }
  return s;
}

// The pair, written once per process.
const std::string& bench_pair() {
  static const std::string path = [] {
    const fs::path dir = fs::temp_directory_path() / ("invgfx_bench_calibration_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string raw_path = (dir / "cam.dng").string();
    const RawImage raw = synthetic::write_scene_dng(raw_path, procedural_scene(2000, 3000),
                                                    synthetic::camera_metadata({0.5, 1.0, 0.62}, 1));
    write_jpeg((dir / "cam.jpg").string(), synthetic::camera_picture(raw, 8), {95, ChromaSubsampling::k422, 1});
    return raw_path;
  }();
  return path;
}

void BM_CalibrationLoad(benchmark::State& state) {
  const std::string& raw = bench_pair();
  for (auto _ : state) {
    Calibration cal({{raw, ""}}, CalibrationOptions{});
    benchmark::DoNotOptimize(cal.size());
  }
}
BENCHMARK(BM_CalibrationLoad)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CalibrationStep(benchmark::State& state) {
  CalibrationOptions o;
  o.pair.size = static_cast<int>(state.range(0));
  Calibration cal({{bench_pair(), ""}}, o);
  cal.step();  // the first step sizes the buffers
  for (auto _ : state) benchmark::DoNotOptimize(cal.step());
  state.counters["grid_pixels"] = static_cast<double>(cal.pair(0).target.dim(1) * cal.pair(0).target.dim(2));
  state.counters["pitch"] = cal.pair(0).binned.pitch;
}
BENCHMARK(BM_CalibrationStep)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace invgfx
