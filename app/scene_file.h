// scene.json, read back: the scene a fit wrote (app/fit_outputs.h) with the mesh it names, the render
// options and the fitted camera's configuration — what is needed to draw it again, from its own camera
// or another view on its orbit (`invgfx-cli render`).
#pragma once

#include "render/camera_formats.h"
#include "render/render_options.h"
#include "render/scene.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace invgfx {

// A scene read back from scene.json (and the mesh.obj it names) for rendering.
struct SceneFile {
  Mesh mesh;                // template topology with UVs and texture (or vertex colours)
  Scene scene;              // positions, texture/colours, light, camera, background
  RenderOptions render;     // as fitted
  nlohmann::json isp;       // IspPipeline configuration of the fitted camera ISP
  // A multi-view fit's scene.json has no orbit: scene.camera is then its first view's pinhole in the
  // working square, and `views` counts its cameras.
  int views = 0;
};
// Throws std::runtime_error naming the file and the field on a missing file, bad JSON or bad values.
SceneFile read_scene_file(const std::filesystem::path& scene_json);

// Renders a SceneFile at its camera (optionally moved to another azimuth/elevation, radians) through its
// ISP: sRGB 3×S×S in [0, 1].
Tensor render_scene_file(const SceneFile& file, const double* azimuth = nullptr, const double* elevation = nullptr);

// Renders a SceneFile through a dataset camera (render/camera_formats.h; its distortion ignored) into
// an image of the camera's own width × height: the square renderer draws max(W, H) (at most 2048, the
// camera scaled with it) and the centred W × H window is kept. sRGB 3×H×W; alpha 1×H×W if asked.
Tensor render_scene_view(const SceneFile& file, const ViewCamera& camera, Tensor* alpha = nullptr);

}  // namespace invgfx
