// Implementation of app/fit_outputs.h.
#include "app/fit_outputs.h"

#include "app/camera_isp.h"
#include "app/multiview_dataset.h"

#include "core/atomic_file.h"
#include "isp/develop.h"
#include "isp/sensor.h"
#include "render/export.h"
#include "render/obj_loader.h"
#include "render/scene_light.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

nlohmann::json values(const Tensor& t) {
  nlohmann::json a = nlohmann::json::array();
  for (float v : t) a.push_back(v);
  return a;
}

// A hidden folder inside `dir` that the outputs are written to before being renamed into place (same
// file system, so each rename is atomic).
struct StagingDir {
  fs::path path;
  explicit StagingDir(const fs::path& dir) : path(dir / (".partial-" + std::to_string(::getpid()))) {
    std::error_code ec;
    fs::remove_all(path, ec);
    fs::create_directories(path, ec);
    if (ec) throw std::runtime_error(dir.string() + ": cannot write into the output folder: " + ec.message());
  }
  ~StagingDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void publish(const fs::path& dir) const {
    for (const auto& e : fs::directory_iterator(path)) {
      std::error_code ec;
      fs::rename(e.path(), dir / e.path().filename(), ec);
      if (ec) throw std::runtime_error((dir / e.path().filename()).string() + ": cannot write: " + ec.message());
    }
  }
};

// Every field of the camera by name (core/traverse.h): one number, or a list.
nlohmann::json camera_fields_json(Loop& loop) {
  nlohmann::json j = nlohmann::json::object();
  Traversal t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) {
    j[spec.name] = v.size() == 1 && spec.size == 1 ? nlohmann::json(v[0]) : nlohmann::json(v);
  };
  loop.camera().traverse(t);
  return j;
}

// Every view's fitted camera of a multi-view fit, in the dataset's world frame, at the photo's own
// resolution: OpenCV K, R, t (cam_from_world) and the OpenGL camera-to-world matrix NeRF stores.
nlohmann::json view_cameras_json(Loop& loop) {
  nlohmann::json out = nlohmann::json::array();
  const Dataset& ds = loop.dataset();
  for (int i = 0; i < loop.num_photos(); ++i) {
    const Photo& p = ds.photos[static_cast<size_t>(i)];
    ViewCamera v = ds.views[static_cast<size_t>(i)];
    view_from_pinhole(loop.scene(i).camera, v);
    // Back from the working square to the photo: q_orig = (q + ½ − offset)/scale − ½.
    const double sx = p.scale, sy = p.scale;
    const double fx = v.K.fx / sx, fy = v.K.fy / sy;
    const double cx = (v.K.cx + 0.5 - p.offset_x) / sx - 0.5, cy = (v.K.cy + 0.5 - p.offset_y) / sy - 0.5;
    const Eigen::Matrix4d c2w = nerf_c2w_from_cv(v.R, v.t);
    nlohmann::json R = nlohmann::json::array(), M = nlohmann::json::array();
    for (int r = 0; r < 3; ++r) R.push_back({v.R(r, 0), v.R(r, 1), v.R(r, 2)});
    for (int r = 0; r < 4; ++r) M.push_back({c2w(r, 0), c2w(r, 1), c2w(r, 2), c2w(r, 3)});
    out.push_back({{"name", v.name},
                   {"image", p.path.string()},
                   {"width", p.original_width},
                   {"height", p.original_height},
                   {"opencv", {{"K", {{fx, 0, cx}, {0, fy, cy}, {0, 0, 1}}}, {"R", R}, {"t", {v.t.x(), v.t.y(), v.t.z()}},
                               {"note", "X_cam = R X_world + t; pixel centres at integers"}}},
                   {"opengl", {{"camera_to_world", M}, {"note", "camera looks down -z, y up (NeRF transform_matrix)"}}}});
  }
  return out;
}

}  // namespace

