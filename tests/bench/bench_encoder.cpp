// BM_Encoder/8/128 exactly as tests/bench/README.md defines it, plus per-layer benchmarks for tuning.
#include "core/conv2d.h"
#include "core/encoder.h"
#include "core/random.h"

#include <benchmark/benchmark.h>

namespace invgfx {
namespace {

// Batch B of 3×S×S → encoder → 256; loss = Σ output·w for a fixed random w, so dL/d(output) = w;
// forward and backward to the input and every weight.
void BM_Encoder(benchmark::State& state) {
  const int64_t batch = state.range(0), side = state.range(1);
  EncoderOptions opt;
  opt.image_size = side;
  auto net = make_encoder<float>(opt);
  Rng rng(7);
  Tensor x({batch, 3, side, side}), y, w, dL_dx(x.shape());
  rng.fill_uniform(x, 0.0, 1.0);
  net->forward(x, y);
  w.resize(y.shape());
  rng.fill_uniform(w, -1.0, 1.0);
  for (auto _ : state) {
    net->visit_parameters([](Parameter& p) { p.zero_grad(); });
    dL_dx.zero();
    net->forward(x, y);
    net->backward(x, y, w, &dL_dx);
    benchmark::DoNotOptimize(dL_dx.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Encoder)->Args({8, 128})->Unit(benchmark::kMillisecond)->UseRealTime();

// One conv layer of the encoder, forward + backward: args batch, C_in, C_out, input side.
void BM_Conv4x4s2(benchmark::State& state) {
  const int64_t n = state.range(0), ci = state.range(1), co = state.range(2), s = state.range(3);
  Conv2d conv(Conv2dOptions::square(ci, co, 4, 2, 1));
  Rng rng(3);
  rng.fill_uniform(conv.weight().value, -0.1, 0.1);
  Tensor x({n, ci, s, s}), y, dx(x.shape());
  rng.fill_uniform(x, -1.0, 1.0);
  conv.forward(x, y);
  Tensor dy(y.shape());
  rng.fill_uniform(dy, -1.0, 1.0);
  for (auto _ : state) {
    conv.forward(x, y);
    conv.backward(x, y, dy, &dx);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Conv4x4s2)
    ->Args({8, 3, 32, 128})
    ->Args({8, 32, 64, 64})
    ->Args({8, 64, 128, 32})
    ->Args({8, 128, 256, 16})
    ->Args({8, 256, 256, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace invgfx
