// Soft rasterizer on triangles that cross the near or far plane: they are clipped in clip space and
// drawn as fans of sub-triangles. Finite-difference gradients to the source vertices (through the
// cut points' motion), agreement with the hard rasterizer's exact clipping in the sharp limit, and
// the clip trace's own backward.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/clip.h"
#include "render/rasterize.h"
#include "render/soft_rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

using raster_test::perspective;

// Eye-space triangles (camera looking down −z) with near = 1.5 and far = 10, so that the cuts land
// on screen: face 0 has one vertex nearer than the near plane (the visible part is a quad → two fan
// triangles), face 1 two (one triangle), face 2 one beyond the far plane, face 3 one behind the
// camera (w < 0).
std::vector<double> clipped_scene_eye() {
  return {-0.2, -1.6, -3.0, 1.6, -1.4, -3.0, 0.8, 0.2, -1.0,     // face 0, lower right
          0.3, 0.6, -1.0, 1.2, 0.5, -1.2, 0.6, 1.2, -4.0,        // face 1, upper right
          -3.0, 1.0, -6.0, -0.5, 0.6, -6.5, -2.5, 4.0, -14.0,    // face 2, upper left
          -2.0, -0.2, -3.0, -0.5, -1.5, -3.2, -0.3, -0.3, 0.5};  // face 3, lower left
}

TEST(RasterSoftClip, ClippedTrianglesGradientsMatchFiniteDifferences) {
  const int W = 14, H = 12;
  TensorD pos = perspective<double>(clipped_scene_eye(), 1.0, double(W) / H, 1.5, 10);
  std::vector<int32_t> faces(12);
  for (int i = 0; i < 12; ++i) faces[static_cast<size_t>(i)] = i;
  // Every face crosses a plane.
  for (int f = 0; f < 4; ++f) {
    bool outside = false;
    for (int k = 0; k < 3; ++k) {
      const int64_t v = 3 * f + k;
      outside = outside || pos.at(v, 3) + pos.at(v, 2) < 0 || pos.at(v, 3) - pos.at(v, 2) < 0;
    }
    ASSERT_TRUE(outside) << "face " << f;
  }
  TensorD colors({12, 3}), w({4, H, W});
  Rng rng(21);
  rng.fill_uniform(colors, 0, 1);
  rng.fill_uniform(w, -1, 1);
  SoftRasterizeOptions opt;
  opt.width = W, opt.height = H, opt.sigma = 3e-3, opt.gamma = 0.05;
  SoftRasterizerD sr;
  TensorD out;
  auto loss = [&]() {
    sr.forward(pos, faces, colors, opt, out);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  };
  loss();
  // Every clipped face is drawn (it is the nearest covering face somewhere).
  std::vector<int> seen(4, 0);
  for (int32_t f : sr.nearest_face())
    if (f >= 0) ++seen[static_cast<size_t>(f)];
  for (int f = 0; f < 4; ++f) EXPECT_GT(seen[static_cast<size_t>(f)], 2) << "face " << f;
  for (double v : out) ASSERT_TRUE(std::isfinite(v));
  TensorD dL_dpos, dL_dcolors;
  sr.backward(pos, faces, colors, opt, out, w, &dL_dpos, &dL_dcolors);
  // Each face's vertices all get gradients, including the ones outside the planes (through the cuts).
  for (int v = 0; v < 12; ++v) {
    double n = 0;
    for (int k = 0; k < 4; ++k) n += dL_dpos.at(v, k) * dL_dpos.at(v, k);
    EXPECT_GT(n, 1e-10) << "vertex " << v;
  }
  GradCheckOptions o;
  auto rp = check_gradient<double>("clip positions", pos.data(), pos.numel(), dL_dpos.data(), loss, o);
  EXPECT_TRUE(rp.ok) << rp.message();
  auto rc = check_gradient<double>("colours", colors.data(), colors.numel(), dL_dcolors.data(), loss, o);
  EXPECT_TRUE(rc.ok) << rc.message();
}

