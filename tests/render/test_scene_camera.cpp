// Camera: projection against hand-computed pixels, OpenCV/OpenGL round trips, and double-precision
// finite-difference checks of the projection for both pose parameterizations and the intrinsics.
#include "core/gradcheck.h"
#include "render/camera.h"

#include <gtest/gtest.h>

#include <Eigen/Geometry>

#include <cmath>

namespace invgfx {
namespace {

CameraIntrinsics square_intrinsics() {
  CameraIntrinsics k;
  k.width = 100;
  k.height = 100;
  k.fx = k.fy = 100;
  k.cx = k.cy = 49.5;
  k.near = 0.5;
  k.far = 20;
  return k;
}

TensorD points(std::initializer_list<std::array<double, 3>> ps) {
  TensorD t({static_cast<int64_t>(ps.size()), 3});
  int64_t i = 0;
  for (const auto& p : ps) {
    for (int k = 0; k < 3; ++k) t.at(i, k) = p[static_cast<size_t>(k)];
    ++i;
  }
  return t;
}

// Camera on +z at distance 5 looking at the origin: X_cam = (x, −y, 5 − z). For (1, 0, 0):
// u = 100·1/5 + 49.5 = 69.5, v = 49.5. For (0, 1, 0): v = 49.5 − 100/5 = 29.5, and NDC y (up) =
// 1 − 2(29.5 + 0.5)/100 = 0.4. For a point at depth z_cam = near, NDC z = −1; at far, +1.
TEST(SceneCamera, ProjectsKnownPointsToHandComputedPixels) {
  CameraD cam(square_intrinsics());
  cam.set_orbit(0, 0, 5);
  const TensorD X = points({{1, 0, 0}, {0, 1, 0}, {0, 0, 4.5}, {0, 0, -15}, {0, 0, 0}});
  TensorD px, clip;
  cam.project_to_pixels(X, px);
  EXPECT_NEAR(px.at(0, 0), 69.5, 1e-12);
  EXPECT_NEAR(px.at(0, 1), 49.5, 1e-12);
  EXPECT_NEAR(px.at(1, 0), 49.5, 1e-12);
  EXPECT_NEAR(px.at(1, 1), 29.5, 1e-12);
  cam.forward(X, clip);
  EXPECT_NEAR(clip.at(0, 0) / clip.at(0, 3), 2 * (69.5 + 0.5) / 100 - 1, 1e-12);
  EXPECT_NEAR(clip.at(1, 1) / clip.at(1, 3), 0.4, 1e-12);
  EXPECT_NEAR(clip.at(0, 3), 5, 1e-12);
  EXPECT_NEAR(clip.at(2, 2) / clip.at(2, 3), -1, 1e-12);
  EXPECT_NEAR(clip.at(3, 2) / clip.at(3, 3), 1, 1e-12);
  EXPECT_NEAR(clip.at(4, 0), 0, 1e-12);  // the target lands on the principal point, the image centre
  // nvdiffrast's storage order: NDC y = −1 is the top row.
  cam.ndc_y_up = false;
  cam.forward(X, clip);
  EXPECT_NEAR(clip.at(1, 1) / clip.at(1, 3), -0.4, 1e-12);
}

TEST(SceneCamera, OrbitAzimuthElevationAndRollMoveTheEyeAsDocumented) {
  CameraD cam(square_intrinsics());
  cam.set_orbit(M_PI / 2, 0, 4, 0, Eigen::Vector3d(1, 2, 3));  // eye on +x of the target
  Eigen::Matrix3d R;
  Eigen::Vector3d t;
  cam.cam_from_world(R, t);
  EXPECT_NEAR((camera_center(R, t) - Eigen::Vector3d(5, 2, 3)).norm(), 0, 1e-12);
  EXPECT_NEAR((R.row(2).transpose() - Eigen::Vector3d(-1, 0, 0)).norm(), 0, 1e-12);  // looks along −x
  EXPECT_NEAR(R.determinant(), 1, 1e-12);
  cam.set_orbit(0, M_PI / 4, 4);
  cam.cam_from_world(R, t);
  EXPECT_NEAR(camera_center(R, t).y(), 4 * std::sin(M_PI / 4), 1e-12);  // positive elevation is above
  // A quarter roll: a point right of the centre moves to below it in the image (y down).
  cam.set_orbit(0, 0, 5, M_PI / 2);
  TensorD px;
  cam.project_to_pixels(points({{1, 0, 0}}), px);
  EXPECT_NEAR(px.at(0, 0), 49.5, 1e-9);
  EXPECT_NEAR(px.at(0, 1), 69.5, 1e-9);
}

TEST(SceneCamera, GlMatricesReproduceTheNodeAndRoundTrip) {
  CameraIntrinsics k = square_intrinsics();
  k.width = 160;
  k.fx = 130;
  k.fy = 120;
  k.cx = 81.25;
  k.cy = 47.5;
  CameraD cam(k);
  cam.set_orbit(0.3, -0.2, 6, 0.1, Eigen::Vector3d(0.2, -0.1, 0.4));
  Eigen::Matrix3d R;
  Eigen::Vector3d t;
  cam.cam_from_world(R, t);
  const TensorD X = points({{0.3, -0.7, 1.1}, {-1, 0.5, 0}, {2, 1, -3}});
  for (bool up : {true, false}) {
    cam.ndc_y_up = up;
    TensorD clip;
    cam.forward(X, clip);
    const Eigen::Matrix4d PV = gl_projection(k, up) * gl_view_from_cv(R, t);
    for (int64_t i = 0; i < 3; ++i) {
      const Eigen::Vector4d c = PV * Eigen::Vector4d(X.at(i, 0), X.at(i, 1), X.at(i, 2), 1);
      for (int j = 0; j < 4; ++j) EXPECT_NEAR(clip.at(i, j), c(j), 1e-10);
    }
    const CameraIntrinsics back = intrinsics_from_gl_projection(gl_projection(k, up), k.width, k.height, up);
    EXPECT_NEAR(back.fx, k.fx, 1e-9);
    EXPECT_NEAR(back.fy, k.fy, 1e-9);
    EXPECT_NEAR(back.cx, k.cx, 1e-9);
    EXPECT_NEAR(back.cy, k.cy, 1e-9);
    EXPECT_NEAR(back.near, k.near, 1e-9);
    EXPECT_NEAR(back.far, k.far, 1e-9);
  }
  Eigen::Matrix3d R2;
  Eigen::Vector3d t2;
  cv_from_gl_view(gl_view_from_cv(R, t), R2, t2);
  EXPECT_NEAR((R2 - R).norm(), 0, 1e-14);
  EXPECT_NEAR((t2 - t).norm(), 0, 1e-14);
  // The GL camera-to-world matrix has the eye in its last column and looks down its −z axis.
  const Eigen::Matrix4d c2w = gl_world_from_camera(R, t);
  EXPECT_NEAR((c2w.topRightCorner<3, 1>() - camera_center(R, t)).norm(), 0, 1e-12);
  EXPECT_NEAR((-c2w.block<3, 1>(0, 2) - R.row(2).transpose()).norm(), 0, 1e-12);
  // Vertical field of view round trip.
  const CameraIntrinsics f = CameraIntrinsics::from_vertical_fov(0.8, 64, 48);
  EXPECT_NEAR(f.vertical_fov(), 0.8, 1e-12);
  EXPECT_NEAR(f.cx, 31.5, 1e-12);
}

TEST(SceneCamera, ParameterizationSwitchKeepsThePose) {
  CameraD cam(square_intrinsics());
  cam.set_orbit(-0.7, 0.4, 3.5, 0.25, Eigen::Vector3d(0.1, 0.2, -0.3));
  Eigen::Matrix3d R0, R1, R2;
  Eigen::Vector3d t0, t1, t2;
  cam.cam_from_world(R0, t0);
  cam.set_parameterization(PoseParameterization::kAxisAngle);
  cam.cam_from_world(R1, t1);
  EXPECT_NEAR((R1 - R0).norm(), 0, 1e-12);
  EXPECT_NEAR((t1 - t0).norm(), 0, 1e-12);
  cam.set_parameterization(PoseParameterization::kOrbit);
  cam.cam_from_world(R2, t2);
  EXPECT_NEAR((R2 - R0).norm(), 0, 1e-12);
  EXPECT_NEAR((t2 - t0).norm(), 0, 1e-12);
  EXPECT_NEAR(cam.orbit.value[3], 0.25, 1e-12);
  // Rodrigues against Eigen.
  const Eigen::Vector3d r(0.3, -1.2, 0.5);
  EXPECT_NEAR((rotation_from_axis_angle<double>(r) - Eigen::AngleAxisd(r.norm(), r.normalized()).toRotationMatrix()).norm(), 0, 1e-14);
  EXPECT_NEAR((axis_angle_from_rotation(rotation_from_axis_angle<double>(r)) - r).norm(), 0, 1e-12);
}

// Double precision with h = 1e-6: the projection is smooth (rational in the inputs, trigonometric in
// the angles), so central differences agree to ~1e-9 relative; rtol 1e-6 leaves a wide margin.
GradCheckOptions fd_options() {
  GradCheckOptions o;
  o.rtol = 1e-6;
  o.atol = 1e-9;
  return o;
}

TensorD random_world() {
  return points({{0.3, -0.7, 1.1}, {-1, 0.5, 0}, {0.8, 1, -1.3}, {0, 0, 0}, {-0.4, -0.2, 0.9}});
}

TEST(SceneCamera, GradientsAxisAngle) {
  for (bool up : {true, false}) {
    CameraD cam(square_intrinsics(), PoseParameterization::kAxisAngle);
    cam.ndc_y_up = up;
    cam.set_cam_from_world(rotation_from_axis_angle<double>(Eigen::Vector3d(0.2, -0.5, 0.3)),
                           Eigen::Vector3d(0.1, -0.2, 6));
    TensorD X = random_world();
    const GradCheckReport r = check_node<double>(cam, {&X}, fd_options());
    EXPECT_TRUE(r.ok) << r.message();
    EXPECT_EQ(r.checked, 15 + 2 + 2 + 3 + 3);  // positions, focal, principal, rotation, translation
  }
}

TEST(SceneCamera, GradientsAxisAngleAtIdentityRotation) {
  CameraD cam(square_intrinsics(), PoseParameterization::kAxisAngle);
  cam.set_cam_from_world(Eigen::Matrix3d::Identity(), Eigen::Vector3d(0, 0, 5));
  TensorD X = random_world();
  const GradCheckReport r = check_node<double>(cam, {&X}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
}

TEST(SceneCamera, GradientsOrbitWithRollTargetAndFocal) {
  CameraD cam(square_intrinsics());
  cam.set_orbit(0.6, -0.3, 5.5, 0.4, Eigen::Vector3d(0.2, -0.1, 0.3));
  cam.focal.value[0] = 110;
  cam.principal.value[1] = 52;
  TensorD X = random_world();
  const GradCheckReport r = check_node<double>(cam, {&X}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
  // All of focal(2), principal(2), orbit(4), target(3) and the 15 position entries were checked.
  EXPECT_EQ(r.checked, 2 + 2 + 4 + 3 + 15);
}

TEST(SceneCamera, BadInputNamesTheProblem) {
  CameraIntrinsics k;
  k.near = -1;
  EXPECT_THROW(CameraD{k}, std::invalid_argument);
  CameraD cam;
  TensorD bad({4, 2}), clip;
  EXPECT_THROW(cam.forward(bad, clip), std::invalid_argument);
  EXPECT_THROW(cam.set_orbit(0, 0, 0), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
