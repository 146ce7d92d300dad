// Evaluating a fit the way the multi-view literature does (`invgfx-cli eval`): the fitted mesh
// against a true mesh (render/mesh_metrics.h: Chamfer-L1, F-score at 0.05 radii, normal consistency)
// and, at held-out cameras (a transforms*.json or COLMAP folder the fit did not see), novel-view
// PSNR / SSIM of the sRGB render through the fitted ISP against those photos, and the IoU of the
// render's silhouette with their masks (alpha when every photo has one). The photos are read exactly
// as a fit reads them (multiview_dataset.h) at the fit's working size, so a figure compares like
// with like.
#pragma once

#include "render/mesh_metrics.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace invgfx {

struct ViewScore {
  std::string name;
  double psnr = 0, ssim = 0, iou = -1;  // iou −1: no mask
};

struct FitEvaluation {
  bool has_geometry = false;
  MeshComparison geometry;
  std::vector<ViewScore> views;
  double psnr = 0, ssim = 0, iou = -1;  // means over views (PSNR: of the per-view values)
  nlohmann::json to_json() const;
  std::string table() const;  // a printed summary
};

// `fit`: a fit's folder (its scene.json) or the scene.json itself. `truth_mesh` and `cameras` may be
// empty (that part is skipped). Throws std::runtime_error naming the file on bad input.
FitEvaluation evaluate_fit(const std::filesystem::path& fit, const std::filesystem::path& truth_mesh,
                           const std::filesystem::path& cameras, int samples = 20000);

}  // namespace invgfx
