// What a fit leaves behind (DESIGN.md, Data): for one photo of a Loop, a folder with
//   scene.json    camera (orbit values; OpenCV K, R, t and OpenGL matrices), lights, background, the
//                 render options, the fitted ISP (reloadable configuration and its parameters), the
//                 photo's losses and metrics, the names of the other files
//   mesh.obj + mesh.mtl + texture.png, scene.glb, scene.ply   the recovered mesh (render/export.h)
//   render.png    the photo (left) and the final render through the fitted ISP (right), sRGB
//   metrics.json  FitMetrics::to_json() of the whole fit
// Everything is first written into a hidden temporary folder inside the target and then renamed into
// place file by file, so an interrupted export never leaves a half-written file under a final name.
// read_scene_file() reads scene.json back into what SceneRenderer needs to draw it from a new view.
#pragma once

#include "app/loop.h"
#include "render/scene.h"
#include "render/scene_render.h"
#include "render/camera.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace invgfx {

// Writes every file above for photo `photo` into `dir` (created if missing). `metrics` are the fit's
// (Loop::metrics(), computed once by the caller when several photos are written). Throws
// std::runtime_error naming the folder or file that cannot be written, std::out_of_range for a bad
// photo index.
void write_fit_outputs(Loop& loop, int photo, const FitMetrics& metrics, const std::filesystem::path& dir);

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
