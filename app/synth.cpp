// Implementation of app/synth.h.
#include "app/synth.h"

#include "core/atomic_file.h"
#include "core/random.h"
#include "core/srgb_transfer.h"
#include "isp/develop.h"
#include "isp/white_balance.h"
#include "render/export.h"
#include "render/mesh_templates.h"
#include "render/scene_light.h"
#include "render/texture_image.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

void SynthOptions::check() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("synth options: " + what); };
  if (size < 16 || size > 2048) fail("size " + std::to_string(size) + " is outside 16..2048");
  if (views < 1 || views > 64) fail("views " + std::to_string(views) + " is outside 1..64");
  if (icosphere_level < 0 || icosphere_level > 6) fail("icosphere_level is outside 0..6");
  if (texture_size < 8 || (texture_size & (texture_size - 1)) != 0)
    fail("texture_size " + std::to_string(texture_size) + " is not a power of two ≥ 8");
  if (!(fov_y > 0 && fov_y < M_PI)) fail("fov_y must lie in (0, π)");
  if (!(distance > 0)) fail("distance must be > 0");
  if (!cameras.empty() && static_cast<int>(cameras.size()) != views)
    fail("cameras lists " + std::to_string(cameras.size()) + " cameras for " + std::to_string(views) + " views");
  for (const auto& c : cameras)
    if (!(c[2] > 0) || !(std::abs(c[1]) < 1.5)) fail("a camera has distance ≤ 0 or |elevation| ≥ 1.5");
  if (!light.empty() && static_cast<int>(light.size()) != light_size(light_model))
    fail("light has " + std::to_string(light.size()) + " values, the " + to_string(light_model) + " model takes " +
         std::to_string(light_size(light_model)));
  for (double b : background)
    if (!(b >= 0 && b <= 1)) fail("background must lie in [0, 1]");
  for (double g : wb_gains)
    if (!(g > 0)) fail("wb_gains must be > 0");
}

nlohmann::json synth_default_isp_json() {
  return nlohmann::json::parse(R"({
    "cfa": "RGGB",
    "stages": [
      {"stage": "sensor", "params": {"mosaic": true}, "learnable": false},
      {"stage": "black_white_level", "params": {"black": [0, 0, 0, 0], "white": 1.0}, "learnable": false},
      {"stage": "white_balance", "params": {"log_gain_red": 0.0, "log_gain_blue": 0.0, "clip_highlights": false},
       "learnable": true},
      {"stage": "demosaic", "params": {"method": "malvar"}},
      {"stage": "color_matrix", "params": {"matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "rows_sum_to_one": true},
       "learnable": false},
      {"stage": "srgb"}
    ]})");
}

namespace {

// Ellipsoid (semi-axes 0.8, 0.62, 0.55) with a Gaussian bump towards the front upper right: no plane
// of symmetry, so every view pins the pose.
Mesh make_shape(int level) {
  Mesh m = make_icosphere<float>(level, 1.f);
  const double bx = 0.5, by = 0.45, bz = 0.74, bn = std::sqrt(bx * bx + by * by + bz * bz);
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    const double x = m.positions.at(i, 0), y = m.positions.at(i, 1), z = m.positions.at(i, 2);
    const double cosang = (x * bx + y * by + z * bz) / bn;
    const double bump = 0.22 * std::exp(-(1.0 - cosang) / 0.06);
    m.positions.at(i, 0) = static_cast<float>(x * (0.8 + bump));
    m.positions.at(i, 1) = static_cast<float>(y * (0.62 + bump));
    m.positions.at(i, 2) = static_cast<float>(z * (0.55 + bump));
  }
  m.normals = Tensor();  // no longer radial; the renderer recomputes them
  m.name = "synthetic";
  return m;
}

}  // namespace

