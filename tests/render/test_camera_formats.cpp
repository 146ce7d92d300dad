// The dataset camera readers (render/camera_formats.h) against hand-computed projections of known
// world points: NeRF transforms.json with camera_angle_x and with fl_x/fl_y/cx/cy (OpenGL c2w axes,
// the pixel-edge principal point), COLMAP text with PINHOLE, SIMPLE_PINHOLE, SIMPLE_RADIAL, RADIAL
// and OPENCV (quaternion order QW QX QY QZ, world→camera), missing photo extensions, the round trip
// of each convention, and one-line errors naming the file, frame and field.
#include "render/camera_formats.h"

#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// Pixel (OpenCV convention) of world point P seen by view v, through the camera node's own projection.
Eigen::Vector2d project(const ViewCamera& v, const Eigen::Vector3d& P) {
  CameraD cam(v.K);
  cam.set_cam_from_world(v.R, v.t);
  TensorD world({1, 3}), px;
  for (int i = 0; i < 3; ++i) world[i] = P(i);
  cam.project_to_pixels(world, px);
  return {px[0], px[1]};
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct FormatsTest : ::testing::Test {
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() / ("invgfx_camfmt_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
};

// Camera at (0, 0, 4) looking down −z (identity c2w rotation), 200×100, camera_angle_x with fx = 250:
// P = (0.5, 0.25, 0) is (0.5, −0.25, 4) in OpenCV axes, so u = 250·0.5/4 + 99.5 = 130.75 and
// v = 250·(−0.25)/4 + 49.5 = 33.875 (y up in the world is up in the image). The frame's file has no
// extension, as in NeRF-synthetic: r_0 → r_0.png.
TEST_F(FormatsTest, NerfCameraAngleXProjectsAsComputedByHand) {
  write(dir / "train" / "r_0.png", "not decoded");
  std::ostringstream ax;
  ax << std::setprecision(17) << 2 * std::atan(100.0 / 250.0);
  write(dir / "transforms_train.json",
        "{\"camera_angle_x\": " + ax.str() + ", \"w\": 200, \"h\": 100, \"frames\": [{\"file_path\": "
        "\"./train/r_0\", \"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]}");
  const auto views = read_nerf_transforms(dir / "transforms_train.json");
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].name, "r_0");
  EXPECT_EQ(views[0].image, (dir / "train" / "r_0.png").lexically_normal());
  EXPECT_NEAR(views[0].K.fx, 250, 1e-6);
  const Eigen::Vector2d px = project(views[0], {0.5, 0.25, 0});
  EXPECT_NEAR(px.x(), 130.75, 1e-6);
  EXPECT_NEAR(px.y(), 33.875, 1e-6);
  EXPECT_FALSE(views[0].has_distortion());
}

// Camera at (4, 0, 0) looking at the origin: c2w columns (GL right, up, back) = (0,0,−1), (0,1,0),
// (1,0,0). P = (0, 0.25, 0.5) is (−0.5, 0.25, −4) in GL eye axes, (−0.5, −0.25, 4) in OpenCV's. With
// fl_x 300, fl_y 280, cx 101, cy 48 (pixel-edge convention: OpenCV 100.5, 47.5):
// u = 300·(−0.5)/4 + 100.5 = 63, v = 280·(−0.25)/4 + 47.5 = 30. Distortion coefficients are kept.
TEST_F(FormatsTest, NerfFocalAndPrincipalPointProjectAsComputedByHand) {
  write(dir / "img.jpg", "x");
  write(dir / "transforms.json",
        "{\"fl_x\": 300, \"fl_y\": 280, \"cx\": 101, \"cy\": 48, \"w\": 200, \"h\": 100, \"k1\": 0.01, \"p2\": -0.002, "
        "\"frames\": [{\"file_path\": \"img.jpg\", \"transform_matrix\": [[0,0,1,4],[0,1,0,0],[-1,0,0,0],[0,0,0,1]]}]}");
  const auto views = read_nerf_transforms(dir / "transforms.json");
  ASSERT_EQ(views.size(), 1u);
  const Eigen::Vector2d px = project(views[0], {0, 0.25, 0.5});
  EXPECT_NEAR(px.x(), 63, 1e-9);
  EXPECT_NEAR(px.y(), 30, 1e-9);
  EXPECT_NEAR(views[0].distortion[0], 0.01, 1e-12);
  EXPECT_NEAR(views[0].distortion[3], -0.002, 1e-12);
  EXPECT_TRUE(views[0].has_distortion());
  // The camera centre is where the file put it, and the conversion back gives the file's matrix.
  EXPECT_NEAR((camera_center(views[0].R, views[0].t) - Eigen::Vector3d(4, 0, 0)).norm(), 0, 1e-12);
  Eigen::Matrix4d c2w;
  c2w << 0, 0, 1, 4, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 1;
  EXPECT_NEAR((nerf_c2w_from_cv(views[0].R, views[0].t) - c2w).norm(), 0, 1e-12);
}

