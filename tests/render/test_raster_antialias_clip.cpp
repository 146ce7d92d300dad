// Antialiasing of faces cut by the near or far plane, or by both: the visible parts of their edges
// and the cut lines are blended, and their gradients reach the vertices past the planes through the
// cut points.
// Checked against finite differences and against the derivative of the clipped polygon's analytic
// screen area (the visibility gradient the blends stand for).
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/antialias.h"
#include "render/clip.h"
#include "render/interpolate.h"
#include "render/rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

namespace invgfx {
namespace {

using raster_test::perspective;

struct Chain {
  RasterizerD rz;
  InterpolatorD ip;
  AntialiaserD aa;
  RasterOutputD r;
  TensorD img, out, d_img, d_rast;

  double loss(const TensorD& pos, const std::vector<int32_t>& faces, const TensorD& colors, const TensorD& w, int W,
              int H) {
    rz.forward(pos, faces, {W, H}, r);
    ip.forward(colors, faces, r, img);
    aa.forward(img, pos, faces, r, out);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  }
  void backward(const TensorD& pos, const std::vector<int32_t>& faces, const TensorD& colors, const TensorD& w,
                TensorD& dL_dpos, TensorD& dL_dcolors) {
    d_img.resize(img.shape());
    d_img.zero();
    d_rast.resize({4, r.height, r.width});
    d_rast.zero();
    aa.backward(img, pos, faces, r, w, &d_img, &dL_dpos);
    ip.backward(colors, faces, r, d_img, &dL_dcolors, &d_rast);
    rz.backward(pos, faces, r, d_rast, dL_dpos);
  }
};

// Eye-space triangles (near = 1.5, far = 10) whose cuts land on the screen.
const std::vector<double> kOneNear = {-1.0, -0.9, -3.0, 1.1, -0.7, -3.2, 0.1, 0.9, -0.8};  // C past near
const std::vector<double> kTwoNear = {-1.0, -0.9, -3.0, 1.1, -0.7, -1.0, 0.1, 0.9, -0.8};  // B, C past near
const std::vector<double> kOneFar = {-1.5, -1.5, -6.0, 2.0, -1.2, -6.5, 0.2, 3.0, -14.0};  // C past far
const std::vector<double> kNearAndFar = {-0.8, -0.6, -4.0, 0.5, -0.4, -0.9, 1.5, 2.5, -14.0};  // B near, C far
const std::vector<double> kStrip = {-0.8, -0.6, -1.0, 0.6, -0.5, -1.2, 0.3, 2.5, -15.0};  // A, B near; C far

// Pixel area of the visible part of triangle 0 of `pos` (clip space), from the clipped polygon.
double visible_area(const TensorD& pos, int W, int H) {
  ClipVertexT<double> poly[kMaxClipVertices];
  const int n = clip_triangle_near_far(pos.data(), pos.data() + 4, pos.data() + 8, poly);
  double a = 0;
  for (int i = 0; i < n; ++i) {
    const ClipVertexT<double>& p = poly[i];
    const ClipVertexT<double>& q = poly[(i + 1) % n];
    const double px = (p.p[0] / p.p[3] + 1) * 0.5 * W, py = (1 - p.p[1] / p.p[3]) * 0.5 * H;
    const double qx = (q.p[0] / q.p[3] + 1) * 0.5 * W, qy = (1 - q.p[1] / q.p[3]) * 0.5 * H;
    a += px * qy - qx * py;
  }
  return 0.5 * std::abs(a);
}

TEST(RasterAntialiasClip, CoverageGradientOfClippedFacesMatchesTheVisibleAreaDerivative) {
  // A white face on black: Σ antialias(image) ≈ visible area in pixels, so its gradient with respect
  // to the clip positions (all of x, y, z, w: the cut points move with z and w) should be the area's.
  // Without blending of the partial edges and the cut lines, a third or more of the outline would
  // contribute nothing and the vertices past a plane would get no gradient (relative error ≈ 1;
  // with them, at 128 px: 0.015, 0.013, 0.027 for the one-plane cases, 0.018 and 0.009 for the two-
  // plane ones — the 1-D box-filter model is approximate at the outline's corners, as in
  // RasterAntialias.CoverageGradientMatchesAnalyticAreaDerivative, so more pixels make it closer).
  const int W = 128, H = 128;
  const std::vector<std::pair<const std::vector<double>*, const char*>> cases = {
      {&kOneNear, "one near"}, {&kTwoNear, "two near"}, {&kOneFar, "far"},
      {&kNearAndFar, "near and far (pentagon)"}, {&kStrip, "near and far (strip)"}};
  for (const auto& [eye, name] : cases) {
    TensorD pos = perspective<double>(*eye, 1.0, 1.0, 1.5, 10);
    const std::vector<int32_t> faces = {0, 1, 2};
    TensorD colors({3, 1}, 1.0), w({1, H, W}, 1.0);
    Chain c;
    c.loss(pos, faces, colors, w, W, H);
    ASSERT_GT(c.r.covered_pixels(), 200);
    TensorD dL_dpos({3, 4}), dL_dcolors({3, 1});
    c.backward(pos, faces, colors, w, dL_dpos, dL_dcolors);
    double err = 0, norm = 0;
    for (int64_t i = 0; i < 12; ++i) {
      const double h = 1e-6, keep = pos[i];
      pos[i] = keep + h;
      const double ap = visible_area(pos, W, H);
      pos[i] = keep - h;
      const double am = visible_area(pos, W, H);
      pos[i] = keep;
      const double ref = (ap - am) / (2 * h);
      err += (dL_dpos[i] - ref) * (dL_dpos[i] - ref);
      norm += ref * ref;
    }
    EXPECT_LT(std::sqrt(err / norm), 0.05) << name;
  }
}

// A clipped face `front` (eye space) with random vertex colours over a back face, W×H: blends against
// the background and against the other surface, through partial edges and cut lines. h = 1e-6 moves
// no pixel centre across coverage, so L is smooth in each perturbed variable (rtol as
// GradCheckOptions).
void check_clipped_face_over_back_face(const std::vector<double>& front, int W, int H, uint64_t seed, const char* what) {
  std::vector<double> eye = front;
  eye.insert(eye.end(), {-2.0, -1.8, -5.0, 2.2, -1.6, -5.5, 0.2, 2.4, -5.2});
  TensorD pos = perspective<double>(eye, 1.0, double(W) / H, 1.5, 10);
  const std::vector<int32_t> faces = {0, 1, 2, 3, 4, 5};
  TensorD colors({6, 3}), w({3, H, W});
  Rng rng(seed);
  rng.fill_uniform(colors, 0, 1);
  rng.fill_uniform(w, -1, 1);
  Chain c;
  auto loss = [&]() { return c.loss(pos, faces, colors, w, W, H); };
  loss();
  EXPECT_GT(c.aa.num_pairs(), 15) << what;
  TensorD dL_dpos({6, 4}), dL_dcolors({6, 3});
  c.backward(pos, faces, colors, w, dL_dpos, dL_dcolors);
  GradCheckOptions o;
  auto rp = check_gradient<double>("clip positions", pos.data(), pos.numel(), dL_dpos.data(), loss, o);
  EXPECT_TRUE(rp.ok) << what << ": " << rp.message();
  auto rc = check_gradient<double>("colours", colors.data(), colors.numel(), dL_dcolors.data(), loss, o);
  EXPECT_TRUE(rc.ok) << what << ": " << rc.message();
}

TEST(RasterAntialiasClip, GradientsThroughClippedEdgesMatchFiniteDifferences) {
  check_clipped_face_over_back_face(kOneNear, 20, 18, 12, "one near");
}

TEST(RasterAntialiasClip, FacesCutByBothPlanesGradientsMatchFiniteDifferences) {
  // A face from before the near plane to beyond the far one (the pentagon case), and a strip with no
  // vertex inside: partial edges with a cut at each end, and two cut lines per face.
  check_clipped_face_over_back_face(kNearAndFar, 22, 20, 13, "pentagon");
  check_clipped_face_over_back_face(kStrip, 22, 20, 13, "strip");
}

}  // namespace
}  // namespace invgfx
