// The scene renderer with a dataset's pinhole camera (scene.camera of 10 values): it draws what the
// orbit camera of the same pose draws, a world point lands on the pixel the OpenCV projection names
// (off-centre principal point, fx ≠ fy), and the backward passes central finite differences in
// double for every field, the camera's pose and intrinsics included, silhouette edges included.
#include "render/scene_render.h"

#include "core/gradcheck.h"
#include "core/random.h"
#include "render/mesh_templates.h"
#include "render/render_options.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

template <class T>
void set_pinhole(SceneT<T>& s, const Eigen::Matrix3d& R, const Eigen::Vector3d& t, double fx, double fy, double cx,
                 double cy) {
  const Eigen::Vector3d r = axis_angle_from_rotation(R);
  s.camera.resize({kPinholeCameraSize});
  for (int i = 0; i < 3; ++i) s.camera[i] = T(r(i)), s.camera[3 + i] = T(t(i));
  s.camera[6] = T(fx), s.camera[7] = T(fy), s.camera[8] = T(cx), s.camera[9] = T(cy);
}

template <class T>
SceneT<T> base_scene(const MeshT<T>& m, uint64_t seed) {
  Rng rng(seed);
  SceneT<T> s;
  s.positions = m.positions;
  s.texture.resize({3, 16, 32});
  rng.fill_uniform(s.texture, 0.1, 0.9);
  s.light.resize({27});
  rng.fill_uniform(s.light, -0.3, 0.3);
  for (int c = 0; c < 3; ++c) s.light[9 * c] = T(0.8);
  s.background.resize({3});
  s.background[0] = T(0.2), s.background[1] = T(0.5), s.background[2] = T(0.7);
  return s;
}

RenderOptions opts(int size, RasterMode mode) {
  RenderOptions o;
  o.size = size;
  o.fov_y = 0.7;
  o.mode = mode;
  o.sigma = 1e-3;
  return o;
}

TEST(ScenePinhole, SamePoseAsTheOrbitDrawsTheSameImage) {
  const Mesh m = make_scene_template(2);
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    const RenderOptions o = opts(48, mode);
    SceneRenderer r(m, o);
    Scene orbit = base_scene(m, 3);
    orbit.camera.resize({4});
    orbit.camera[0] = 0.4f, orbit.camera[1] = 0.3f, orbit.camera[2] = 3.1f, orbit.camera[3] = 0.2f;
    const CameraD cam = scene_camera(orbit, o);
    Eigen::Matrix3d R;
    Eigen::Vector3d t;
    cam.cam_from_world(R, t);
    const CameraIntrinsics k = cam.intrinsics();
    Scene pin = orbit;
    set_pinhole(pin, R, t, k.fx, k.fy, k.cx, k.cy);
    Tensor rgb_o, a_o, rgb_p, a_p;
    r.forward(orbit, rgb_o, a_o);
    r.forward(pin, rgb_p, a_p);
    double diff = 0;
    for (int64_t i = 0; i < rgb_o.numel(); ++i) diff = std::max(diff, double(std::abs(rgb_o[i] - rgb_p[i])));
    EXPECT_LT(diff, 1e-4) << to_string(mode);
    // and back to the orbit: the renderer does not keep the pinhole's intrinsics
    Tensor rgb_o2, a_o2;
    r.forward(orbit, rgb_o2, a_o2);
    for (int64_t i = 0; i < rgb_o.numel(); ++i) ASSERT_EQ(rgb_o[i], rgb_o2[i]);
  }
}