// COLMAP: R = R_y(90°), quaternion (QW, QX, QY, QZ) = (cos 45°, 0, sin 45°, 0), T = (0.1, 0.2, 5).
// P = (1, 0.5, 0): R·P = (0, 0.5, −1), + T = (0.1, 0.7, 4). PINHOLE 400 380 320 240 (COLMAP's pixel
// centres at +½: OpenCV cx 319.5, cy 239.5): u = 400·0.1/4 + 319.5 = 329.5, v = 380·0.7/4 + 239.5 = 306.
TEST_F(FormatsTest, ColmapPinholeProjectsAsComputedByHand) {
  const double c = std::sqrt(0.5);
  write(dir / "sparse" / "0" / "cameras.txt",
        "# Camera list\n1 PINHOLE 640 480 400 380 320 240\n2 SIMPLE_PINHOLE 640 480 400 320 240\n"
        "3 SIMPLE_RADIAL 640 480 400 320 240 0.05\n4 RADIAL 640 480 400 320 240 0.05 -0.01\n"
        "5 OPENCV 640 480 400 380 320 240 0.05 -0.01 0.001 0.002\n");
  std::string images = "# Image list\n";
  for (int cam = 1; cam <= 5; ++cam)
    images += std::to_string(cam) + " " + std::to_string(c) + " 0 " + std::to_string(c) + " 0 0.1 0.2 5 " +
              std::to_string(cam) + " view" + std::to_string(cam) + ".jpg\n" + (cam == 3 ? "\n" : "10 20 -1 30 40 7\n");
  write(dir / "sparse" / "0" / "images.txt", images);
  write(dir / "images" / "view1.jpg", "x");
  ASSERT_TRUE(is_view_camera_source(dir));
  const auto views = read_view_cameras(dir);
  ASSERT_EQ(views.size(), 5u);
  EXPECT_EQ(views[0].name, "view1");
  EXPECT_EQ(views[0].image, dir / "images" / "view1.jpg");
  Eigen::Vector2d px = project(views[0], {1, 0.5, 0});
  EXPECT_NEAR(px.x(), 329.5, 1e-5);
  EXPECT_NEAR(px.y(), 306, 1e-5);
  // SIMPLE_PINHOLE: fy = fx = 400, v = 400·0.7/4 + 239.5 = 309.5.
  px = project(views[1], {1, 0.5, 0});
  EXPECT_NEAR(px.x(), 329.5, 1e-5);
  EXPECT_NEAR(px.y(), 309.5, 1e-5);
  EXPECT_FALSE(views[1].has_distortion());
  EXPECT_EQ(views[2].distortion[0], 0.05);
  EXPECT_EQ(views[3].distortion[1], -0.01);
  EXPECT_EQ(views[4].distortion[2], 0.001);
  EXPECT_EQ(views[4].distortion[3], 0.002);
  EXPECT_EQ(views[4].K.fy, 380);
}

TEST(CameraFormats, QuaternionRoundTripIsScalarFirst) {
  const Eigen::Matrix3d R = rotation_from_axis_angle<double>(Eigen::Vector3d(0.3, -1.1, 0.7));
  const auto q = colmap_quaternion_from_rotation(R);
  EXPECT_GE(q[0], 0);
  EXPECT_NEAR((rotation_from_colmap_quaternion(q) - R).norm(), 0, 1e-12);
  // 180° about z: (0, 0, 0, 1), not (1, 0, 0, 0)
  const auto qz = colmap_quaternion_from_rotation(Eigen::Vector3d(-1, -1, 1).asDiagonal());
  EXPECT_NEAR(std::abs(qz[3]), 1, 1e-12);
}