TEST(RasterSoftClip, SharpLimitMatchesHardRasterizerClipping) {
  // σ → 0: the soft coverage of the clipped pieces is the hard rasterizer's exact (unsplit) clipping,
  // the nearest face agrees wherever the soft silhouette is solid, and the depth of the clipped
  // pieces is the plane's (z/w is affine on screen, so the fan triangles interpolate it exactly).
  const int W = 48, H = 40;
  Tensor pos = perspective<float>(clipped_scene_eye(), 1.0, double(W) / H, 1.5, 10);
  std::vector<int32_t> faces(12);
  for (int i = 0; i < 12; ++i) faces[static_cast<size_t>(i)] = i;
  Tensor colors({12, 1}, 1.0f);
  Rasterizer rz;
  RasterOutput r;
  rz.forward(pos, faces, {W, H}, r);
  SoftRasterizeOptions opt;
  opt.width = W, opt.height = H, opt.sigma = 1e-7;
  SoftRasterizer sr;
  Tensor out;
  sr.forward(pos, faces, colors, opt, out);
  const int64_t plane = int64_t(W) * H;
  double area = 0;
  for (int64_t p = 0; p < plane; ++p) area += out[plane + p];
  ASSERT_GT(r.covered_pixels(), 300);
  EXPECT_NEAR(area, double(r.covered_pixels()), 0.5 * (W + H));
  int solid = 0;
  for (int64_t p = 0; p < plane; ++p) {
    if (out[plane + p] < 0.999f) continue;
    ++solid;
    EXPECT_EQ(sr.nearest_face()[static_cast<size_t>(p)], r.face[static_cast<size_t>(p)]) << "pixel " << p;
    if (r.face[static_cast<size_t>(p)] >= 0) {
      EXPECT_NEAR(sr.depth()[p], r.rast[2 * plane + p], 2e-5f) << "pixel " << p;
    }
  }
  EXPECT_GT(solid, 300);
}

TEST(RasterSoftClip, ClipTraceBackwardMatchesFiniteDifferences) {
  // L = Σ_nodes Σ_k g_nk · node_k(p) over every polygon node's position and source weights, for
  // triangles cut by one plane, by both, and with two vertices outside one plane.
  const std::vector<std::vector<double>> cases = {
      {0.1, 0.2, -1.3, 1.0, -0.5, 0.3, 0.4, 1.0, 0.6, -0.2, 0.9, 1.1},   // near cuts one vertex
      {0.1, 0.2, -1.3, 1.0, -0.5, 0.3, -1.2, 0.9, 0.6, -0.2, 0.3, 1.1},  // near cuts two
      {0.1, 0.2, -1.3, 1.0, -0.5, 0.3, 2.4, 2.0, 0.6, -0.2, 0.3, 1.1},   // near and far
  };
  Rng rng(3);
  for (const auto& c : cases) {
    std::vector<double> p = c;
    double g[ClipTraceT<double>::kMaxNodes][7];
    for (auto& row : g)
      for (double& v : row) v = rng.uniform_d(-1, 1);
    auto loss = [&]() {
      ClipTraceT<double> tr;
      clip_triangle_traced(p.data(), p.data() + 4, p.data() + 8, tr);
      double s = 0;
      for (int i = 0; i < tr.num_nodes; ++i) {
        for (int k = 0; k < 4; ++k) s += g[i][k] * tr.node[i].p[k];
        for (int k = 0; k < 3; ++k) s += g[i][4 + k] * tr.node[i].b[k];
      }
      return s;
    };
    ClipTraceT<double> tr;
    ASSERT_GE(clip_triangle_traced(p.data(), p.data() + 4, p.data() + 8, tr), 3);
    EXPECT_GT(tr.num_nodes, 3);
    // The traced polygon is the plain clipper's.
    ClipVertexT<double> plain[kMaxClipVertices];
    ASSERT_EQ(clip_triangle_near_far(p.data(), p.data() + 4, p.data() + 8, plain), tr.n);
    for (int i = 0; i < tr.n; ++i)
      for (int k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ(plain[i].p[k], tr.node[tr.poly[i]].p[k]);
    double ng[ClipTraceT<double>::kMaxNodes][7];
    for (int i = 0; i < ClipTraceT<double>::kMaxNodes; ++i)
      for (int k = 0; k < 7; ++k) ng[i][k] = g[i][k];
    double src[12] = {};
    clip_triangle_traced_backward(tr, ng, src);
    auto rep = check_gradient<double>("clip trace", p.data(), 12, src, loss, GradCheckOptions{});
    EXPECT_TRUE(rep.ok) << rep.message();
  }
}

}  // namespace
}  // namespace invgfx
