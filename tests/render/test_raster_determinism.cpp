// Determinism: the same inputs give bit-identical outputs and gradients at 1 and 2 OpenMP threads,
// for the hard pipeline (rasterize → interpolate → antialias) and the soft rasterizer.
#include "core/random.h"
#include "render/antialias.h"
#include "render/interpolate.h"
#include "render/mesh_templates.h"
#include "render/rasterize.h"
#include "render/soft_rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cstring>

namespace invgfx {
namespace {

// Big enough for every parallel loop to run threaded (≥ 128² px, ≥ 4096 faces: see
// render/raster_binning.h), and with the near plane (z = −2) cutting the sphere's front cap, so that
// the clipped paths (soft fan triangles, antialiased cut lines) are covered too.
struct Scene {
  Mesh mesh = make_icosphere<float>(4, 1.f);
  Tensor pos, colors, w;
  static constexpr int kSize = 160;
  Scene() {
    std::vector<double> eye;
    Rng rng(21);
    for (int64_t i = 0; i < mesh.num_vertices(); ++i)  // a slightly bumpy sphere, off centre
      eye.insert(eye.end(), {mesh.positions.at(i, 0) * (1 + 0.05 * rng.uniform_d()) + 0.3,
                             mesh.positions.at(i, 1) * (1 + 0.05 * rng.uniform_d()) - 0.2,
                             mesh.positions.at(i, 2) * (1 + 0.05 * rng.uniform_d()) - 2.6});
    pos = raster_test::perspective<float>(eye, 1.0, 1.0, 2.0, 20);
    colors.resize({mesh.num_vertices(), 3});
    rng.fill_uniform(colors, 0, 1);
    w.resize({4, kSize, kSize});
    rng.fill_uniform(w, -1, 1);
  }
};

bool bit_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.numel())) == 0;
}

TEST(RasterDeterminism, HardPipelineGradientsBitIdenticalAcrossThreadCounts) {
  Scene sc;
  const int n = Scene::kSize;
  Tensor out_ref, gpos_ref, gcol_ref;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    Rasterizer rz;
    Interpolator ip;
    Antialiaser aa;
    RasterOutput r;
    Tensor img, out, dL_dimg, dL_drast, gpos, gcol;
    Tensor w3({3, n, n});
    std::memcpy(w3.data(), sc.w.data(), sizeof(float) * size_t(w3.numel()));
    rz.forward(sc.pos, sc.mesh.faces, {n, n}, r);
    ip.forward(sc.colors, sc.mesh.faces, r, img);
    aa.forward(img, sc.pos, sc.mesh.faces, r, out);
    ASSERT_GT(aa.num_pairs(), 50);
    aa.backward(img, sc.pos, sc.mesh.faces, r, w3, &dL_dimg, &gpos);
    ip.backward(sc.colors, sc.mesh.faces, r, dL_dimg, &gcol, &dL_drast);
    rz.backward(sc.pos, sc.mesh.faces, r, dL_drast, gpos);
    if (threads == 1) {
      out_ref = out, gpos_ref = gpos, gcol_ref = gcol;
    } else {
      EXPECT_TRUE(bit_equal(out, out_ref));
      EXPECT_TRUE(bit_equal(gpos, gpos_ref));
      EXPECT_TRUE(bit_equal(gcol, gcol_ref));
    }
  }
  omp_set_num_threads(saved);
}

TEST(RasterDeterminism, SoftGradientsBitIdenticalAcrossThreadCounts) {
  Scene sc;
  const int n = Scene::kSize;
  SoftRasterizeOptions opt;
  opt.width = n, opt.height = n, opt.sigma = 1e-4;
  Tensor out_ref, gpos_ref, gcol_ref;
  const int saved = omp_get_max_threads();
  // The first call on a rasterizer grows its store of kept faces (tiles run twice), later calls do not
  // (tiles claim their spans in whatever order they finish): both must give the same bits.
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    SoftRasterizer sr;
    for (int call = 0; call < 2; ++call) {
      Tensor out, gpos, gcol;
      sr.forward(sc.pos, sc.mesh.faces, sc.colors, opt, out);
      sr.backward(sc.pos, sc.mesh.faces, sc.colors, opt, out, sc.w, &gpos, &gcol);
      if (threads == 1 && call == 0) {
        out_ref = out, gpos_ref = gpos, gcol_ref = gcol;
      } else {
        EXPECT_TRUE(bit_equal(out, out_ref)) << threads << " threads, call " << call;
        EXPECT_TRUE(bit_equal(gpos, gpos_ref)) << threads << " threads, call " << call;
        EXPECT_TRUE(bit_equal(gcol, gcol_ref)) << threads << " threads, call " << call;
      }
    }
  }
  omp_set_num_threads(saved);
}

}  // namespace
}  // namespace invgfx
