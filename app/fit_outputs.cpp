#include "app/fit_outputs.h"

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

nlohmann::json render_options_json(const RenderOptions& o) {
  return {{"size", o.size},   {"fov_y", o.fov_y}, {"mode", to_string(o.mode)}, {"light", to_string(o.light)},
          {"sigma", o.sigma}, {"gamma", o.gamma}, {"mip_levels", o.mip_levels}};
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

// The camera's whole chain as one IspPipeline configuration: the loop keeps the sensor stage apart from
// the ISP it fits (so the ISP can also develop real RAW photos); scene.json puts it back in front, with
// the configuration's sensor settings (default: the plain mosaic).
nlohmann::json camera_isp_json(Loop& loop) {
  nlohmann::json isp = loop.isp().to_json();
  nlohmann::json sensor = {{"stage", "sensor"}, {"params", {{"mosaic", true}}}};
  const nlohmann::json& config = loop.config().isp;
  if (config.is_object() && config.contains("stages") && config["stages"].is_array() && !config["stages"].empty() &&
      config["stages"][0].is_object() && config["stages"][0].value("stage", "") == "sensor")
    sensor = config["stages"][0];
  nlohmann::json stages = nlohmann::json::array({sensor});
  for (const auto& st : isp["stages"]) stages.push_back(st);
  isp["stages"] = stages;
  return isp;
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

  nlohmann::json losses = {{"total", metrics.loss}};
  for (const auto& [name, v] : metrics.terms) losses[name] = v;
  nlohmann::json photo_metrics = nlohmann::json::object();
  if (static_cast<size_t>(photo) < metrics.photos.size()) {
    const PhotoMetrics& pm = metrics.photos[static_cast<size_t>(photo)];
    photo_metrics = {{"loss", pm.loss}, {"psnr", pm.psnr}, {"ssim", pm.ssim}, {"iou", pm.iou}};
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
      {"render", render_options_json(config.render)},
      {"orbit", {{"azimuth", scene.camera[0]}, {"elevation", scene.camera[1]}, {"distance", scene.camera[2]},
                 {"roll", scene.camera[3]}, {"units", "radians, world units"}}},
      {"camera", camera_to_json(scene_camera(scene, config.render))},
      {"light_model", to_string(config.render.light)},
      {"light", values(scene.light)},
      {"lights", lights_json(scene, config.render.light)},
      {"background", values(scene.background)},
      {"isp", camera_isp_json(loop)},
      {"isp_parameters", loop.isp().parameters_json()},
      {"losses", losses},
      {"metrics", photo_metrics},
      {"files", {{"mesh", "mesh.obj"}, {"material", "mesh.mtl"}, {"texture", mesh.has_texture() ? "texture.png" : ""},
                 {"glb", "scene.glb"}, {"ply", "scene.ply"}, {"render", "render.png"}, {"metrics", "metrics.json"}}}};
  write_file_atomically(staging.path / "scene.json", j.dump(2) + "\n");
  write_file_atomically(staging.path / "metrics.json", metrics.to_json().dump(2) + "\n");
  staging.publish(dir);
}

SceneFile read_scene_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open scene file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": not valid JSON: " + e.what());
  }
  auto field = [&](const nlohmann::json& o, const char* name) -> const nlohmann::json& {
    if (!o.is_object() || !o.contains(name)) throw std::runtime_error(path.string() + ": missing field '" + name + "'");
    return o[name];
  };
  SceneFile f;
  try {
    const nlohmann::json& r = field(j, "render");
    f.render.size = field(r, "size").get<int>();
    f.render.fov_y = field(r, "fov_y").get<double>();
    f.render.mode = raster_mode_from_string(field(r, "mode").get<std::string>());
    f.render.light = light_model_from_string(field(r, "light").get<std::string>());
    if (r.contains("sigma")) f.render.sigma = r["sigma"].get<double>();
    if (r.contains("gamma")) f.render.gamma = r["gamma"].get<double>();
    if (r.contains("mip_levels")) f.render.mip_levels = r["mip_levels"].get<int>();
    f.render.check();

    auto tensor = [&](const char* name, int64_t n) {
      const nlohmann::json& a = field(j, name);
      if (!a.is_array() || static_cast<int64_t>(a.size()) != n)
        throw std::runtime_error(path.string() + ": field '" + name + "' must be an array of " + std::to_string(n) + " numbers");
      Tensor t({n});
      for (int64_t i = 0; i < n; ++i) t[i] = a[static_cast<size_t>(i)].get<float>();
      return t;
    };
    f.scene.light = tensor("light", light_size(f.render.light));
    f.scene.background = tensor("background", 3);
    const nlohmann::json& o = field(j, "orbit");
    f.scene.camera = Tensor({4});
    const char* keys[] = {"azimuth", "elevation", "distance", "roll"};
    for (int k = 0; k < 4; ++k) f.scene.camera[k] = field(o, keys[k]).get<float>();
    if (!(f.scene.camera[2] > 0)) throw std::runtime_error(path.string() + ": orbit distance must be > 0");
    f.isp = field(j, "isp");

    const std::string mesh_name = field(field(j, "files"), "mesh").get<std::string>();
    f.mesh = load_obj<float>((path.parent_path() / mesh_name).string());
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path.string() + ": bad value: " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(path.string() + ": " + e.what());
  }
  f.scene.positions.copy_from(f.mesh.positions);
  if (f.mesh.has_texture()) f.scene.texture.copy_from(f.mesh.texture);
  else if (f.mesh.has_colors()) f.scene.colors.copy_from(f.mesh.colors);
  else throw std::runtime_error(path.string() + ": the mesh has neither a texture nor vertex colours");
  return f;
}

Tensor render_scene_file(const SceneFile& file, const double* azimuth, const double* elevation) {
  Scene scene = file.scene;
  if (azimuth) scene.camera[0] = static_cast<float>(*azimuth);
  if (elevation) scene.camera[1] = static_cast<float>(*elevation);
  SceneRenderer renderer(file.mesh, file.render);
  Tensor rgb, alpha, srgb;
  renderer.forward(scene, rgb, alpha);
  IspPipeline isp = IspPipeline::from_json(file.isp);
  // A still render shows the fitted camera, not one noise draw of it.
  if (auto* sensor = dynamic_cast<Sensor*>(isp.stage("sensor"))) {
    SensorParams sp = sensor->params();
    sp.noise = SensorNoise::None;
    sensor->set_params(sp);
  }
  isp.forward(rgb, srgb);
  for (float& v : srgb) v = std::isfinite(v) ? std::clamp(v, 0.f, 1.f) : 0.f;
  return srgb;
}

}  // namespace invgfx
