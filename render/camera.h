// Pinhole camera: intrinsics, pose (two parameterizations for optimization), the differentiable
// projection from world positions to the clip space the rasterizer consumes, and conversions between
// the OpenCV and OpenGL conventions.
//
// Conventions (read these once; everything below follows them):
//  - World: right-handed, y up (glTF/OBJ habit). Units are free; the templates use metres.
//  - Pose is `cam_from_world` in the OpenCV camera frame: X_cam = R·X_world + t, x right, y down,
//    z forward (the camera looks along +z). The OpenGL eye frame is diag(1, −1, −1)·X_cam.
//  - Intrinsics are OpenCV's: pixel u = fx·x/z + cx, row v = fy·y/z + cy, with the centre of pixel
//    (0, 0) at (0, 0), so the image spans [−0.5, W − 0.5] × [−0.5, H − 0.5] and a centred principal
//    point is ((W − 1)/2, (H − 1)/2).
//  - Clip space is OpenGL's (what nvdiffrast consumes): w_clip = z_cam > 0 in front of the camera;
//    NDC x = −1 is the left image edge, +1 the right; NDC z = −1 at `near`, +1 at `far`. With
//    ndc_y_up = true (default, OpenGL) NDC y = +1 is the top image edge, so image row r has its centre
//    at y = 1 − (2r + 1)/H; with ndc_y_up = false, y = −1 is the top edge, which is nvdiffrast's
//    storage order (its row 0 is y = −1), so an image rasterized that way comes out upright.
#pragma once

#include "core/node.h"
#include "core/parameter.h"
#include "core/tensor.h"

#include <Eigen/Core>

#include <string>

namespace invgfx {

// Plain intrinsics in double for I/O and conversions.
struct CameraIntrinsics {
  int width = 256;             // px, ≥ 1
  int height = 256;            // px, ≥ 1
  double fx = 256;             // px, > 0; focal length along x
  double fy = 256;             // px, > 0; focal length along y (= fx for square pixels)
  double cx = 127.5;           // px, principal point, OpenCV pixel-centre convention
  double cy = 127.5;           // px
  double near = 0.01;          // world units, > 0; near clipping plane
  double far = 100;            // world units, > near; far clipping plane

  // Square pixels, centred principal point, vertical field of view fov_y (radians, in (0, π)).
  static CameraIntrinsics from_vertical_fov(double fov_y, int width, int height, double near = 0.01,
                                            double far = 100);
  double vertical_fov() const;  // radians
  // Throws std::invalid_argument naming the offending field.
  void check() const;
};

// OpenGL projection matrix (column-vector convention, clip = P·X_eye with the GL eye frame) that
// maps exactly as the camera node does. Inverse: intrinsics_from_gl_projection.
Eigen::Matrix4d gl_projection(const CameraIntrinsics& k, bool ndc_y_up = true);
CameraIntrinsics intrinsics_from_gl_projection(const Eigen::Matrix4d& P, int width, int height,
                                               bool ndc_y_up = true);
// OpenGL view matrix (world → GL eye) from an OpenCV cam_from_world, and back.
Eigen::Matrix4d gl_view_from_cv(const Eigen::Matrix3d& R, const Eigen::Vector3d& t);
void cv_from_gl_view(const Eigen::Matrix4d& view, Eigen::Matrix3d& R, Eigen::Vector3d& t);
// Camera centre in the world and the camera-to-world matrix in the GL frame (as NeRF/Blender store it).
Eigen::Vector3d camera_center(const Eigen::Matrix3d& R, const Eigen::Vector3d& t);
Eigen::Matrix4d gl_world_from_camera(const Eigen::Matrix3d& R, const Eigen::Vector3d& t);

// Rodrigues: R = I + sinθ/θ·K + (1 − cosθ)/θ²·K², K = [r]×, θ = |r|; and its inverse (θ in [0, π]).
template <class T>
Eigen::Matrix<T, 3, 3> rotation_from_axis_angle(const Eigen::Matrix<T, 3, 1>& r);
Eigen::Vector3d axis_angle_from_rotation(const Eigen::Matrix3d& R);

enum class PoseParameterization {
  kAxisAngle,  // rotation (axis-angle of R, 3) + translation (t, 3) of cam_from_world
  kOrbit,      // azimuth, elevation, distance, roll around a target point
};

// The camera as a node: in = world positions V×3, out = clip positions V×4. Parameters (group
// "camera"): focal, principal, and those of the active pose parameterization.
//
// Orbit: eye = target + distance·(cos el·sin az, sin el, cos el·cos az), so az = el = 0 puts the
// camera on +z looking towards −z with world y up in the image; roll turns the image clockwise
// about the optical axis by `roll` radians (R = Rz(roll)·R0).
template <class T>
class CameraT : public UnaryNodeT<T> {
 public:
  using Mat3 = Eigen::Matrix<T, 3, 3>;
  using Vec3 = Eigen::Matrix<T, 3, 1>;

  explicit CameraT(const CameraIntrinsics& k = {}, PoseParameterization p = PoseParameterization::kOrbit);

  std::string name() const override { return "camera"; }

  PoseParameterization parameterization() const { return parameterization_; }
  // Switches parameterization keeping the current pose (orbit → axis-angle is exact; axis-angle →
  // orbit keeps the eye and looks at the point `distance` ahead, with the roll recovered).
  void set_parameterization(PoseParameterization p);

  void set_intrinsics(const CameraIntrinsics& k);
  CameraIntrinsics intrinsics() const;
  void set_orbit(T azimuth, T elevation, T distance, T roll = T(0), const Vec3& target = Vec3::Zero());
  void set_cam_from_world(const Mat3& R, const Vec3& t);  // switches to kAxisAngle
  void cam_from_world(Mat3& R, Vec3& t) const;

  bool ndc_y_up = true;  // see the conventions at the top of this file

  ParameterT<T> focal;        // 2: fx, fy in px, > 0
  ParameterT<T> principal;    // 2: cx, cy in px, OpenCV convention
  ParameterT<T> rotation;     // 3: axis-angle of R, radians (kAxisAngle)
  ParameterT<T> translation;  // 3: t of cam_from_world, world units (kAxisAngle)
  ParameterT<T> orbit;        // 4: azimuth rad, elevation rad in (−π/2, π/2), distance > 0, roll rad (kOrbit)
  ParameterT<T> target;       // 3: world point the orbit looks at (kOrbit)

  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  // world V×3 → clip V×4.
  void forward(const TensorT<T>& world, TensorT<T>& clip) override;
  // Adds dL/dworld (if wanted) and the gradients of focal, principal and the active pose parameters.
  void backward(const TensorT<T>& world, const TensorT<T>& clip, const TensorT<T>& dL_dclip,
                TensorT<T>* dL_dworld) override;

  void visit_parameters(const ParameterVisitor<T>& visit) override;

  // Pixel coordinates (OpenCV convention) of world points, V×2; not differentiable (a helper for
  // tests, overlays and export).
  void project_to_pixels(const TensorT<T>& world, TensorT<T>& pixels) const;

 private:
  PoseParameterization parameterization_;
  int width_, height_;
  T near_, far_;
};

using Camera = CameraT<float>;
using CameraD = CameraT<double>;

extern template class CameraT<float>;
extern template class CameraT<double>;

}  // namespace invgfx
