// Hard rasterization and interpolation: golden coverage counts against analytic/brute-force
// references, depth ordering, near-plane clipping, robustness, and finite-difference gradients.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/interpolate.h"
#include "render/rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>

namespace invgfx {
namespace {

using raster_test::ndc;
using raster_test::perspective;

constexpr double kFov = 1.0;  // rad, vertical field of view of the perspective tests

// Brute-force reference for perspective scenes: the eye ray through pixel centre (x, y) of a W×H
// image hits triangle (a, b, c) (eye space) at a point with near ≤ −z ≤ far? Returns the hit's eye
// point in `hit`. Independent of the rasterizer's homogeneous formulation.
bool ray_hits(const Eigen::Vector3d& a, const Eigen::Vector3d& b, const Eigen::Vector3d& c, int x, int y, int W, int H,
              double near, double far, Eigen::Vector3d* hit) {
  const double f = 1.0 / std::tan(0.5 * kFov), aspect = double(W) / H;
  const double nx = (2.0 * x + 1) / W - 1, ny = 1 - (2.0 * y + 1) / H;
  const Eigen::Vector3d d(nx * aspect / f, ny / f, -1.0);
  const Eigen::Vector3d n = (b - a).cross(c - a);
  const double dn = d.dot(n);
  if (dn == 0) return false;
  const double t = a.dot(n) / dn;
  if (t < near || t > far) return false;  // −z of the hit is t because d.z = −1
  const Eigen::Vector3d p = t * d;
  const double s0 = (b - p).cross(c - p).dot(n), s1 = (c - p).cross(a - p).dot(n), s2 = (a - p).cross(b - p).dot(n);
  if (s0 < 0 || s1 < 0 || s2 < 0) return false;
  if (hit) *hit = p;
  return true;
}

TEST(RasterHard, AxisAlignedRectangleCoversExactPixelCount) {
  // Rectangle [x0, x1] × [y0, y1] in NDC as two triangles: the covered pixels are exactly those whose
  // centre lies inside, a count that follows from the pixel-centre formula alone.
  const int W = 80, H = 60;
  const double x0 = -0.3, x1 = 0.45, y0 = -0.62, y1 = 0.2;
  Tensor pos = ndc<float>({x0, y0, 0, x1, y0, 0, x1, y1, 0, x0, y1, 0});
  std::vector<int32_t> faces = {0, 1, 2, 0, 2, 3};
  Rasterizer rz;
  RasterOutput r;
  rz.forward(pos, faces, {W, H}, r);
  int nx = 0, ny = 0;
  for (int x = 0; x < W; ++x) nx += ((2.0 * x + 1) / W - 1 > x0 && (2.0 * x + 1) / W - 1 < x1);
  for (int y = 0; y < H; ++y) ny += (1 - (2.0 * y + 1) / H > y0 && 1 - (2.0 * y + 1) / H < y1);
  EXPECT_EQ(r.covered_pixels(), int64_t(nx) * ny);
  // Pixel-aligned square: NDC [−0.5, 0.5]² of a 64² image is exactly 32×32 pixels.
  Tensor sq = ndc<float>({-0.5, -0.5, 0, 0.5, -0.5, 0, 0.5, 0.5, 0, -0.5, 0.5, 0});
  rz.forward(sq, faces, {64, 64}, r);
  EXPECT_EQ(r.covered_pixels(), 32 * 32);
  EXPECT_EQ(r.face_at(16, 16) + 1, r.rast.at(3, 16, 16));
  EXPECT_EQ(r.face_at(15, 16), -1);
  EXPECT_EQ(r.rast.at(3, 15, 16), 0.f);
}

TEST(RasterHard, PerspectivePlaneMatchesRayCastingAndInterpolatesEyePoints) {
  // A tilted quad in perspective: coverage against brute-force ray casting, and the interpolated
  // eye-space positions against the ray hit points (perspective-correct barycentrics).
  const int W = 48, H = 40;
  const double near = 0.1, far = 50;
  std::vector<double> eye = {-1.2, -0.9, -2.0, 1.1, -0.7, -4.5, 0.9, 1.0, -5.0, -1.0, 0.8, -2.5};
  Tensor pos = perspective<float>(eye, kFov, double(W) / H, near, far);
  std::vector<int32_t> faces = {0, 1, 2, 0, 2, 3};
  Tensor attr({4, 3});
  for (int i = 0; i < 12; ++i) attr[i] = float(eye[static_cast<size_t>(i)]);
  Rasterizer rz;
  RasterOutput r;
  rz.forward(pos, faces, {W, H}, r);
  Interpolator ip;
  Tensor img;
  ip.forward(attr, faces, r, img);
  auto v = [&](int i) { return Eigen::Vector3d(eye[3 * i], eye[3 * i + 1], eye[3 * i + 2]); };
  int mismatches = 0, covered = 0;
  double max_err = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      Eigen::Vector3d hit;
      const bool ref = ray_hits(v(0), v(1), v(2), x, y, W, H, near, far, &hit) ||
                       ray_hits(v(0), v(2), v(3), x, y, W, H, near, far, &hit);
      const bool got = r.face_at(x, y) >= 0;
      mismatches += ref != got;
      covered += got;
      if (ref && got)
        for (int c = 0; c < 3; ++c) max_err = std::max(max_err, std::abs(double(img.at(c, y, x)) - hit[c]));
    }
  EXPECT_GT(covered, 300);
  EXPECT_EQ(mismatches, 0);
  // float32 barycentrics: a few ulps of coordinates of size ~5.
  EXPECT_LT(max_err, 1e-4);
}

TEST(RasterHard, DepthTestKeepsNearerSurfaceInAnyOrder) {
  // Two overlapping triangles at NDC depths 0.2 and −0.3; the nearer (−0.3) must win regardless of
  // its position in the face list, and z/w must be reported.
  for (int order = 0; order < 2; ++order) {
    Tensor pos = ndc<float>({-0.8, -0.8, 0.2, 0.8, -0.8, 0.2, 0.0, 0.8, 0.2,  //
                             -0.8, 0.8, -0.3, 0.0, -0.8, -0.3, 0.8, 0.8, -0.3});
    std::vector<int32_t> faces = order == 0 ? std::vector<int32_t>{0, 1, 2, 3, 4, 5} : std::vector<int32_t>{3, 4, 5, 0, 1, 2};
    const int near_face = order == 0 ? 1 : 0;
    Rasterizer rz;
    RasterOutput r;
    rz.forward(pos, faces, {32, 32}, r);
    // Pixel (16, 14) lies in both triangles.
    EXPECT_EQ(r.face_at(16, 14), near_face);
    EXPECT_NEAR(r.rast.at(2, 14, 16), -0.3f, 1e-6f);
    // Near the bottom-left only the far triangle covers.
    EXPECT_EQ(r.face_at(4, 27), 1 - near_face);
    EXPECT_NEAR(r.rast.at(2, 27, 4), 0.2f, 1e-6f);
  }
}

TEST(RasterHard, TriangleCrossingNearPlaneRendersItsVisiblePart) {
  // One vertex behind the camera (z = +1), one between the eye and the near plane, one in front:
  // exactly the pixels whose ray hits the triangle beyond `near` must be covered — the triangle is
  // neither dropped nor smeared across the screen.
  const int W = 40, H = 40;
  const double near = 0.5, far = 20;
  std::vector<double> eye = {-0.5, -0.4, 1.0, 0.6, -0.3, -0.3, 0.1, 0.8, -3.0};
  Tensor pos = perspective<float>(eye, kFov, 1.0, near, far);
  std::vector<int32_t> faces = {0, 1, 2};
  Rasterizer rz;
  RasterOutput r;
  rz.forward(pos, faces, {W, H}, r);
  auto v = [&](int i) { return Eigen::Vector3d(eye[3 * i], eye[3 * i + 1], eye[3 * i + 2]); };
  int mismatches = 0, expected = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const bool ref = ray_hits(v(0), v(1), v(2), x, y, W, H, near, far, nullptr);
      expected += ref;
      mismatches += ref != (r.face_at(x, y) >= 0);
      if (r.face_at(x, y) >= 0) {
        EXPECT_GE(r.rast.at(2, y, x), -1.f);
        EXPECT_GE(r.rast.at(0, y, x), 0.f);
        EXPECT_GE(r.rast.at(1, y, x), 0.f);
        EXPECT_LE(r.rast.at(0, y, x) + r.rast.at(1, y, x), 1.f + 1e-5f);
      }
    }
  EXPECT_GT(expected, 100);
  EXPECT_LT(expected, W * H);
  EXPECT_EQ(mismatches, 0);
}