// A grid of 8 × 4 patches of random colours (linear albedo in [0.06, 0.45], so that the brightest
// patch under the default light stays below the white level after white balance), with smoothed
// borders (a smoothstep over a fifth of a patch) so the image has gradients a pose can follow; one
// light patch as a marker. Quantised to 8-bit sRGB: the texture is exactly what texture.png holds.
Tensor synth_texture(int t, uint64_t seed) {
  constexpr int kCols = 8, kRows = 4;
  Rng rng(seed);
  std::array<std::array<float, 3>, kCols * kRows> palette{};
  for (auto& c : palette) {
    const float hue = rng.uniform(0.f, 6.f);
    const float sat = rng.uniform(0.6f, 1.0f), val = rng.uniform(0.1f, 0.45f);
    const std::array<double, 3> rgb = hsv_to_rgb(hue, sat, val);
    for (int k = 0; k < 3; ++k) c[static_cast<size_t>(k)] = std::max(0.06f, static_cast<float>(rgb[static_cast<size_t>(k)]));
  }
  palette[1 * kCols + 2] = {0.45f, 0.45f, 0.42f};
  auto smoothstep = [](double a, double b, double x) {
    const double s = std::clamp((x - a) / (b - a), 0.0, 1.0);
    return s * s * (3 - 2 * s);
  };
  Tensor tex({3, t, t});
  for (int i = 0; i < t; ++i) {
    // Row 0 is the top of the image, v = 1 (render/texture.h).
    const double v = (i + 0.5) / t * kRows;
    const int r0 = std::min(kRows - 1, static_cast<int>(v));
    const double fv = v - r0;
    // Blend towards the neighbouring row near the border (rows do not wrap: clamp).
    const int rn = fv < 0.5 ? std::max(0, r0 - 1) : std::min(kRows - 1, r0 + 1);
    const double wv = fv < 0.5 ? 0.5 * (1 - smoothstep(0.0, 0.2, fv)) : 0.5 * smoothstep(0.8, 1.0, fv);
    for (int j = 0; j < t; ++j) {
      const double u = (j + 0.5) / t * kCols;
      const int c0 = static_cast<int>(u) % kCols;
      const double fu = u - std::floor(u);
      const int cn = fu < 0.5 ? (c0 + kCols - 1) % kCols : (c0 + 1) % kCols;  // u wraps around
      const double wu = fu < 0.5 ? 0.5 * (1 - smoothstep(0.0, 0.2, fu)) : 0.5 * smoothstep(0.8, 1.0, fu);
      for (int k = 0; k < 3; ++k) {
        auto at = [&](int r, int c) { return static_cast<double>(palette[static_cast<size_t>(r * kCols + c)][static_cast<size_t>(k)]); };
        const double row0 = (1 - wu) * at(r0, c0) + wu * at(r0, cn);
        const double rown = (1 - wu) * at(rn, c0) + wu * at(rn, cn);
        const double lin = (1 - wv) * row0 + wv * rown;
        tex.at(k, i, j) = static_cast<float>(srgb_decode(srgb_encode8(lin) / 255.0));
      }
    }
  }
  return tex;
}

std::vector<double> synth_default_light(LightModel model) {
  if (model == LightModel::kAmbientDirectional)
    return {0.35, 0.35, 0.35, 0.5, 0.6, 0.8, 0.6, 0.6, 0.6};
  // Per channel: L00 white, L1−1 (y: from above) and L10 (z: from the front).
  std::vector<double> sh(27, 0.0);
  for (int c = 0; c < 3; ++c) {
    sh[static_cast<size_t>(c * 9 + 0)] = 0.8;
    sh[static_cast<size_t>(c * 9 + 1)] = 0.25;
    sh[static_cast<size_t>(c * 9 + 2)] = 0.2;
  }
  return sh;
}

namespace {

std::string view_name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "view_%02d.png", i);
  return buf;
}

}  // namespace

SynthData make_synthetic(const SynthOptions& options) {
  options.check();
  SynthData out;
  SynthTruth& truth = out.truth;
  truth.options = options;
  truth.render.size = options.size;
  truth.render.fov_y = options.fov_y;
  truth.render.mode = options.mode;
  truth.render.light = options.light_model;
  truth.render.check();

  truth.mesh = make_shape(options.icosphere_level);
  truth.mesh.texture = synth_texture(options.texture_size, options.seed);

  std::vector<std::array<double, 4>> cams = options.cameras;
  if (cams.empty())
    for (int i = 0; i < options.views; ++i) {
      const double a = options.views == 1 ? 0.0 : -1.0 + 2.0 * i / (options.views - 1);
      const double el = options.elevation + (i % 2 == 0 ? -1.0 : 1.0) * (options.views == 1 ? 0.0 : options.elevation_spread);
      cams.push_back({options.azimuth + a * options.azimuth_spread, el, options.distance, 0.0});
    }
  const std::vector<double> light = options.light.empty() ? synth_default_light(options.light_model) : options.light;

  IspPipeline isp = synthetic_isp(options);
  truth.isp = isp.to_json();

  SceneRenderer renderer(truth.mesh, truth.render);
  out.dataset.options.size = options.size;
  out.dataset.options.masks = "masks";
  for (int v = 0; v < options.views; ++v) {
    Scene s;
    s.positions.copy_from(truth.mesh.positions);
    s.texture.copy_from(truth.mesh.texture);
    s.light.resize({static_cast<int64_t>(light.size())});
    for (size_t k = 0; k < light.size(); ++k) s.light[static_cast<int64_t>(k)] = static_cast<float>(light[k]);
    s.camera.resize({4});
    for (int k = 0; k < 4; ++k) s.camera[k] = static_cast<float>(cams[static_cast<size_t>(v)][static_cast<size_t>(k)]);
    s.background.resize({3});
    for (int k = 0; k < 3; ++k) s.background[k] = static_cast<float>(options.background[static_cast<size_t>(k)]);
    add_synthetic_view(out, s, renderer, isp, view_name(v));
  }
  return out;
}

IspPipeline synthetic_isp(const SynthOptions& options) {
  IspPipeline isp = IspPipeline::from_json(options.isp.is_null() ? synth_default_isp_json() : options.isp);
  if (!isp.stage("sensor") || isp.at(0).name() != "sensor")
    throw std::invalid_argument("synth options: isp must start with a sensor stage (the camera's mosaic)");
  isp.get<WhiteBalance>("white_balance").set_gains(options.wb_gains);
  return isp;
}

