// Implementation of render/camera.h.
#include "render/camera.h"

#include <Eigen/Geometry>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace invgfx {

// ---- plain intrinsics and conversions -------------------------------------------------------------

CameraIntrinsics CameraIntrinsics::from_vertical_fov(double fov_y, int width, int height, double near,
                                                     double far) {
  if (!(fov_y > 0 && fov_y < std::numbers::pi))
    throw std::invalid_argument("CameraIntrinsics::from_vertical_fov: fov_y must be in (0, π) radians");
  CameraIntrinsics k;
  k.width = width;
  k.height = height;
  k.fy = 0.5 * height / std::tan(0.5 * fov_y);
  k.fx = k.fy;
  k.cx = 0.5 * (width - 1);
  k.cy = 0.5 * (height - 1);
  k.near = near;
  k.far = far;
  k.check();
  return k;
}

double CameraIntrinsics::vertical_fov() const { return 2 * std::atan(0.5 * height / fy); }

void CameraIntrinsics::check() const {
  auto fail = [](const std::string& m) { throw std::invalid_argument("CameraIntrinsics: " + m); };
  if (width < 1 || height < 1) fail("width and height must be ≥ 1 px");
  if (!(fx > 0) || !(fy > 0) || !std::isfinite(fx) || !std::isfinite(fy)) fail("fx and fy must be positive and finite");
  if (!std::isfinite(cx) || !std::isfinite(cy)) fail("cx and cy must be finite");
  if (!(near > 0) || !(far > near) || !std::isfinite(far)) fail("need 0 < near < far < ∞");
}

// The clip-space mapping, written once: with (x, y, z) in the OpenCV camera frame,
//   x_clip = (2fx/W)·x + (2(cx + ½)/W − 1)·z
//   y_clip = s·[(2fy/H)·y + (2(cy + ½)/H − 1)·z],   s = −1 when NDC y is up
//   z_clip = (f + n)/(f − n)·z − 2fn/(f − n),       w_clip = z
// i.e. NDC = 2(pixel + ½)/size − 1, the GL depth range, and w = depth. The GL eye frame has
// (x, −y, −z), hence the sign flips below.
Eigen::Matrix4d gl_projection(const CameraIntrinsics& k, bool ndc_y_up) {
  k.check();
  const double s = ndc_y_up ? -1 : 1;
  Eigen::Matrix4d P = Eigen::Matrix4d::Zero();
  P(0, 0) = 2 * k.fx / k.width;
  P(0, 2) = -(2 * (k.cx + 0.5) / k.width - 1);
  P(1, 1) = -s * 2 * k.fy / k.height;
  P(1, 2) = -s * (2 * (k.cy + 0.5) / k.height - 1);
  P(2, 2) = -(k.far + k.near) / (k.far - k.near);
  P(2, 3) = -2 * k.far * k.near / (k.far - k.near);
  P(3, 2) = -1;
  return P;
}

CameraIntrinsics intrinsics_from_gl_projection(const Eigen::Matrix4d& P, int width, int height, bool ndc_y_up) {
  if (P(3, 2) != -1 || P(3, 3) != 0 || P(2, 2) >= -1)
    throw std::invalid_argument("intrinsics_from_gl_projection: not an OpenGL perspective matrix");
  const double s = ndc_y_up ? -1 : 1;
  CameraIntrinsics k;
  k.width = width;
  k.height = height;
  k.fx = P(0, 0) * width / 2;
  k.cx = (1 - P(0, 2)) * width / 2 - 0.5;
  k.fy = -s * P(1, 1) * height / 2;
  k.cy = (1 - s * P(1, 2)) * height / 2 - 0.5;
  // From A = −(f+n)/(f−n), B = −2fn/(f−n): n = B/(A − 1), f = B/(A + 1).
  k.near = P(2, 3) / (P(2, 2) - 1);
  k.far = P(2, 3) / (P(2, 2) + 1);
  k.check();
  return k;
}

Eigen::Matrix4d gl_view_from_cv(const Eigen::Matrix3d& R, const Eigen::Vector3d& t) {
  Eigen::Matrix4d V = Eigen::Matrix4d::Identity();
  const Eigen::Vector3d flip(1, -1, -1);
  V.topLeftCorner<3, 3>() = flip.asDiagonal() * R;
  V.topRightCorner<3, 1>() = flip.asDiagonal() * t;
  return V;
}