TEST(RasterHard, CullingDegenerateAndBehindCameraTrianglesStayFinite) {
  // CCW (front) and CW (back) triangles; zero-area, collinear, fully behind the camera, w = 0 and
  // huge-coordinate triangles. Every output must be finite, culling must drop the right side.
  Tensor pos({18, 4});
  const float raw[18][4] = {
      {-0.9f, -0.9f, 0, 1}, {-0.1f, -0.9f, 0, 1}, {-0.5f, -0.1f, 0, 1},  // CCW, front
      {0.1f, -0.9f, 0, 1},  {0.5f, -0.1f, 0, 1},  {0.9f, -0.9f, 0, 1},   // CW, back
      {0.3f, 0.3f, 0, 1},   {0.3f, 0.3f, 0, 1},   {0.3f, 0.3f, 0, 1},    // a point
      {-0.5f, 0.5f, 0, 1},  {0.0f, 0.5f, 0, 1},   {0.5f, 0.5f, 0, 1},    // collinear
      {0.1f, 0.1f, 0.5f, -1}, {0.9f, 0.1f, 0.5f, -1}, {0.5f, 0.9f, 0.5f, -1},  // behind (w < 0)
      {0.0f, 0.0f, 0.0f, 0}, {1e30f, -1e30f, 0.0f, 1e-30f}, {-1e30f, 3e29f, 1e30f, 1e30f}};  // w = 0, huge
  for (int i = 0; i < 18; ++i)
    for (int k = 0; k < 4; ++k) pos.at(i, k) = raw[i][k];
  std::vector<int32_t> faces;
  for (int i = 0; i < 18; ++i) faces.push_back(i);
  Tensor attr({18, 3});
  Rng rng(3);
  rng.fill_uniform(attr, 0, 1);
  for (CullMode cull : {CullMode::kNone, CullMode::kBack, CullMode::kFront}) {
    Rasterizer rz;
    RasterOutput r;
    RasterizeOptions opt{32, 32, cull};
    rz.forward(pos, faces, opt, r);
    for (float v : r.rast) ASSERT_TRUE(std::isfinite(v));
    const bool front = r.face_at(11, 26) == 0, back = r.face_at(20, 26) == 1;
    EXPECT_EQ(front, cull != CullMode::kFront);
    EXPECT_EQ(back, cull != CullMode::kBack);
    for (int32_t f : r.face) EXPECT_TRUE(f < 0 || f <= 1 || f == 5) << "face " << f;
    Interpolator ip;
    Tensor img, dL_dimg, dL_dattr, dL_drast, dL_dpos;
    ip.forward(attr, faces, r, img);
    dL_dimg.resize(img.shape());
    dL_dimg.fill(1.f);
    ip.backward(attr, faces, r, dL_dimg, &dL_dattr, &dL_drast);
    rz.backward(pos, faces, r, dL_drast, dL_dpos);
    for (float v : img) ASSERT_TRUE(std::isfinite(v));
    for (float v : dL_dpos) ASSERT_TRUE(std::isfinite(v));
    for (float v : dL_dattr) ASSERT_TRUE(std::isfinite(v));
  }
}

