// Soft rasterizer: finite-difference gradients (positions and colours, including pixels outside every
// triangle but within σ reach), the sharp limit against the hard rasterizer, and the softmax colour.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/rasterize.h"
#include "render/soft_rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

using raster_test::ndc;
using raster_test::perspective;

// Two overlapping triangles in perspective on a 14×12 image; σ = 3e-3 gives a reach of
// √(σ·ln(1/ε_d − 1)) ≈ 0.17 NDC ≈ 1.2 px, γ = 0.05 keeps the depth softmax smooth.
struct SoftScene {
  TensorD pos = perspective<double>({-1.3, -1.1, -3.0, 1.2, -0.9, -3.6, 0.1, 1.3, -3.2,  //
                                     -0.2, -0.6, -2.0, 0.9, 0.1, -2.4, -0.4, 0.8, -2.1},
                                    1.0, 14.0 / 12.0, 0.1, 10);
  std::vector<int32_t> faces = {0, 1, 2, 3, 4, 5};
  TensorD colors{6, 3};
  SoftRasterizeOptions opt;
  SoftScene() {
    Rng rng(9);
    rng.fill_uniform(colors, 0, 1);
    opt.width = 14, opt.height = 12, opt.sigma = 3e-3, opt.gamma = 0.05;
  }
};

// L = Σ w ⊙ out over colour and silhouette. The pipeline is smooth in the perturbed variables except
// on measure-zero sets (a face entering the cut-off, the closest edge switching, a barycentric
// crossing 0 in the clamp); with h = 1e-6 none is crossed at this configuration, so central
// differences are accurate to ~1e-9 relative; rtol 1e-5 allows for the stiff exp(z̃/γ) terms.
void check_soft_gradients(SoftScene& sc, const TensorD& w, const char* what) {
  SoftRasterizerD sr;
  TensorD out;
  auto loss = [&]() {
    sr.forward(sc.pos, sc.faces, sc.colors, sc.opt, out);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  };
  loss();
  TensorD dL_dpos, dL_dcolors;
  sr.backward(sc.pos, sc.faces, sc.colors, sc.opt, out, w, &dL_dpos, &dL_dcolors);
  double gnorm = 0;
  for (double g : dL_dpos) gnorm += g * g;
  EXPECT_GT(gnorm, 1e-8) << what;
  GradCheckOptions opt;
  auto rp = check_gradient<double>("clip positions", sc.pos.data(), sc.pos.numel(), dL_dpos.data(), loss, opt);
  EXPECT_TRUE(rp.ok) << what << ": " << rp.message();
  auto rc = check_gradient<double>("colours", sc.colors.data(), sc.colors.numel(), dL_dcolors.data(), loss, opt);
  EXPECT_TRUE(rc.ok) << what << ": " << rc.message();
}

TEST(RasterSoft, GradientsMatchFiniteDifferences) {
  SoftScene sc;
  TensorD w({4, 12, 14});
  Rng rng(4);
  rng.fill_uniform(w, -1, 1);
  check_soft_gradients(sc, w, "all pixels");
}

TEST(RasterSoft, PixelsOutsideTrianglesWithinReachGetGradients) {
  // The loss only sees pixels that no triangle covers; they still respond to the vertices (through
  // D of the nearby faces), and that response must match finite differences.
  SoftScene sc;
  SoftRasterizerD sr;
  TensorD out;
  sr.forward(sc.pos, sc.faces, sc.colors, sc.opt, out);
  TensorD w({4, 12, 14});
  Rng rng(6);
  rng.fill_uniform(w, -1, 1);
  int outside_lit = 0;
  for (int64_t p = 0; p < 12 * 14; ++p) {
    const bool outside = sr.nearest_face()[static_cast<size_t>(p)] < 0;
    if (outside && out[3 * 12 * 14 + p] > 1e-3) ++outside_lit;
    if (!outside)
      for (int c = 0; c < 4; ++c) w[c * 12 * 14 + p] = 0;
  }
  EXPECT_GT(outside_lit, 5);  // soft silhouette spills past the triangles
  check_soft_gradients(sc, w, "outside pixels only");
}

TEST(RasterSoft, SharpLimitMatchesHardCoverageAndColour) {
  // σ → 0: A becomes the hard coverage (Σ A within a perimeter's worth of pixels of the hard count,
  // as boundary pixels may sit at D ≈ ½) and a uniformly coloured single triangle shows its colour.
  const int W = 48, H = 40;
  Tensor pos = ndc<float>({-0.7, -0.6, 0.1, 0.65, -0.45, 0.1, 0.05, 0.7, 0.1});
  std::vector<int32_t> faces = {0, 1, 2};
  Tensor colors({3, 3});
  for (int i = 0; i < 3; ++i) colors.at(i, 0) = 0.2f, colors.at(i, 1) = 0.5f, colors.at(i, 2) = 0.9f;
  Rasterizer rz;
  RasterOutput r;
  rz.forward(pos, faces, {W, H}, r);
  SoftRasterizeOptions opt;
  opt.width = W, opt.height = H, opt.sigma = 1e-7;
  SoftRasterizer sr;
  Tensor out;
  sr.forward(pos, faces, colors, opt, out);
  double area = 0;
  const int64_t plane = int64_t(W) * H;
  for (int64_t p = 0; p < plane; ++p) area += out[3 * plane + p];
  EXPECT_NEAR(area, double(r.covered_pixels()), 0.5 * (W + H));
  for (int64_t p = 0; p < plane; ++p) {
    if (r.face[static_cast<size_t>(p)] < 0) continue;
    if (out[3 * plane + p] < 0.999f) continue;
    EXPECT_NEAR(out[p], 0.2f, 1e-4f);
    EXPECT_NEAR(out[plane + p], 0.5f, 1e-4f);
    EXPECT_NEAR(out[2 * plane + p], 0.9f, 1e-4f);
    EXPECT_EQ(sr.nearest_face()[static_cast<size_t>(p)], 0);
    EXPECT_NEAR(sr.depth()[p], 0.1f, 1e-5f);
  }
}

TEST(RasterSoft, SoftmaxPrefersNearerSurface) {
  // Two coplanar-in-screen triangles at different depths, small γ: the colour is the nearer one's.
  Tensor pos = ndc<float>({-0.8, -0.8, 0.5, 0.8, -0.8, 0.5, 0.0, 0.8, 0.5,  //
                           -0.8, -0.8, -0.5, 0.8, -0.8, -0.5, 0.0, 0.8, -0.5});
  Tensor colors({6, 1});
  for (int i = 0; i < 6; ++i) colors[i] = i < 3 ? 1.f : 0.f;
  SoftRasterizeOptions opt;
  opt.width = 16, opt.height = 16;
  SoftRasterizer sr;
  Tensor out;
  sr.forward(pos, {0, 1, 2, 3, 4, 5}, colors, opt, out);
  EXPECT_NEAR(out.at(0, 8, 8), 0.f, 1e-5f);
  EXPECT_NEAR(out.at(1, 8, 8), 1.f, 1e-5f);
  sr.forward(pos, {3, 4, 5, 0, 1, 2}, colors, opt, out);
  EXPECT_NEAR(out.at(0, 8, 8), 0.f, 1e-5f);
  SoftRasterizeOptions bad = opt;
  bad.sigma = 0;
  EXPECT_THROW(sr.forward(pos, {0, 1, 2}, colors, bad, out), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
