// BM_RasterHard / BM_RasterSoft as tests/bench/README.md defines them: icosphere level 4 (2562 v,
// 5120 f), radius 1, 2.7 units in front of a pinhole camera with a 60° vertical field of view, square
// N×N image, random per-vertex RGB; loss = Σ image·w for a fixed random w; forward and backward to
// the world vertex positions (through the camera) and the colours.
#include "core/random.h"
#include "render/antialias.h"
#include "render/camera.h"
#include "render/interpolate.h"
#include "render/mesh_templates.h"
#include "render/rasterize.h"
#if __has_include("render/soft_rasterize.h")
#include "render/soft_rasterize.h"
#define INVGFX_BENCH_HAVE_SOFT 1
#endif

#include <benchmark/benchmark.h>

#include <cmath>

namespace invgfx {
namespace {

struct RasterScene {
  Mesh mesh;
  Camera camera;
  Tensor colors, weights;
  explicit RasterScene(int n)
      : mesh(make_icosphere<float>(4, 1.f)),
        camera(CameraIntrinsics::from_vertical_fov(M_PI / 3, n, n), PoseParameterization::kOrbit) {
    camera.set_orbit(0.f, 0.f, 2.7f);
    Rng rng(7);
    colors.resize({mesh.num_vertices(), 3});
    rng.fill_uniform(colors, 0, 1);
    weights.resize({3, n, n});
    rng.fill_uniform(weights, -1, 1);
  }
};

void BM_RasterHard(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  RasterScene s(n);
  Rasterizer rz;
  Interpolator ip;
  Antialiaser aa;
  RasterOutput r;
  Tensor clip, img, out, dL_dimg, dL_drast, dL_dclip, dL_dcolors, dL_dworld;
  for (auto _ : state) {
    s.camera.forward(s.mesh.positions, clip);
    rz.forward(clip, s.mesh.faces, {n, n}, r);
    ip.forward(s.colors, s.mesh.faces, r, img);
    aa.forward(img, clip, s.mesh.faces, r, out);
    double loss = 0;
    for (int64_t i = 0; i < out.numel(); ++i) loss += double(out[i]) * s.weights[i];
    benchmark::DoNotOptimize(loss);
    // Backward (dL/dout = w).
    dL_dimg.resize(img.shape()), dL_dimg.zero();
    dL_drast.resize({4, n, n}), dL_drast.zero();
    dL_dclip.resize(clip.shape()), dL_dclip.zero();
    dL_dcolors.resize(s.colors.shape()), dL_dcolors.zero();
    dL_dworld.resize(s.mesh.positions.shape()), dL_dworld.zero();
    aa.backward(img, clip, s.mesh.faces, r, s.weights, &dL_dimg, &dL_dclip);
    ip.backward(s.colors, s.mesh.faces, r, dL_dimg, &dL_dcolors, &dL_drast);
    rz.backward(clip, s.mesh.faces, r, dL_drast, dL_dclip);
    s.camera.backward(s.mesh.positions, clip, dL_dclip, &dL_dworld);
    benchmark::DoNotOptimize(dL_dworld.data());
  }
  state.counters["covered_px"] = double(r.covered_pixels());
  state.counters["aa_pairs"] = double(aa.num_pairs());
}
BENCHMARK(BM_RasterHard)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

#ifdef INVGFX_BENCH_HAVE_SOFT
void BM_RasterSoft(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  RasterScene s(n);
  SoftRasterizeOptions opt;  // σ = 1e-5, cutoff ln(1/1e-4 − 1)·σ, K = 8, γ = 1e-4: the defaults
  opt.width = n, opt.height = n;
  SoftRasterizer sr;
  Tensor clip, rgba, dL_drgba, dL_dclip, dL_dcolors, dL_dworld;
  for (auto _ : state) {
    s.camera.forward(s.mesh.positions, clip);
    sr.forward(clip, s.mesh.faces, s.colors, opt, rgba);
    // Loss: Σ w·colour over the three colour channels plus Σ w_0·silhouette.
    double loss = 0;
    const int64_t plane = int64_t(n) * n;
    dL_drgba.resize(rgba.shape());
    for (int64_t i = 0; i < 3 * plane; ++i) loss += double(rgba[i]) * s.weights[i], dL_drgba[i] = s.weights[i];
    for (int64_t i = 0; i < plane; ++i) loss += double(rgba[3 * plane + i]) * s.weights[i], dL_drgba[3 * plane + i] = s.weights[i];
    benchmark::DoNotOptimize(loss);
    dL_dclip.resize(clip.shape()), dL_dclip.zero();
    dL_dcolors.resize(s.colors.shape()), dL_dcolors.zero();
    dL_dworld.resize(s.mesh.positions.shape()), dL_dworld.zero();
    sr.backward(clip, s.mesh.faces, s.colors, opt, rgba, dL_drgba, &dL_dclip, &dL_dcolors);
    s.camera.backward(s.mesh.positions, clip, dL_dclip, &dL_dworld);
    benchmark::DoNotOptimize(dL_dworld.data());
  }
}
BENCHMARK(BM_RasterSoft)->Arg(128)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace
}  // namespace invgfx
