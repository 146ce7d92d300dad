// Implementation of app/fit_eval.h.
#include "app/fit_eval.h"

#include "app/multiview_dataset.h"
#include "app/scene_file.h"
#include "core/metrics.h"
#include "render/obj_loader.h"
#include "render/scene_render.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

nlohmann::json FitEvaluation::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (has_geometry) {
    const MeshComparison& g = geometry;
    j["geometry"] = {{"chamfer_l1", g.chamfer_l1},   {"accuracy", g.accuracy},   {"completeness", g.completeness},
                     {"fscore", g.fscore},           {"precision", g.precision}, {"recall", g.recall},
                     {"threshold", g.threshold},     {"normal_consistency", g.normal_consistency},
                     {"truth_radius", g.radius},     {"samples", g.samples},
                     {"units", "truth bounding-sphere radii"}};
  }
  if (!views.empty()) {
    nlohmann::json v = nlohmann::json::array();
    for (const ViewScore& s : views)
      v.push_back({{"name", s.name}, {"psnr", std::isfinite(s.psnr) ? nlohmann::json(s.psnr) : nlohmann::json()},
                   {"ssim", s.ssim}, {"iou", s.iou < 0 ? nlohmann::json() : nlohmann::json(s.iou)}});
    j["novel_views"] = {{"psnr", psnr}, {"ssim", ssim}, {"iou", iou < 0 ? nlohmann::json() : nlohmann::json(iou)},
                        {"views", v}};
  }
  return j;
}

std::string FitEvaluation::table() const {
  std::ostringstream o;
  char line[160];
  if (has_geometry) {
    const MeshComparison& g = geometry;
    std::snprintf(line, sizeof line, "geometry (truth radius %.4g, %d samples per surface)\n", g.radius, g.samples);
    o << line;
    std::snprintf(line, sizeof line, "  Chamfer-L1          %8.4f radii  (accuracy %.4f, completeness %.4f)\n",
                  g.chamfer_l1, g.accuracy, g.completeness);
    o << line;
    std::snprintf(line, sizeof line, "  F-score @%.2f       %8.4f        (precision %.4f, recall %.4f)\n", g.threshold,
                  g.fscore, g.precision, g.recall);
    o << line;
    std::snprintf(line, sizeof line, "  normal consistency  %8.4f\n", g.normal_consistency);
    o << line;
  }
  if (!views.empty()) {
    std::snprintf(line, sizeof line, "novel views (%zu)      PSNR dB    SSIM    mask IoU\n", views.size());
    o << line;
    for (const ViewScore& s : views) {
      std::snprintf(line, sizeof line, "  %-18s %8.2f  %6.4f  %8.4f\n", s.name.c_str(), s.psnr, s.ssim, s.iou);
      o << line;
    }
    std::snprintf(line, sizeof line, "  %-18s %8.2f  %6.4f  %8.4f\n", "mean", psnr, ssim, iou);
    o << line;
  }
  return o.str();
}

FitEvaluation evaluate_fit(const fs::path& fit, const fs::path& truth_mesh, const fs::path& cameras, int samples) {
  std::error_code ec;
  const fs::path scene_json = fs::is_directory(fit, ec) ? fit / "scene.json" : fit;
  const SceneFile file = read_scene_file(scene_json);
  FitEvaluation e;
  if (!truth_mesh.empty()) {
    const Mesh truth = load_obj<float>(truth_mesh.string());  // names the file when it cannot
    if (truth.num_faces() == 0) throw std::runtime_error(truth_mesh.string() + ": the mesh has no faces");
    e.geometry = compare_meshes(file.mesh, truth, samples);
    e.has_geometry = true;
  }
  if (!cameras.empty()) {
    DatasetOptions o;
    o.size = file.render.size;
    o.masks = default_multiview_masks(cameras);
    const Dataset test = load_multiview_dataset(cameras, o);
    for (const std::string& s : test.skipped) throw std::runtime_error(s);
    SceneRenderer renderer(file.mesh, file.render);
    Scene scene = file.scene;
    Tensor rgb, alpha;
    for (size_t i = 0; i < test.photos.size(); ++i) {
      scene.camera.copy_from(pinhole_tensor(test.views[i]));
      renderer.forward(scene, rgb, alpha);  // the silhouette
      SceneFile one = file;
      one.scene.camera.copy_from(scene.camera);
      const Tensor srgb = render_scene_file(one);
      const Photo& p = test.photos[i];
      ViewScore s;
      s.name = test.views[i].name;
      s.psnr = psnr(srgb, p.srgb);
      s.ssim = ssim(srgb, p.srgb);
      if (!p.mask.empty()) s.iou = mask_iou(alpha, p.mask);
      e.ssim += s.ssim;
      if (s.iou >= 0) e.iou = (e.iou < 0 ? 0 : e.iou) + s.iou;
      e.views.push_back(s);
    }
    const double n = static_cast<double>(e.views.size());
    e.psnr = 0;
    for (const ViewScore& s : e.views) e.psnr += s.psnr / n;
    e.ssim /= n;
    if (e.iou >= 0) e.iou /= n;
  }
  return e;
}

}  // namespace invgfx
