// What the soft mode is for (the rasterizer issue: "coarse pose search and silhouette fitting"):
// recovering a camera's orbit pose from an object's silhouette alone, starting 20–26° away in azimuth
// and elevation (silhouettes alone have mirror-like local minima further out, so a search from
// farther away needs several starts). The soft silhouette gives the loss a gradient wherever the two
// outlines differ, and σ shrinks during the search (3e-4 → 2e-5 in squared NDC, a reach of 1.7 →
// 0.4 px at 64 px) so that the pose ends sharp. σ cannot start much larger with a fine mesh: once the
// reach exceeds the faces' size, the interior's coverage 1 − Π(1 − D_j) falls below 1 (SoftRas'
// aggregate), and the loss then prefers poses with less outline over the true one. The remaining
// error (0.1–1.1° here) is the point-sampled target's pixel quantisation at 64 px.
#include "render/camera.h"
#include "render/mesh_templates.h"
#include "render/rasterize.h"
#include "render/soft_rasterize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace invgfx {
namespace {

constexpr int kSize = 64;

// An egg stretched along x with a tilted bulge: no mirror or rotational symmetry that an orbit pose
// could confuse within the search range.
Mesh asymmetric_blob() {
  Mesh m = make_icosphere<float>(3, 1.f);
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    const float x = m.positions.at(i, 0), y = m.positions.at(i, 1), z = m.positions.at(i, 2);
    const float r = 1.f + 0.3f * x + 0.2f * y + 0.25f * y * z;
    m.positions.at(i, 0) = 1.5f * r * x, m.positions.at(i, 1) = r * y, m.positions.at(i, 2) = 0.7f * r * z;
  }
  return m;
}

Camera orbit_camera(float azimuth, float elevation) {
  Camera c(CameraIntrinsics::from_vertical_fov(45.0 * M_PI / 180.0, kSize, kSize, 0.1, 20), PoseParameterization::kOrbit);
  c.set_orbit(azimuth, elevation, 5.f);
  return c;
}

double deg(double rad) { return rad * 180.0 / M_PI; }

struct PoseCase {
  float true_az, true_el, start_az, start_el;
};

class SoftPoseSearch : public ::testing::TestWithParam<PoseCase> {};

TEST_P(SoftPoseSearch, RecoversTheOrbitPoseFromTheSilhouette) {
  const PoseCase pc = GetParam();
  const Mesh mesh = asymmetric_blob();
  // Target: the hard rasterizer's coverage at the true pose.
  Camera truth = orbit_camera(pc.true_az, pc.true_el);
  Tensor clip;
  truth.forward(mesh.positions, clip);
  Rasterizer rz;
  RasterOutput target;
  rz.forward(clip, mesh.faces, {kSize, kSize}, target);
  const int64_t P = int64_t(kSize) * kSize;

  Camera cam = orbit_camera(pc.start_az, pc.start_el);
  SoftRasterizer sr;
  SoftRasterizeOptions opt;
  opt.width = opt.height = kSize;
  Tensor colors({mesh.num_vertices(), 1}, 0.f), out, d_out({2, kSize, kSize}, 0.f), d_clip, d_world;
  // Adam on azimuth and elevation only (distance and roll stay known).
  double m[2] = {0, 0}, v[2] = {0, 0};
  const int steps = 400;
  for (int step = 0; step < steps; ++step) {
    opt.sigma = 3e-4 * std::pow(2e-5 / 3e-4, double(step) / (steps - 1));  // 3e-4 → 2e-5
    cam.forward(mesh.positions, clip);
    sr.forward(clip, mesh.faces, colors, opt, out);
    // L = ½ mean (A − target)² over the silhouette channel.
    for (int64_t p = 0; p < P; ++p)
      d_out[P + p] = (out[P + p] - (target.face[static_cast<size_t>(p)] >= 0 ? 1.f : 0.f)) / float(P);
    d_clip.resize(clip.shape()), d_clip.zero();
    sr.backward(clip, mesh.faces, colors, opt, out, d_out, &d_clip, nullptr);
    cam.orbit.zero_grad();
    d_world.resize(mesh.positions.shape()), d_world.zero();
    cam.backward(mesh.positions, clip, d_clip, &d_world);
    const double lr = 0.05 * std::pow(0.1, double(step) / steps), b1 = 0.9, b2 = 0.999;
    for (int k = 0; k < 2; ++k) {
      const double g = cam.orbit.grad[k];
      m[k] = b1 * m[k] + (1 - b1) * g, v[k] = b2 * v[k] + (1 - b2) * g * g;
      const double mh = m[k] / (1 - std::pow(b1, step + 1)), vh = v[k] / (1 - std::pow(b2, step + 1));
      cam.orbit.value[k] -= static_cast<float>(lr * mh / (std::sqrt(vh) + 1e-12));
    }
    cam.orbit.value[1] = std::clamp(cam.orbit.value[1], -1.4f, 1.4f);  // the orbit is singular at the poles
  }
  const double az_err = deg(std::abs(std::remainder(double(cam.orbit.value[0]) - pc.true_az, 2 * M_PI)));
  const double el_err = deg(std::abs(double(cam.orbit.value[1]) - pc.true_el));
  EXPECT_LT(az_err, 2.0) << "azimuth started " << deg(std::abs(pc.start_az - pc.true_az)) << "° off";
  EXPECT_LT(el_err, 2.0) << "elevation started " << deg(std::abs(pc.start_el - pc.true_el)) << "° off";
  // The recovered silhouette, point-sampled, overlaps the target's.
  cam.forward(mesh.positions, clip);
  RasterOutput fitted;
  rz.forward(clip, mesh.faces, {kSize, kSize}, fitted);
  int64_t inter = 0, uni = 0;
  for (int64_t p = 0; p < P; ++p) {
    const bool a = fitted.face[static_cast<size_t>(p)] >= 0, b = target.face[static_cast<size_t>(p)] >= 0;
    inter += a && b, uni += a || b;
  }
  EXPECT_GT(double(inter) / double(uni), 0.97);
}

INSTANTIATE_TEST_SUITE_P(StartsFarAway, SoftPoseSearch,
                         ::testing::Values(PoseCase{0.6f, 0.35f, 0.25f, 0.0f},     // 20° and 20° off
                                           PoseCase{-0.9f, -0.2f, -0.5f, 0.15f},   // 23° and 20° off
                                           PoseCase{2.0f, 0.5f, 2.45f, 0.1f}));    // 26° and 23° off

}  // namespace
}  // namespace invgfx
