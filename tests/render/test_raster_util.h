// Small scene builders shared by the rasterizer tests (test_raster_*.cpp).
#pragma once

#include "core/tensor.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace invgfx::raster_test {

// OpenGL perspective projection of eye-space points (camera at the origin looking down −z, y up):
// x_c = (f/aspect)·x, y_c = f·y, z_c = −(far+near)/(far−near)·z − 2·far·near/(far−near), w_c = −z.
template <class T>
TensorT<T> perspective(const std::vector<double>& eye_xyz, double fov_y, double aspect, double near, double far) {
  const int64_t V = static_cast<int64_t>(eye_xyz.size() / 3);
  TensorT<T> clip({V, 4});
  const double f = 1.0 / std::tan(0.5 * fov_y);
  for (int64_t i = 0; i < V; ++i) {
    const double x = eye_xyz[3 * i], y = eye_xyz[3 * i + 1], z = eye_xyz[3 * i + 2];
    clip.at(i, 0) = T(f / aspect * x);
    clip.at(i, 1) = T(f * y);
    clip.at(i, 2) = T(-(far + near) / (far - near) * z - 2 * far * near / (far - near));
    clip.at(i, 3) = T(-z);
  }
  return clip;
}

// Clip positions with w = 1 straight from NDC x, y and depth z (an orthographic view).
template <class T>
TensorT<T> ndc(const std::vector<double>& xyz) {
  const int64_t V = static_cast<int64_t>(xyz.size() / 3);
  TensorT<T> clip({V, 4});
  for (int64_t i = 0; i < V; ++i) {
    clip.at(i, 0) = T(xyz[3 * i]), clip.at(i, 1) = T(xyz[3 * i + 1]), clip.at(i, 2) = T(xyz[3 * i + 2]);
    clip.at(i, 3) = T(1);
  }
  return clip;
}

}  // namespace invgfx::raster_test