TEST(CameraFormats, RescaledIntrinsicsKeepPixelCentres) {
  CameraIntrinsics k;
  k.width = 200, k.height = 100, k.fx = 100, k.fy = 90, k.cx = 99.5, k.cy = 49.5;
  // Halved and shifted down by 25 rows into a 100×100 square: the centre stays the centre.
  const CameraIntrinsics o = rescale_intrinsics(k, 0.5, 0, 25, 100, 100);
  EXPECT_DOUBLE_EQ(o.cx, 49.5);
  EXPECT_DOUBLE_EQ(o.cy, 49.5);
  EXPECT_DOUBLE_EQ(o.fx, 50);
}

void expect_error(const std::function<void()>& f, std::initializer_list<const char*> parts) {
  try {
    f();
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    for (const char* p : parts) EXPECT_NE(m.find(p), std::string::npos) << "'" << p << "' not in: " << m;
  }
}

TEST_F(FormatsTest, BadFilesNameTheFileFrameAndField) {
  const fs::path p = dir / "transforms.json";
  write(p, "{\"camera_angle_x\": 0.7, \"w\": 8, \"h\": 8, \"frames\": [{\"file_path\": \"a\", \"transform_matrix\": "
           "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}, {\"file_path\": \"b\", \"transform_matrix\": [[1,0,0]]}]}");
  expect_error([&] { read_nerf_transforms(p); }, {"transforms.json", "frame 1", "transform_matrix"});
  write(p, "{\"w\": 8, \"h\": 8, \"frames\": [{\"file_path\": \"a\", \"transform_matrix\": "
           "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]}");
  expect_error([&] { read_nerf_transforms(p); }, {"transforms.json", "frame 0", "camera_angle_x"});
  write(p, "{\"camera_angle_x\": 0.7, \"w\": 8, \"h\": 8, \"frames\": [{\"transform_matrix\": []}]}");
  expect_error([&] { read_nerf_transforms(p); }, {"frame 0", "file_path"});
  write(p, "{\"frames\": [");
  expect_error([&] { read_nerf_transforms(p); }, {"transforms.json", "JSON"});
  write(p, "{\"camera_angle_x\": 0.7, \"frames\": [{\"file_path\": \"missing\", \"transform_matrix\": "
           "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]}");
  expect_error([&] { read_nerf_transforms(p); }, {"frame 0", "'w'", "missing"});
  write(p, "{\"camera_angle_x\": 0.7, \"w\": 8, \"h\": 8, \"frames\": [{\"file_path\": \"a\", \"transform_matrix\": "
           "[[2,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]}");
  expect_error([&] { read_nerf_transforms(p); }, {"frame 0", "rotation"});

  const fs::path m = dir / "model";
  write(m / "cameras.txt", "1 FISHEYE 10 10 1 2 3\n");
  write(m / "images.txt", "");
  expect_error([&] { read_colmap_text(m); }, {"cameras.txt", "line 1", "FISHEYE"});
  write(m / "cameras.txt", "1 PINHOLE 10 10 1 2 3\n");
  expect_error([&] { read_colmap_text(m); }, {"cameras.txt", "camera 1", "PINHOLE needs 4"});
  write(m / "cameras.txt", "1 PINHOLE 10 10 5 5 5 5\n");
  write(m / "images.txt", "1 1 0 0 0 0 0 1 2 a.png\n\n");
  expect_error([&] { read_colmap_text(m); }, {"images.txt", "line 1", "a.png", "CAMERA_ID 2"});
  write(m / "images.txt", "1 1 0 0 0 0 0 1\n");
  expect_error([&] { read_colmap_text(m); }, {"images.txt", "line 1", "QW QX QY QZ"});
  expect_error([&] { read_view_cameras(dir / "nothing"); }, {"nothing", "does not exist"});
}

}  // namespace
}  // namespace invgfx