void cv_from_gl_view(const Eigen::Matrix4d& view, Eigen::Matrix3d& R, Eigen::Vector3d& t) {
  const Eigen::Vector3d flip(1, -1, -1);
  R = flip.asDiagonal() * view.topLeftCorner<3, 3>();
  t = flip.asDiagonal() * view.topRightCorner<3, 1>();
}

Eigen::Vector3d camera_center(const Eigen::Matrix3d& R, const Eigen::Vector3d& t) { return -R.transpose() * t; }

Eigen::Matrix4d gl_world_from_camera(const Eigen::Matrix3d& R, const Eigen::Vector3d& t) {
  return gl_view_from_cv(R, t).inverse();
}

template <class T>
Eigen::Matrix<T, 3, 3> rotation_from_axis_angle(const Eigen::Matrix<T, 3, 1>& r) {
  const T theta2 = r.squaredNorm();
  Eigen::Matrix<T, 3, 3> K;
  K << T(0), -r.z(), r.y(), r.z(), T(0), -r.x(), -r.y(), r.x(), T(0);
  T a, b;  // sinθ/θ and (1 − cosθ)/θ², by their Taylor series near 0 (error < θ⁶/5040)
  if (theta2 < T(1e-6)) {
    a = T(1) - theta2 / T(6) + theta2 * theta2 / T(120);
    b = T(0.5) - theta2 / T(24) + theta2 * theta2 / T(720);
  } else {
    const T theta = std::sqrt(theta2);
    a = std::sin(theta) / theta;
    b = (T(1) - std::cos(theta)) / theta2;
  }
  return Eigen::Matrix<T, 3, 3>::Identity() + a * K + b * K * K;
}

Eigen::Vector3d axis_angle_from_rotation(const Eigen::Matrix3d& R) {
  const Eigen::AngleAxisd aa(R);
  return aa.angle() * aa.axis();
}

template Eigen::Matrix<float, 3, 3> rotation_from_axis_angle(const Eigen::Matrix<float, 3, 1>&);
template Eigen::Matrix<double, 3, 3> rotation_from_axis_angle(const Eigen::Matrix<double, 3, 1>&);

// ---- the camera node ------------------------------------------------------------------------------

namespace {

template <class T>
Eigen::Matrix<T, 3, 3> skew(const Eigen::Matrix<T, 3, 1>& v) {
  Eigen::Matrix<T, 3, 3> K;
  K << T(0), -v.z(), v.y(), v.z(), T(0), -v.x(), -v.y(), v.x(), T(0);
  return K;
}

// ∂R/∂r_i for R = exp([r]×), Gallego & Yezzi 2015, "A compact formula for the derivative of a 3-D
// rotation in exponential coordinates", eq. (9): ∂R/∂r_i = (r_i[r]× + [r × (I − R)e_i]×)/|r|² · R.
// Near r = 0 (where the formula divides 0 by 0) the first-order series [e_i]× + ([e_i]×[r]× +
// [r]×[e_i]×)/2 is used, exact at 0 and O(|r|²) off.
template <class T>
std::array<Eigen::Matrix<T, 3, 3>, 3> rotation_jacobian(const Eigen::Matrix<T, 3, 1>& r,
                                                          const Eigen::Matrix<T, 3, 3>& R) {
  using Mat3 = Eigen::Matrix<T, 3, 3>;
  using Vec3 = Eigen::Matrix<T, 3, 1>;
  std::array<Mat3, 3> J;
  const T n2 = r.squaredNorm();
  for (int i = 0; i < 3; ++i) {
    const Vec3 e = Vec3::Unit(i);
    if (n2 < T(1e-14)) {
      J[i] = skew<T>(e) + T(0.5) * (skew<T>(e) * skew<T>(r) + skew<T>(r) * skew<T>(e));
    } else {
      const Vec3 w = r.cross((Mat3::Identity() - R) * e);
      J[i] = ((r(i) * skew<T>(r) + skew<T>(w)) / n2) * R;
    }
  }
  return J;
}

// The orbit frame R0 (rows: right, down, forward in the world) and its derivatives in az and el.
template <class T>
struct OrbitFrame {
  Eigen::Matrix<T, 3, 3> R0, dR0_daz, dR0_del, Rz, dRz_droll;
  Eigen::Matrix<T, 3, 1> dir, ddir_daz, ddir_del;
  OrbitFrame(T az, T el, T roll) {
    const T sa = std::sin(az), ca = std::cos(az), se = std::sin(el), ce = std::cos(el);
    const T sr = std::sin(roll), cr = std::cos(roll);
    dir << ce * sa, se, ce * ca;
    ddir_daz << ce * ca, T(0), -ce * sa;
    ddir_del << -se * sa, ce, -se * ca;
    // right = (ca, 0, −sa); down = forward × right = (se·sa, −ce, se·ca); forward = −dir.
    R0 << ca, T(0), -sa, se * sa, -ce, se * ca, -ce * sa, -se, -ce * ca;
    dR0_daz << -sa, T(0), -ca, se * ca, T(0), -se * sa, -ce * ca, T(0), ce * sa;
    dR0_del << T(0), T(0), T(0), ce * sa, se, ce * ca, se * sa, -ce, se * ca;
    Rz << cr, -sr, T(0), sr, cr, T(0), T(0), T(0), T(1);
    dRz_droll << -sr, -cr, T(0), cr, -sr, T(0), T(0), T(0), T(0);
  }
};

template <class T>
void check_world(const TensorT<T>& world, const char* where) {
  if (world.rank() != 2 || world.dim(1) != 3)
    throw std::invalid_argument(std::string(where) + ": world positions must be V×3, got " + world.shape().str());
}

}  // namespace

