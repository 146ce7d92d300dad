// Scene-model stages, forward and backward, float32 (not among the standard workloads of
// tests/bench/README.md; for tracking the cost of the stages around the rasterizer):
//   BM_SceneShading/N     3×N×N albedo, normals, view; ambient + Lambert + SH + Blinn-Phong
//   BM_SceneTexture/N     N×N uv image sampling a 3×1024×1024 texture with a full mip pyramid, lod 1.5
//   BM_SceneNormals/L     vertex normals of an icosphere of level L (L = 6: 40962 v, 81920 f)
//   BM_SceneRegularizers/L  Laplacian + edge length + normal consistency + symmetry, values and grads
//   BM_SceneCamera/L      projection of the level-L icosphere to clip space and back
#include "core/random.h"
#include "render/camera.h"
#include "render/mesh_templates.h"
#include "render/regularizers.h"
#include "render/shading.h"
#include "render/texture.h"
#include "render/vertex_normals.h"

#include <benchmark/benchmark.h>

namespace invgfx {
namespace {

void BM_SceneShading(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ShadingOptions o;
  o.spherical_harmonics = o.specular = true;
  Shading shade(o);
  Rng rng(1);
  rng.fill_uniform(shade.sh.value, -0.3, 0.3);
  Tensor albedo({3, n, n}), normals({3, n, n}), view({3, n, n}), out, w({3, n, n});
  rng.fill_uniform(albedo, 0, 1);
  rng.fill_uniform(normals, -1, 1);
  rng.fill_uniform(view, -1, 1);
  rng.fill_uniform(w, -1, 1);
  Tensor dA({3, n, n}), dN({3, n, n}), dV({3, n, n});
  for (auto _ : state) {
    shade.forward({&albedo, &normals, &view}, {&out});
    dA.zero(), dN.zero(), dV.zero();
    shade.backward({&albedo, &normals, &view}, {&out}, {&w}, {&dA, &dN, &dV});
    benchmark::DoNotOptimize(dN.data());
  }
}
BENCHMARK(BM_SceneShading)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SceneTexture(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  TextureOptions o;
  o.mip_levels = 0;
  o.lod = 1.5;
  Texture tex(3, 1024, 1024, o);
  Rng rng(2);
  rng.fill_uniform(tex.texels.value, 0, 1);
  Tensor uv({2, n, n}), out, w({3, n, n}), duv({2, n, n});
  rng.fill_uniform(uv, 0, 1);
  rng.fill_uniform(w, -1, 1);
  for (auto _ : state) {
    tex.forward(uv, out);
    tex.texels.grad.zero();
    duv.zero();
    tex.backward(uv, out, w, &duv);
    benchmark::DoNotOptimize(tex.texels.grad.data());
  }
}
BENCHMARK(BM_SceneTexture)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SceneNormals(benchmark::State& state) {
  const Mesh m = make_icosphere(static_cast<int>(state.range(0)));
  VertexNormals vn(m.faces);
  Tensor n, g(m.positions.shape(), 1.f), dp(m.positions.shape());
  for (auto _ : state) {
    vn.forward(m.positions, n);
    dp.zero();
    vn.backward(m.positions, n, g, &dp);
    benchmark::DoNotOptimize(dp.data());
  }
}
BENCHMARK(BM_SceneNormals)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SceneRegularizers(benchmark::State& state) {
  const Mesh m = make_icosphere(static_cast<int>(state.range(0)));
  MeshRegularizer reg(m.faces, m.num_vertices());
  reg.set_mirror(m.positions);
  Tensor dp(m.positions.shape());
  for (auto _ : state) {
    dp.zero();
    float l = reg.laplacian(m.positions, &dp) + reg.edge_length(m.positions, &dp) +
              reg.normal_consistency(m.positions, &dp) + reg.symmetry(m.positions, &dp);
    benchmark::DoNotOptimize(l);
  }
}
BENCHMARK(BM_SceneRegularizers)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SceneCamera(benchmark::State& state) {
  const Mesh m = make_icosphere(static_cast<int>(state.range(0)));
  Camera cam(CameraIntrinsics::from_vertical_fov(1.0, 512, 512));
  cam.set_orbit(0.3f, 0.2f, 3.f);
  Tensor clip, g, dp(m.positions.shape());
  for (auto _ : state) {
    cam.forward(m.positions, clip);
    g.resize(clip.shape());
    g.fill(1.f);
    dp.zero();
    cam.backward(m.positions, clip, g, &dp);
    benchmark::DoNotOptimize(dp.data());
  }
}
BENCHMARK(BM_SceneCamera)->Arg(4)->Arg(6)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace invgfx
