// How a scene is rendered: the rasterizer (hard with antialiasing, or soft), the camera's field of
// view and image size, the light model of the scene's light tensor, the soft rasterizer's σ and γ,
// and texture mip levels. The renderer (scene_render.h), the loop's configuration, scene.json and
// the GUI's rasterizer panel all read this one struct; scene_camera gives the camera it implies.
#pragma once

#include "render/camera.h"
#include "render/scene.h"

#include <nlohmann/json.hpp>

#include <string>

namespace invgfx {

enum class RasterMode { kHard, kSoft };
const char* to_string(RasterMode m);
RasterMode raster_mode_from_string(const std::string& s);  // "hard" | "soft"; throws

struct RenderOptions {
  int size = 128;                        // square image side, px, 16..2048
  double fov_y = 0.6;                    // vertical field of view, radians, (0, π)
  RasterMode mode = RasterMode::kHard;   // hard+AA or soft
  LightModel light = LightModel::kSphericalHarmonics;
  double sigma = 1e-4;                   // soft mode σ, squared NDC distance, > 0
  double gamma = 1e-4;                   // soft mode γ, depth softmax temperature, > 0
  int mip_levels = 1;                    // texture mip levels (1 = none, 0 = full pyramid)
  void check() const;                    // throws std::invalid_argument naming the field
  nlohmann::json to_json() const;        // {"size", "fov_y", "mode", "light", "sigma", "gamma", "mip_levels"}
};

// The camera the scene renderer draws `scene` with: an orbit around the origin (scene.camera:
// azimuth, elevation, distance, roll), a square image of options.size, vertical field of view
// options.fov_y; or, for a 10-value scene.camera, that pinhole (axis-angle pose, fx fy cx cy) on the
// same square image. For export in both conventions (render/camera.h).
CameraD scene_camera(const Scene& scene, const RenderOptions& options);

}  // namespace invgfx
