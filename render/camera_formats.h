// Camera files of multi-view datasets, read into one type (`ViewCamera`: OpenCV K, cam_from_world R
// and t, distortion), and the conventions between them written once so that a reader and a writer
// share them:
//  - NeRF / instant-ngp `transforms*.json` (Mildenhall et al. 2020; Müller et al. 2022):
//    frames[].transform_matrix is camera-to-world with OpenGL camera axes (x right, y up, looking
//    down −z), so R = diag(1, −1, −1)·R_c2wᵀ and t = −R·C. Intrinsics: `camera_angle_x` (horizontal
//    field of view, fx = fy = ½W / tan(½·angle_x)) or `fl_x`/`fl_y`/`cx`/`cy`/`w`/`h` (per file or
//    per frame); cx, cy there are in the pixel-edge convention of instant-ngp's own sampler
//    (a centred principal point is W/2), so cx_opencv = cx − ½. `k1`/`k2`/`p1`/`p2` are OpenCV's
//    radial-tangential coefficients. file_path is relative to the JSON; when it has no extension
//    (the original NeRF-synthetic scenes) `.png` is tried, then the other photo extensions.
//  - COLMAP text models (Schönberger & Frahm 2016, colmap.github.io/format.html): cameras.txt
//    `CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]`, images.txt two lines per image `IMAGE_ID QW QX QY QZ TX TY
//    TZ CAMERA_ID NAME` then the 2-D points; the quaternion (scalar first) and T are world→camera in
//    OpenCV axes, i.e. our R, t directly. COLMAP's pixel centres are at +½ (the image spans [0, W]),
//    so cx_opencv = cx − ½ as well. Models: SIMPLE_PINHOLE (f cx cy), PINHOLE (fx fy cx cy),
//    SIMPLE_RADIAL (f cx cy k), RADIAL (f cx cy k1 k2), OPENCV (fx fy cx cy k1 k2 p1 p2).
// Errors are std::runtime_error with one line naming the file, the frame and the field.
#pragma once

#include "render/camera.h"

#include <Eigen/Core>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace invgfx {

// One view of a dataset: which photo, its camera.
struct ViewCamera {
  std::string name;                 // the frame's file stem (render outputs are named after it)
  std::filesystem::path image;      // the photo (resolved; may not exist for camera-only files)
  CameraIntrinsics K;               // OpenCV convention (render/camera.h), the photo's full size
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();  // cam_from_world rotation (OpenCV axes)
  Eigen::Vector3d t = Eigen::Vector3d::Zero();      // cam_from_world translation, world units
  std::array<double, 5> distortion{};  // OpenCV k1, k2, p1, p2, k3 (all 0 for a pinhole)
  bool has_distortion() const;
};

// NeRF c2w (OpenGL axes) ↔ cam_from_world (OpenCV axes).
void cv_from_nerf_c2w(const Eigen::Matrix4d& c2w, Eigen::Matrix3d& R, Eigen::Vector3d& t);
Eigen::Matrix4d nerf_c2w_from_cv(const Eigen::Matrix3d& R, const Eigen::Vector3d& t);
// COLMAP quaternion (QW, QX, QY, QZ; normalised here) ↔ rotation matrix; the inverse returns QW ≥ 0.
Eigen::Matrix3d rotation_from_colmap_quaternion(const std::array<double, 4>& q_wxyz);
std::array<double, 4> colmap_quaternion_from_rotation(const Eigen::Matrix3d& R);

// Reads a transforms*.json. Throws std::runtime_error naming the file, frame and field.
std::vector<ViewCamera> read_nerf_transforms(const std::filesystem::path& json_path);
// Reads a COLMAP text model folder (cameras.txt + images.txt); photos are looked up in `images_dir`
// (default: `images/` beside the model folder, else inside it, else the model folder itself).
std::vector<ViewCamera> read_colmap_text(const std::filesystem::path& model_dir,
                                         const std::filesystem::path& images_dir = {});
// A transforms*.json file or a COLMAP model folder (cameras.txt inside, or in sparse/0/ or sparse/).
std::vector<ViewCamera> read_view_cameras(const std::filesystem::path& path,
                                          const std::filesystem::path& images_dir = {});
// True when `path` is a camera file or folder read_view_cameras understands.
bool is_view_camera_source(const std::filesystem::path& path);

// A photo path whose extension may be missing: the path itself if it exists, else with `.png`, then
// `.jpg`, `.jpeg`, `.tif`, `.tiff`, `.exr`, `.webp`, `.bmp` appended (as given and upper case); the
// path unchanged when none exists.
std::filesystem::path resolve_photo_path(const std::filesystem::path& p);

// Scales a camera for an image resized by `scale` and then shifted by (dx, dy) pixels (pixel centres
// map as u' = scale·(u + ½) − ½ + dx), with the new image size.
CameraIntrinsics rescale_intrinsics(const CameraIntrinsics& k, double scale, double dx, double dy, int width,
                                    int height);

}  // namespace invgfx