template <class T>
CameraT<T>::CameraT(const CameraIntrinsics& k, PoseParameterization p)
    : focal("focal", group::kCamera, Shape{2}),
      principal("principal", group::kCamera, Shape{2}),
      rotation("rotation", group::kCamera, Shape{3}),
      translation("translation", group::kCamera, Shape{3}),
      orbit("orbit", group::kCamera, Shape{4}),
      target("target", group::kCamera, Shape{3}),
      parameterization_(p) {
  set_intrinsics(k);
  set_orbit(T(0), T(0), T(3));
  if (p == PoseParameterization::kAxisAngle) set_parameterization(p);
}

template <class T>
void CameraT<T>::set_intrinsics(const CameraIntrinsics& k) {
  k.check();
  width_ = k.width;
  height_ = k.height;
  near_ = static_cast<T>(k.near);
  far_ = static_cast<T>(k.far);
  focal.value[0] = static_cast<T>(k.fx);
  focal.value[1] = static_cast<T>(k.fy);
  principal.value[0] = static_cast<T>(k.cx);
  principal.value[1] = static_cast<T>(k.cy);
}

template <class T>
CameraIntrinsics CameraT<T>::intrinsics() const {
  CameraIntrinsics k;
  k.width = width_;
  k.height = height_;
  k.fx = focal.value[0];
  k.fy = focal.value[1];
  k.cx = principal.value[0];
  k.cy = principal.value[1];
  k.near = near_;
  k.far = far_;
  return k;
}

template <class T>
void CameraT<T>::set_orbit(T azimuth, T elevation, T distance, T roll, const Vec3& tgt) {
  if (!(distance > T(0))) throw std::invalid_argument("Camera::set_orbit: distance must be positive");
  orbit.value[0] = azimuth;
  orbit.value[1] = elevation;
  orbit.value[2] = distance;
  orbit.value[3] = roll;
  for (int i = 0; i < 3; ++i) target.value[i] = tgt(i);
  parameterization_ = PoseParameterization::kOrbit;
}

template <class T>
void CameraT<T>::set_cam_from_world(const Mat3& R, const Vec3& t) {
  const Eigen::Vector3d r = axis_angle_from_rotation(R.template cast<double>());
  for (int i = 0; i < 3; ++i) {
    rotation.value[i] = static_cast<T>(r(i));
    translation.value[i] = t(i);
  }
  parameterization_ = PoseParameterization::kAxisAngle;
}

template <class T>
void CameraT<T>::cam_from_world(Mat3& R, Vec3& t) const {
  if (parameterization_ == PoseParameterization::kAxisAngle) {
    R = rotation_from_axis_angle<T>(Vec3(rotation.value[0], rotation.value[1], rotation.value[2]));
    t = Vec3(translation.value[0], translation.value[1], translation.value[2]);
    return;
  }
  const OrbitFrame<T> f(orbit.value[0], orbit.value[1], orbit.value[3]);
  const Vec3 eye = Vec3(target.value[0], target.value[1], target.value[2]) + orbit.value[2] * f.dir;
  R = f.Rz * f.R0;
  t = -R * eye;
}