// A small quad at a known world point, seen by a camera with fx ≠ fy and an off-centre principal
// point: the silhouette's centroid is the OpenCV projection u = fx·x/z + cx, v = fy·y/z + cy.
TEST(ScenePinhole, KnownPointLandsOnItsHandComputedPixel) {
  const int S = 64;
  Mesh quad;
  const float h = 0.06f;
  const Eigen::Vector3d P(0.3, -0.2, 0.5);
  quad.positions = Tensor({4, 3});
  const float q[4][2] = {{-h, -h}, {h, -h}, {h, h}, {-h, h}};
  for (int i = 0; i < 4; ++i) {
    quad.positions.at(i, 0) = float(P.x()) + q[i][0];
    quad.positions.at(i, 1) = float(P.y()) + q[i][1];
    quad.positions.at(i, 2) = float(P.z());
  }
  quad.faces = {0, 1, 2, 0, 2, 3};
  quad.uvs = Tensor({4, 2}, 0.5f);
  quad.uv_faces = quad.faces;
  SceneRenderer r(quad, opts(S, RasterMode::kHard));
  Scene s = base_scene(quad, 5);
  s.positions = quad.positions;
  // World → camera: rotate 180° about y (the camera at +z looking towards −z) and move 3 back.
  Eigen::Matrix3d R;
  R << -1, 0, 0, 0, 1, 0, 0, 0, -1;
  const Eigen::Vector3d t(0.1, 0.05, 3.0);
  const double fx = 70, fy = 55, cx = 28.5, cy = 36.0;
  set_pinhole(s, R, t, fx, fy, cx, cy);
  Tensor rgb, alpha;
  r.forward(s, rgb, alpha);
  const Eigen::Vector3d X = R * P + t;  // (−0.2, −0.15, 2.5)
  const double u = fx * X.x() / X.z() + cx, v = fy * X.y() / X.z() + cy;
  EXPECT_NEAR(u, 70 * -0.2 / 2.5 + 28.5, 1e-12);
  double sw = 0, su = 0, sv = 0;
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      const double a = alpha[y * S + x];
      sw += a, su += a * x, sv += a * y;
    }
  ASSERT_GT(sw, 4);
  EXPECT_NEAR(su / sw, u, 0.15);
  EXPECT_NEAR(sv / sw, v, 0.15);
}

// L = Σ w ⊙ rgb + Σ w_a ⊙ alpha, double, h = 1e-6 (3e-6 soft, as the orbit's check says why);
// rtol 1e-5, atol 1e-8: the pinhole's ten values are checked with every other field.
void expect_pinhole_gradients(RasterMode mode) {
  MeshD mesh = make_icosphere<double>(2, 1.0);
  Rng rng(17);
  for (auto& v : mesh.positions) v *= 1 + 0.05 * rng.uniform_d(-1, 1);
  const int S = 32;
  SceneRendererD r(mesh.cast<float>(), opts(S, mode));
  SceneD s = base_scene(mesh, 9);
  Eigen::Matrix3d R = rotation_from_axis_angle<double>(Eigen::Vector3d(0.3, -0.5, 0.2));
  set_pinhole(s, R, Eigen::Vector3d(0.1, -0.05, 3.2), 30.0, 26.0, 14.2, 17.1);
  TensorD rgb, alpha, w_rgb({3, S, S}), w_a({1, S, S});
  rng.fill_uniform(w_rgb, -1, 1);
  rng.fill_uniform(w_a, -1, 1);
  auto loss = [&] {
    r.forward(s, rgb, alpha);
    double l = 0;
    for (int64_t i = 0; i < rgb.numel(); ++i) l += w_rgb[i] * rgb[i];
    for (int64_t i = 0; i < alpha.numel(); ++i) l += w_a[i] * alpha[i];
    return l;
  };
  loss();
  SceneD g = SceneD::zeros_like(s);
  r.backward(s, w_rgb, w_a, g);
  GradCheckOptions o;
  if (mode == RasterMode::kSoft) o.step = 3e-6;
  GradCheckReport all;
  o.max_elements = 120;
  all.merge(check_gradient<double>("positions", s.positions.data(), s.positions.numel(), g.positions.data(), loss, o));
  o.max_elements = 0;
  all.merge(check_gradient<double>("camera", s.camera.data(), s.camera.numel(), g.camera.data(), loss, o));
  all.merge(check_gradient<double>("light", s.light.data(), s.light.numel(), g.light.data(), loss, o));
  EXPECT_TRUE(all.ok) << to_string(mode) << ": " << all.message();
  for (int i = 0; i < kPinholeCameraSize; ++i) EXPECT_NE(g.camera[i], 0.0) << "camera value " << i;
}

TEST(ScenePinhole, HardGradientsIncludingTheCamera) { expect_pinhole_gradients(RasterMode::kHard); }
TEST(ScenePinhole, SoftGradientsIncludingTheCamera) { expect_pinhole_gradients(RasterMode::kSoft); }

TEST(ScenePinhole, BadCameraSizeNamesTheField) {
  const Mesh m = make_scene_template(1);
  SceneRenderer r(m, opts(32, RasterMode::kHard));
  Scene s = base_scene(m, 1);
  s.camera = Tensor({7}, 1.f);
  Tensor rgb, alpha;
  try {
    r.forward(s, rgb, alpha);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("scene.camera"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace invgfx
