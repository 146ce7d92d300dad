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
    if (!j.contains("orbit") && j.contains("cameras")) {
      const nlohmann::json& cams = field(j, "cameras");
      if (!cams.is_array() || cams.empty()) throw std::runtime_error(path.string() + ": 'cameras' must be a non-empty array");
      f.views = static_cast<int>(cams.size());
      const nlohmann::json& cam = field(field(j, "camera"), "opencv");
      const nlohmann::json& K = field(cam, "K");
      const nlohmann::json& R = field(cam, "R");
      const nlohmann::json& t = field(cam, "t");
      Eigen::Matrix3d Rm;
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) Rm(r, c) = R.at(static_cast<size_t>(r)).at(static_cast<size_t>(c)).get<double>();
      ViewCamera v;
      v.R = Rm;
      v.t = Eigen::Vector3d(t.at(0).get<double>(), t.at(1).get<double>(), t.at(2).get<double>());
      v.K.fx = K.at(0).at(0).get<double>(), v.K.fy = K.at(1).at(1).get<double>();
      v.K.cx = K.at(0).at(2).get<double>(), v.K.cy = K.at(1).at(2).get<double>();
      const Eigen::Vector3d aa = axis_angle_from_rotation(v.R);
      f.scene.camera = Tensor({kPinholeCameraSize});
      for (int k = 0; k < 3; ++k) f.scene.camera[k] = float(aa(k)), f.scene.camera[3 + k] = float(v.t(k));
      f.scene.camera[6] = float(v.K.fx), f.scene.camera[7] = float(v.K.fy);
      f.scene.camera[8] = float(v.K.cx), f.scene.camera[9] = float(v.K.cy);
      for (int k = 0; k < kPinholeCameraSize; ++k)
        if (!std::isfinite(f.scene.camera[k]))
          throw std::runtime_error(path.string() + ": field 'camera.opencv' holds a number that is not finite");
    } else {
      const nlohmann::json& o = field(j, "orbit");
      f.scene.camera = Tensor({4});
      const char* keys[] = {"azimuth", "elevation", "distance", "roll"};
      for (int k = 0; k < 4; ++k) {
        f.scene.camera[k] = field(o, keys[k]).get<float>();
        if (!std::isfinite(f.scene.camera[k]))
          throw std::runtime_error(path.string() + ": field 'orbit." + keys[k] + "' is not a finite number");
      }
      if (!(f.scene.camera[2] > 0)) throw std::runtime_error(path.string() + ": orbit distance must be > 0");
    }
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

namespace {

// Linear render → the fitted ISP (noise off) → sRGB in [0, 1].
Tensor develop_render(const SceneFile& file, const Tensor& rgb);

}  // namespace

Tensor render_scene_view(const SceneFile& file, const ViewCamera& v, Tensor* alpha_out) {
  const int W = v.K.width, H = v.K.height;
  const int S0 = std::max(W, H), S = std::min(S0, 2048);
  const double scale = double(S) / S0;
  // The camera in the S×S square: scaled, and shifted so the W×H frame sits centred in it.
  const int left = (S0 - W) / 2, top = (S0 - H) / 2;
  ViewCamera sq = v;
  sq.K = rescale_intrinsics(v.K, scale, scale * left, scale * top, S, S);
  Scene scene = file.scene;
  const Eigen::Vector3d aa = axis_angle_from_rotation(v.R);
  scene.camera = Tensor({kPinholeCameraSize});
  for (int k = 0; k < 3; ++k) scene.camera[k] = float(aa(k)), scene.camera[3 + k] = float(v.t(k));
  scene.camera[6] = float(sq.K.fx), scene.camera[7] = float(sq.K.fy), scene.camera[8] = float(sq.K.cx),
  scene.camera[9] = float(sq.K.cy);
  RenderOptions ro = file.render;
  ro.size = S;
  SceneRenderer renderer(file.mesh, ro);
  Tensor rgb, alpha;
  renderer.forward(scene, rgb, alpha);
  const Tensor srgb = develop_render(file, rgb);
  // The centred window of the camera's own frame (scaled when the long side was capped).
  const int w = std::max(1, int(std::lround(W * scale))), h = std::max(1, int(std::lround(H * scale)));
  const int x0 = (S - w) / 2, y0 = (S - h) / 2;
  Tensor out({3, h, w});
  if (alpha_out) alpha_out->resize({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) out.at(c, y, x) = srgb.at(c, y0 + y, x0 + x);
      if (alpha_out) alpha_out->at(0, y, x) = alpha.at(0, y0 + y, x0 + x);
    }
  return out;
}

Tensor render_scene_file(const SceneFile& file, const double* azimuth, const double* elevation) {
  Scene scene = file.scene;
  if (scene.camera.numel() == 4) {
    if (azimuth) scene.camera[0] = static_cast<float>(*azimuth);
    if (elevation) scene.camera[1] = static_cast<float>(*elevation);
  } else if (azimuth || elevation) {
    throw std::runtime_error("render: a multi-view fit has no orbit to move along; render its cameras with --cameras");
  }
  SceneRenderer renderer(file.mesh, file.render);
  Tensor rgb, alpha;
  renderer.forward(scene, rgb, alpha);
  return develop_render(file, rgb);
}

namespace {

Tensor develop_render(const SceneFile& file, const Tensor& rgb) {
  Tensor srgb;
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

}  // namespace

}  // namespace invgfx