template <class T>
void CameraT<T>::set_parameterization(PoseParameterization p) {
  if (p == parameterization_) return;
  Mat3 R;
  Vec3 t;
  cam_from_world(R, t);
  if (p == PoseParameterization::kAxisAngle) {
    set_cam_from_world(R, t);
    return;
  }
  // Axis-angle → orbit: keep the eye, look at the point `distance` ahead on the optical axis.
  const Vec3 eye = -R.transpose() * t;
  const Vec3 fwd = R.row(2).transpose();
  T dist = orbit.value[2] > T(0) ? orbit.value[2] : T(1);
  const Vec3 dir = -fwd;
  const T el = std::asin(std::clamp(dir.y(), T(-1), T(1)));
  const T az = std::atan2(dir.x(), dir.z());
  const OrbitFrame<T> f(az, el, T(0));
  const Mat3 Rz = R * f.R0.transpose();
  const T roll = std::atan2(Rz(1, 0), Rz(0, 0));
  set_orbit(az, el, dist, roll, eye + dist * fwd);
}

template <class T>
void CameraT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  visit(focal);
  visit(principal);
  if (parameterization_ == PoseParameterization::kAxisAngle) {
    visit(rotation);
    visit(translation);
  } else {
    visit(orbit);
    visit(target);
  }
}

template <class T>
void CameraT<T>::forward(const TensorT<T>& world, TensorT<T>& clip) {
  check_world(world, "Camera::forward");
  Mat3 R;
  Vec3 t;
  cam_from_world(R, t);
  const T s = ndc_y_up ? T(-1) : T(1);
  const T ax = T(2) * focal.value[0] / T(width_), bx = T(2) * (principal.value[0] + T(0.5)) / T(width_) - T(1);
  const T ay = s * T(2) * focal.value[1] / T(height_), by = s * (T(2) * (principal.value[1] + T(0.5)) / T(height_) - T(1));
  const T A = (far_ + near_) / (far_ - near_), B = T(-2) * far_ * near_ / (far_ - near_);
  const int64_t n = world.dim(0);
  clip.resize({n, 4});
  const T* X = world.data();
  T* C = clip.data();
#pragma omp parallel for schedule(static) if (n > 4096)
  for (int64_t i = 0; i < n; ++i) {
    const Vec3 xc = R * Vec3(X[3 * i], X[3 * i + 1], X[3 * i + 2]) + t;
    C[4 * i + 0] = ax * xc.x() + bx * xc.z();
    C[4 * i + 1] = ay * xc.y() + by * xc.z();
    C[4 * i + 2] = A * xc.z() + B;
    C[4 * i + 3] = xc.z();
  }
}

