// What a fit leaves behind: for one photo of a Loop, a folder with
//   scene.json    camera (orbit values; OpenCV K, R, t and OpenGL matrices), lights, background, the
//                 render options, the fitted camera (its reloadable configuration, sensor first, and
//                 every field by name), the photo's losses and metrics, the names of the other files
//   mesh.obj + mesh.mtl + texture.png, scene.glb, scene.ply   the recovered mesh (render/export.h)
//   render.png    the photo (left) and the final render through the fitted ISP (right), sRGB
//   metrics.json  FitMetrics::to_json() of the whole fit
// Everything is first written into a hidden temporary folder inside the target and then renamed into
// place file by file, so an interrupted export never leaves a half-written file under a final name.
// (app/scene_file.h reads scene.json back.)
#pragma once

#include "app/loop.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace invgfx {

// Writes every file above for photo `photo` into `dir` (created if missing). `metrics` are the fit's
// (Loop::metrics(), computed once by the caller when several photos are written). Throws
// std::runtime_error naming the folder or file that cannot be written, std::out_of_range for a bad
// photo index.
void write_fit_outputs(Loop& loop, int photo, const FitMetrics& metrics, const std::filesystem::path& dir);

}  // namespace invgfx
