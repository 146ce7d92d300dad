// Implementation of render/render_options.h.
#include "render/render_options.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

const char* to_string(RasterMode m) { return m == RasterMode::kHard ? "hard" : "soft"; }

RasterMode raster_mode_from_string(const std::string& s) {
  if (s == "hard") return RasterMode::kHard;
  if (s == "soft") return RasterMode::kSoft;
  throw std::invalid_argument("raster mode \"" + s + "\" is not one of: hard, soft");
}

void RenderOptions::check() const {
  auto fail = [](const std::string& m) { throw std::invalid_argument("RenderOptions: " + m); };
  if (size < 16 || size > 2048) fail("size " + std::to_string(size) + " outside [16, 2048]");
  if (!(fov_y > 0 && fov_y < M_PI)) fail("fov_y " + std::to_string(fov_y) + " outside (0, π)");
  if (!(sigma > 0) || !std::isfinite(sigma)) fail("sigma must be positive");
  if (!(gamma > 0) || !std::isfinite(gamma)) fail("gamma must be positive");
  if (mip_levels < 0) fail("mip_levels must be ≥ 0");
}

nlohmann::json RenderOptions::to_json() const {
  return {{"size", size},   {"fov_y", fov_y}, {"mode", invgfx::to_string(mode)}, {"light", invgfx::to_string(light)},
          {"sigma", sigma}, {"gamma", gamma}, {"mip_levels", mip_levels}};
}

CameraD scene_camera(const Scene& scene, const RenderOptions& options) {
  CameraD cam(CameraIntrinsics::from_vertical_fov(options.fov_y, options.size, options.size));
  if (scene.camera.numel() == kPinholeCameraSize) {
    const Tensor& c = scene.camera;
    Eigen::Vector3d r(c[0], c[1], c[2]), t(c[3], c[4], c[5]);
    cam.set_cam_from_world(rotation_from_axis_angle<double>(r), t);
    for (int i = 0; i < 2; ++i) {
      cam.focal.value[i] = c[6 + i];
      cam.principal.value[i] = c[8 + i];
    }
    return cam;
  }
  if (scene.camera.numel() != 4)
    throw std::invalid_argument("scene camera must hold 4 values (azimuth, elevation, distance, roll) or 10 (pinhole)");
  cam.set_orbit(scene.camera[0], scene.camera[1], scene.camera[2], scene.camera[3]);
  return cam;
}

}  // namespace invgfx
