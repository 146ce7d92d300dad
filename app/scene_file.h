// scene.json, read back: the scene a fit wrote (app/fit_outputs.h) with the mesh it names, the render
// options and the fitted camera's configuration — what is needed to draw it again, from its own camera
// or another view on its orbit (`invgfx-cli render`).
#pragma once

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
};
// Throws std::runtime_error naming the file and the field on a missing file, bad JSON or bad values.
SceneFile read_scene_file(const std::filesystem::path& scene_json);

// Renders a SceneFile at its camera (optionally moved to another azimuth/elevation, radians) through its
// ISP: sRGB 3×S×S in [0, 1].
Tensor render_scene_file(const SceneFile& file, const double* azimuth = nullptr, const double* elevation = nullptr);

}  // namespace invgfx