TEST(RasterHard, BadInputsThrowClearErrors) {
  Rasterizer rz;
  RasterOutput r;
  Tensor bad({3, 3});
  EXPECT_THROW(rz.forward(bad, {0, 1, 2}, {8, 8}, r), std::invalid_argument);
  Tensor pos = ndc<float>({0, 0, 0, 1, 0, 0, 0, 1, 0});
  EXPECT_THROW(rz.forward(pos, {0, 1, 3}, {8, 8}, r), std::invalid_argument);
  EXPECT_THROW(rz.forward(pos, {0, 1}, {8, 8}, r), std::invalid_argument);
  EXPECT_THROW(rz.forward(pos, {0, 1, 2}, {0, 8}, r), std::invalid_argument);
}

// Rasterize + interpolate in double: loss L = Σ w ⊙ interpolate(A) with fixed random w. Coverage is
// piecewise constant, and with h = 1e-6 no pixel centre crosses an edge (the nearest centre is ≫ h
// away for these coordinates), so L is smooth in the perturbed variables and central differences are
// accurate to ~1e-9 relative; rtol 1e-5 leaves room for the O(h²) truncation of the 1/S terms.
void check_raster_interpolate_gradients(const TensorD& pos0, const std::vector<int32_t>& faces, int W, int H) {
  TensorD pos = pos0;
  const int64_t V = pos.dim(0);
  TensorD attr({V, 3});
  Rng rng(11);
  rng.fill_uniform(attr, -1, 1);
  TensorD w({3, H, W});
  rng.fill_uniform(w, -1, 1);
  RasterizerD rz;
  InterpolatorD ip;
  RasterOutputD r;
  TensorD img;
  auto loss = [&]() {
    rz.forward(pos, faces, {W, H}, r);
    ip.forward(attr, faces, r, img);
    double s = 0;
    for (int64_t i = 0; i < img.numel(); ++i) s += w[i] * img[i];
    return s;
  };
  loss();
  ASSERT_GT(r.covered_pixels(), 20);
  TensorD dL_dattr, dL_drast, dL_dpos;
  ip.backward(attr, faces, r, w, &dL_dattr, &dL_drast);
  rz.backward(pos, faces, r, dL_drast, dL_dpos);
  GradCheckOptions opt;
  auto ra = check_gradient<double>("attributes", attr.data(), attr.numel(), dL_dattr.data(), loss, opt);
  EXPECT_TRUE(ra.ok) << ra.message();
  auto rp = check_gradient<double>("clip positions", pos.data(), pos.numel(), dL_dpos.data(), loss, opt);
  EXPECT_TRUE(rp.ok) << rp.message();
  double gnorm = 0;
  for (double g : dL_dpos) gnorm += g * g;
  EXPECT_GT(gnorm, 1e-6);  // the check is not vacuous
}

TEST(RasterHard, GradientsMatchFiniteDifferencesInPerspective) {
  std::vector<double> eye = {-1.2, -0.9, -2.0, 1.1, -0.7, -4.5, 0.9, 1.0, -5.0, -1.0, 0.8, -2.5};
  check_raster_interpolate_gradients(perspective<double>(eye, kFov, 1.25, 0.1, 50), {0, 1, 2, 0, 2, 3}, 15, 12);
}

TEST(RasterHard, GradientsMatchFiniteDifferencesForClippedTriangle) {
  // The near-plane-crossing triangle: barycentrics stay those of the original triangle, so the
  // closed-form gradient holds on its visible part.
  std::vector<double> eye = {-0.5, -0.4, 1.0, 0.6, -0.3, -0.3, 0.1, 0.8, -3.0};
  check_raster_interpolate_gradients(perspective<double>(eye, kFov, 1.0, 0.5, 20), {0, 1, 2}, 14, 14);
}

}  // namespace
}  // namespace invgfx
