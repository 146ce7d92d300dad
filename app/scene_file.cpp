// Implementation of app/scene_file.h.
#include "app/scene_file.h"

#include "isp/pipeline.h"
#include "isp/sensor.h"
#include "render/obj_loader.h"
#include "render/scene_render.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

SceneFile read_scene_file(const fs::path& path) {
  const std::string text = read_input_file(path, "scene file", limits::kMaxTextFileBytes);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
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
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(t[i]))  // 1e39 overflows a float
          throw std::runtime_error(path.string() + ": field '" + name + "' holds a non-finite or out-of-range number");
      return t;
    };
    f.scene.light = tensor("light", light_size(f.render.light));
    f.scene.background = tensor("background", 3);
    const nlohmann::json& o = field(j, "orbit");
    f.scene.camera = Tensor({4});
    const char* keys[] = {"azimuth", "elevation", "distance", "roll"};
    for (int k = 0; k < 4; ++k) {
      f.scene.camera[k] = field(o, keys[k]).get<float>();
      if (!std::isfinite(f.scene.camera[k]))
        throw std::runtime_error(path.string() + ": field 'orbit." + keys[k] + "' is not a finite number");
    }
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