void add_synthetic_view(SynthData& out, const Scene& s, SceneRenderer& renderer, IspPipeline& isp,
                        const std::string& name) {
  Tensor rgb, alpha, srgb;
  renderer.forward(s, rgb, alpha);
  isp.forward(rgb, srgb);
  const int64_t size = rgb.dim(1);
  Photo p;
  p.path = fs::path("images") / name;
  p.original_width = p.original_height = static_cast<int>(size);
  p.srgb.resize({3, size, size});
  for (int64_t i = 0; i < srgb.numel(); ++i) p.srgb[i] = std::clamp(srgb[i], 0.f, 1.f);
  p.mask.resize({1, size, size});
  for (int64_t i = 0; i < alpha.numel(); ++i) p.mask[i] = alpha[i] > 0.5f ? 1.f : 0.f;
  out.dataset.photos.push_back(std::move(p));
  out.truth.scenes.push_back(s);
  out.truth.image_names.push_back(name);
}

nlohmann::json SynthTruth::to_json() const {
  nlohmann::json views = nlohmann::json::array();
  for (size_t v = 0; v < scenes.size(); ++v) {
    const Scene& s = scenes[v];
    nlohmann::json light = nlohmann::json::array();
    for (float x : s.light) light.push_back(x);
    const std::string& name = image_names[v];
    nlohmann::json view = {{"image", "images/" + name},
                     {"mask", "masks/" + name},
                     {"orbit", {{"azimuth", s.camera[0]}, {"elevation", s.camera[1]}, {"distance", s.camera[2]},
                                {"roll", s.camera[3]}}},
                     {"camera", camera_to_json(scene_camera(s, render))},
                     {"light", light}};
    if (instances) view["mesh"] = "truth/" + fs::path(name).stem().string() + ".obj";
    views.push_back(view);
  }
  const Scene& s0 = scenes.front();
  nlohmann::json j = {{"format", "invgfx synthetic dataset 1"},
          {"size", render.size},
          {"fov_y", render.fov_y},
          {"raster_mode", to_string(render.mode)},
          {"light_model", to_string(render.light)},
          {"background", {s0.background[0], s0.background[1], s0.background[2]}},
          {"white_balance_gains", options.wb_gains},
          {"isp", isp},
          {"mesh", "truth/mesh.obj"},
          {"lights", lights_json(s0, render.light)},
          {"views", views}};
  if (instances) {
    j["instances"] = scenes.size();
    j.erase("mesh");
    j.erase("lights");
  }
  return j;
}

void write_synthetic(const SynthData& data, const fs::path& dir) {
  for (const char* sub : {"images", "masks", "truth"}) {
    std::error_code ec;
    fs::create_directories(dir / sub, ec);
    if (ec) throw std::runtime_error((dir / sub).string() + ": cannot create folder: " + ec.message());
  }
  for (size_t v = 0; v < data.dataset.photos.size(); ++v) {
    const Photo& p = data.dataset.photos[v];
    const std::string& name = data.truth.image_names[v];
    write_png((dir / "images" / name).string(), p.srgb);
    write_png((dir / "masks" / name).string(), p.mask);
    if (data.truth.instances) {
      // Each instance's own mesh: the template's topology with the instance's positions and albedo.
      Mesh m = data.truth.mesh;
      const Scene& s = data.truth.scenes[v];
      m.positions.copy_from(s.positions);
      m.texture.copy_from(s.texture);
      m.normals = Tensor();
      const std::string stem = fs::path(name).stem().string();
      m.name = stem;
      export_obj((dir / "truth" / (stem + ".obj")).string(), m, stem + ".png");
    }
  }
  if (!data.truth.instances) export_obj((dir / "truth" / "mesh.obj").string(), data.truth.mesh);
  write_file_atomically(dir / "truth.json", data.truth.to_json().dump(2) + "\n");
}

std::array<double, 3> hsv_to_rgb(double hue, double sat, double val) {
  const int sector = static_cast<int>(hue) % 6;
  const double f = hue - std::floor(hue);
  const double p = val * (1 - sat), q = val * (1 - sat * f), r = val * (1 - sat * (1 - f));
  const double rgb[6][3] = {{val, r, p}, {q, val, p}, {p, val, r}, {p, q, val}, {r, p, val}, {val, p, q}};
  return {rgb[sector][0], rgb[sector][1], rgb[sector][2]};
}

double camera_rotation_error_deg(const Tensor& a, const Tensor& b) {
  auto rotation = [](const Tensor& c) {
    CameraD cam;
    cam.set_orbit(c[0], c[1], c[2], c[3]);
    Eigen::Matrix3d R;
    Eigen::Vector3d t;
    cam.cam_from_world(R, t);
    return R;
  };
  const Eigen::Matrix3d d = rotation(a) * rotation(b).transpose();
  const double c = std::clamp((d.trace() - 1.0) / 2.0, -1.0, 1.0);
  return std::acos(c) * 180.0 / M_PI;
}

}  // namespace invgfx
