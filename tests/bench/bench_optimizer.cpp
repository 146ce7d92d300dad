// BM_Adam/N: one Adam step (gradient-norm guard + update) over N float parameters, the size of the
// loop's network (≈ 5 M) and smaller. The optimizer runs every loop step, so it is a hot path.
#include "core/adam.h"
#include "core/random.h"

#include <benchmark/benchmark.h>

namespace invgfx {
namespace {

void BM_Adam(benchmark::State& state) {
  const int64_t n = state.range(0);
  Parameter p("w", "net", Shape{n});
  Rng rng(3);
  rng.fill_uniform(p.value, -1, 1);
  rng.fill_uniform(p.grad, -1, 1);
  Adam adam({&p});
  for (auto _ : state) {
    const StepReport r = adam.step();
    benchmark::DoNotOptimize(r.grad_norm);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * n * static_cast<int64_t>(sizeof(float)) * 7);
}
BENCHMARK(BM_Adam)->Arg(1 << 20)->Arg(5 << 20)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace invgfx