template <class T>
void CameraT<T>::backward(const TensorT<T>& world, const TensorT<T>& /*clip*/, const TensorT<T>& dL_dclip,
                          TensorT<T>* dL_dworld) {
  check_world(world, "Camera::backward");
  const int64_t n = world.dim(0);
  if (dL_dclip.rank() != 2 || dL_dclip.dim(0) != n || dL_dclip.dim(1) != 4)
    throw std::invalid_argument("Camera::backward: dL_dclip must be V×4, got " + dL_dclip.shape().str());
  Mat3 R;
  Vec3 t;
  cam_from_world(R, t);
  const T s = ndc_y_up ? T(-1) : T(1);
  const T W = T(width_), H = T(height_);
  const T ax = T(2) * focal.value[0] / W, bx = T(2) * (principal.value[0] + T(0.5)) / W - T(1);
  const T ay = s * T(2) * focal.value[1] / H, by = s * (T(2) * (principal.value[1] + T(0.5)) / H - T(1));
  const T A = (far_ + near_) / (far_ - near_);
  const T* X = world.data();
  const T* G = dL_dclip.data();
  T* dX = dL_dworld ? dL_dworld->data() : nullptr;

  // Per-vertex: dL/dXc = (gx·ax, gy·ay, gx·bx + gy·by + gz·A + gw); dL/dX = Rᵀ·dL/dXc. Camera sums
  // (dL/dR = Σ dL/dXc·Xᵀ, dL/dt = Σ dL/dXc, and the intrinsics' Σ g·xc terms) are reduced over fixed
  // blocks and then added in block order, so the result is the same at any thread count.
  constexpr int kBlocks = 64;
  struct Partial {
    Mat3 dR = Mat3::Zero();
    Vec3 dt = Vec3::Zero();
    T gx_x = 0, gx_z = 0, gy_y = 0, gy_z = 0;  // Σ gx·xc, Σ gx·zc, Σ gy·yc, Σ gy·zc
  };
  std::array<Partial, kBlocks> part;
  const int64_t per = (n + kBlocks - 1) / kBlocks;
#pragma omp parallel for schedule(static) if (n > 4096)
  for (int b = 0; b < kBlocks; ++b) {
    Partial p;
    const int64_t lo = b * per, hi = std::min(n, lo + per);
    for (int64_t i = lo; i < hi; ++i) {
      const Vec3 x(X[3 * i], X[3 * i + 1], X[3 * i + 2]);
      const Vec3 xc = R * x + t;
      const T gx = G[4 * i], gy = G[4 * i + 1], gz = G[4 * i + 2], gw = G[4 * i + 3];
      const Vec3 dxc(gx * ax, gy * ay, gx * bx + gy * by + gz * A + gw);
      if (dX) {
        const Vec3 d = R.transpose() * dxc;
        dX[3 * i] += d.x();
        dX[3 * i + 1] += d.y();
        dX[3 * i + 2] += d.z();
      }
      p.dR.noalias() += dxc * x.transpose();
      p.dt += dxc;
      p.gx_x += gx * xc.x();
      p.gx_z += gx * xc.z();
      p.gy_y += gy * xc.y();
      p.gy_z += gy * xc.z();
    }
    part[static_cast<size_t>(b)] = p;
  }
  Partial sum;
  for (const Partial& p : part) {
    sum.dR += p.dR;
    sum.dt += p.dt;
    sum.gx_x += p.gx_x;
    sum.gx_z += p.gx_z;
    sum.gy_y += p.gy_y;
    sum.gy_z += p.gy_z;
  }

  // Intrinsics: ∂x_clip/∂fx = 2x/W, ∂x_clip/∂cx = 2z/W; y likewise with the sign s.
  if (focal.requires_grad) {
    focal.grad.resize(focal.value.shape());
    focal.grad[0] += T(2) / W * sum.gx_x;
    focal.grad[1] += s * T(2) / H * sum.gy_y;
  }
  if (principal.requires_grad) {
    principal.grad.resize(principal.value.shape());
    principal.grad[0] += T(2) / W * sum.gx_z;
    principal.grad[1] += s * T(2) / H * sum.gy_z;
  }

  if (parameterization_ == PoseParameterization::kAxisAngle) {
    if (rotation.requires_grad) {
      const Vec3 r(rotation.value[0], rotation.value[1], rotation.value[2]);
      const auto J = rotation_jacobian<T>(r, R);
      for (int i = 0; i < 3; ++i) rotation.grad[i] += (sum.dR.array() * J[i].array()).sum();
    }
    if (translation.requires_grad)
      for (int i = 0; i < 3; ++i) translation.grad[i] += sum.dt(i);
    return;
  }

  // Orbit: R = Rz(roll)·R0(az, el), t = −R·eye, eye = target + d·dir(az, el).
  const OrbitFrame<T> f(orbit.value[0], orbit.value[1], orbit.value[3]);
  const T d = orbit.value[2];
  const Vec3 eye = Vec3(target.value[0], target.value[1], target.value[2]) + d * f.dir;
  const Mat3 dR = sum.dR - sum.dt * eye.transpose();   // total dL/dR including t's dependence on R
  const Vec3 deye = -R.transpose() * sum.dt;            // dL/deye
  if (orbit.requires_grad) {
    orbit.grad[0] += (dR.array() * (f.Rz * f.dR0_daz).array()).sum() + deye.dot(d * f.ddir_daz);
    orbit.grad[1] += (dR.array() * (f.Rz * f.dR0_del).array()).sum() + deye.dot(d * f.ddir_del);
    orbit.grad[2] += deye.dot(f.dir);
    orbit.grad[3] += (dR.array() * (f.dRz_droll * f.R0).array()).sum();
  }
  if (target.requires_grad)
    for (int i = 0; i < 3; ++i) target.grad[i] += deye(i);
}

template <class T>
void CameraT<T>::project_to_pixels(const TensorT<T>& world, TensorT<T>& pixels) const {
  check_world(world, "Camera::project_to_pixels");
  Mat3 R;
  Vec3 t;
  cam_from_world(R, t);
  const int64_t n = world.dim(0);
  pixels.resize({n, 2});
  for (int64_t i = 0; i < n; ++i) {
    const Vec3 xc = R * Vec3(world.at(i, 0), world.at(i, 1), world.at(i, 2)) + t;
    // A point in the camera's plane (z = 0) would divide by zero: keep it finite, far off-image.
    const T z = std::abs(xc.z()) > T(1e-12) ? xc.z() : T(1e-12);
    pixels.at(i, 0) = focal.value[0] * xc.x() / z + principal.value[0];
    pixels.at(i, 1) = focal.value[1] * xc.y() / z + principal.value[1];
  }
}

template class CameraT<float>;
template class CameraT<double>;

}  // namespace invgfx