void write_fit_outputs(Loop& loop, int photo, const FitMetrics& metrics, const fs::path& dir) {
  if (photo < 0 || photo >= loop.num_photos())
    throw std::out_of_range("photo index " + std::to_string(photo) + " is outside 0.." + std::to_string(loop.num_photos() - 1));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": cannot create the output folder" + (ec ? ": " + ec.message() : ""));
  StagingDir staging(dir);

  const LoopConfig& config = loop.config();
  const Photo& p = loop.dataset().photos[static_cast<size_t>(photo)];
  const Scene scene = loop.scene(photo);
  Mesh mesh = loop.mesh(photo);
  if (mesh.name.empty()) mesh.name = p.path.stem().string();

  export_obj((staging.path / "mesh.obj").string(), mesh, "texture.png");
  export_glb((staging.path / "scene.glb").string(), mesh);
  export_ply((staging.path / "scene.ply").string(), mesh);

  // render.png: photo | render through the fitted ISP.
  Tensor srgb;
  loop.render(photo, nullptr, &srgb, nullptr);
  const int64_t s = p.srgb.dim(1);
  Tensor pair({3, s, 2 * s});
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < s; ++y)
      for (int64_t x = 0; x < s; ++x) {
        pair.at(c, y, x) = p.srgb.at(c, y, x);
        const float r = srgb.at(c, y, x);
        pair.at(c, y, s + x) = std::isfinite(r) ? r : 0.f;
      }
  write_png((staging.path / "render.png").string(), pair);

  nlohmann::json losses = {{"total", json_number(metrics.loss)}};
  for (int t = 0; t < kNumLossTerms; ++t)
    if (std::isfinite(metrics.terms[static_cast<size_t>(t)])) losses[loss_terms()[static_cast<size_t>(t)].name] = metrics.terms[static_cast<size_t>(t)];
  nlohmann::json photo_metrics = nlohmann::json::object();
  if (static_cast<size_t>(photo) < metrics.photos.size()) {
    const PhotoMetrics& pm = metrics.photos[static_cast<size_t>(photo)];
    photo_metrics = {{"loss", json_number(pm.loss)}, {"psnr", json_number(pm.psnr)},
                     {"psnr_object", json_number(pm.psnr_object)}, {"ssim", pm.ssim}, {"iou", pm.iou}};
  }
  const nlohmann::json j = {
      {"format", "invgfx scene 1"},
      {"photo", {{"path", p.path.string()},
                 {"index", photo},
                 {"original_width", p.original_width},
                 {"original_height", p.original_height},
                 {"scale", p.scale},
                 {"offset", {p.offset_x, p.offset_y}},
                 {"note", "working pixel q maps to the original as (q - offset) / scale"}}},
      {"iteration", loop.iteration()},
      {"phase", to_string(loop.phase())},
      {"render", config.render.to_json()},
      {"camera", camera_to_json(scene_camera(scene, config.render))},
      {"light_model", to_string(config.render.light)},
      {"light", values(scene.light)},
      {"lights", lights_json(scene, config.render.light)},
      {"background", values(scene.background)},
      {"isp", loop.camera().to_json()},
      {"isp_parameters", camera_fields_json(loop)},
      {"losses", losses},
      {"metrics", photo_metrics},
      {"files", {{"mesh", "mesh.obj"}, {"material", "mesh.mtl"}, {"texture", mesh.has_texture() ? "texture.png" : ""},
                 {"glb", "scene.glb"}, {"ply", "scene.ply"}, {"render", "render.png"}, {"metrics", "metrics.json"}}}};
  nlohmann::json jj = j;
  if (scene.camera.numel() == 4)
    jj["orbit"] = {{"azimuth", scene.camera[0]}, {"elevation", scene.camera[1]}, {"distance", scene.camera[2]},
                   {"roll", scene.camera[3]}, {"units", "radians, world units"}};
  if (loop.dataset().multiview()) {
    jj["cameras"] = view_cameras_json(loop);
    jj["world"] = "the dataset's own frame and units: the mesh overlays its cameras";
  }
  write_file_atomically(staging.path / "scene.json", jj.dump(2) + "\n");
  write_file_atomically(staging.path / "metrics.json", metrics.to_json().dump(2) + "\n");
  staging.publish(dir);
}

}  // namespace invgfx
