// Implementation of app/synth_nerf.h.
#include "app/synth_nerf.h"

#include "app/synth.h"
#include "core/atomic_file.h"
#include "render/camera_formats.h"
#include "render/export.h"
#include "render/mesh_templates.h"
#include "render/scene_render.h"
#include "render/texture_image.h"

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

void NerfSynthOptions::check() const {
  auto fail = [](const std::string& w) { throw std::invalid_argument("synth --layout nerf: " + w); };
  if (size < 16 || size > 2048) fail("size " + std::to_string(size) + " is outside 16..2048");
  if (views < 1 || views > 512) fail("views " + std::to_string(views) + " is outside 1..512");
  if (test_views < 0 || test_views > 512) fail("test views " + std::to_string(test_views) + " is outside 0..512");
  if (icosphere_level < 2 || icosphere_level > 6) fail("icosphere level is outside 2..6");
  if (texture_size < 8 || (texture_size & (texture_size - 1)) != 0) fail("texture_size is not a power of two ≥ 8");
  if (!(fov_x > 0.05 && fov_x < 3)) fail("fov_x must lie in (0.05, 3) rad");
  if (!(distance > 2)) fail("distance must be > 2 (the object's radius is about 1.2)");
}

Mesh make_horseshoe(int level) {
  // A tube along x (half-length H = Rc·θ/2, round section of radius r, nearly constant up to rounded
  // caps: the sphere's section √(1 − a²) replaced by (1 − a²)^0.15) bent around the z axis through
  // θ = 250°: (s, y, z) → φ = s/Rc, ρ = Rc − y, (ρ sin φ, Rc − ρ cos φ, z). The bend's inner side is
  // the concavity; the tips end 35° past the half circle, so the opening faces +y.
  constexpr double kTheta = 250.0 * M_PI / 180.0, kRc = 0.75, kR = 0.3;
  const double H = kRc * kTheta / 2;
  Mesh m = make_icosphere<float>(level, 1.f);
  double lo[3] = {1e9, 1e9, 1e9}, hi[3] = {-1e9, -1e9, -1e9};
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    const double a = m.positions.at(i, 0), b = m.positions.at(i, 1), c = m.positions.at(i, 2);
    const double sec = std::sqrt(b * b + c * c), prof = std::pow(std::max(0.0, 1 - a * a), 0.15);
    const double s = H * a, y = sec > 1e-9 ? kR * prof * b / sec : 0, z = sec > 1e-9 ? kR * prof * c / sec : 0;
    const double phi = s / kRc, rho = kRc - y;
    const double p[3] = {rho * std::sin(phi), kRc - rho * std::cos(phi), z};
    for (int k = 0; k < 3; ++k) {
      m.positions.at(i, k) = static_cast<float>(p[k]);
      lo[k] = std::min(lo[k], p[k]), hi[k] = std::max(hi[k], p[k]);
    }
  }
  for (int64_t i = 0; i < m.num_vertices(); ++i)
    for (int k = 0; k < 3; ++k) m.positions.at(i, k) -= static_cast<float>(0.5 * (lo[k] + hi[k]));
  m.normals = Tensor();
  m.name = "horseshoe";
  return m;
}

namespace {

// Unit directions on a Fibonacci lattice (offset 0.5 for train, 0 for test), skipping the poles
// (|y| > 0.92) where a y-up look-at camera degenerates.
std::vector<Eigen::Vector3d> fibonacci_directions(int n, double offset) {
  std::vector<Eigen::Vector3d> out;
  const double golden = M_PI * (3 - std::sqrt(5.0));
  for (int i = 0; out.size() < static_cast<size_t>(n); ++i) {
    const int m = n + n / 4 + 2;
    const double y = 1 - 2 * (std::fmod(i + offset, m) + 0.5) / m;
    if (std::abs(y) > 0.92) continue;
    const double r = std::sqrt(1 - y * y), a = golden * (i + offset * 7);
    out.emplace_back(r * std::cos(a), y, r * std::sin(a));
    if (i > 4 * n + 16) break;
  }
  return out;
}

void write_split(const NerfSynthOptions& o, const Mesh& mesh, const std::string& split, int n, double offset,
                 const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / split, ec);
  if (ec) throw std::runtime_error((dir / split).string() + ": cannot create folder: " + ec.message());
  RenderOptions ro;
  ro.size = o.size;
  ro.light = LightModel::kSphericalHarmonics;
  SceneRenderer r(mesh, ro);
  Scene s;
  s.positions.copy_from(mesh.positions);
  s.texture.copy_from(mesh.texture);
  const std::vector<double> light = synth_default_light(LightModel::kSphericalHarmonics);
  s.light.resize({27});
  for (int k = 0; k < 27; ++k) s.light[k] = static_cast<float>(light[static_cast<size_t>(k)]);
  s.background = Tensor({3}, 0.f);
  const double f = 0.5 * o.size / std::tan(0.5 * o.fov_x);
  nlohmann::json frames = nlohmann::json::array();
  Tensor rgb, alpha, rgba({4, o.size, o.size});
  const int64_t P = int64_t(o.size) * o.size;
  const std::vector<Eigen::Vector3d> dirs = fibonacci_directions(n, offset);
  for (int i = 0; i < static_cast<int>(dirs.size()); ++i) {
    // Look at the origin from distance·dir, world y up.
    const Eigen::Vector3d C = o.distance * dirs[static_cast<size_t>(i)];
    const Eigen::Vector3d fwd = -C.normalized();
    const Eigen::Vector3d right = fwd.cross(Eigen::Vector3d::UnitY()).normalized();
    const Eigen::Vector3d down = fwd.cross(right);
    Eigen::Matrix3d R;
    R.row(0) = right.transpose(), R.row(1) = down.transpose(), R.row(2) = fwd.transpose();
    const Eigen::Vector3d t = -R * C;
    ViewCamera v;
    v.R = R, v.t = t;
    v.K.width = v.K.height = o.size;
    v.K.fx = v.K.fy = f, v.K.cx = v.K.cy = 0.5 * (o.size - 1);
    s.camera.copy_from([&] {
      const Eigen::Vector3d aa = axis_angle_from_rotation(R);
      Tensor c({kPinholeCameraSize});
      for (int k = 0; k < 3; ++k) c[k] = static_cast<float>(aa(k)), c[3 + k] = static_cast<float>(t(k));
      c[6] = c[7] = static_cast<float>(f), c[8] = c[9] = static_cast<float>(v.K.cx);
      return c;
    }());
    r.forward(s, rgb, alpha);
    // Over a black background the render is premultiplied: un-premultiply for the PNG.
    for (int64_t p = 0; p < P; ++p) {
      const float a = alpha[p];
      for (int c = 0; c < 3; ++c) rgba[c * P + p] = a > 1e-4f ? std::clamp(rgb[c * P + p] / a, 0.f, 1.f) : 0.f;
      rgba[3 * P + p] = std::clamp(a, 0.f, 1.f);
    }
    const std::string name = "r_" + std::to_string(i);
    save_texture_png((dir / split / (name + ".png")).string(), rgba);
    const Eigen::Matrix4d c2w = nerf_c2w_from_cv(R, t);
    nlohmann::json m = nlohmann::json::array();
    for (int a = 0; a < 4; ++a) m.push_back({c2w(a, 0), c2w(a, 1), c2w(a, 2), c2w(a, 3)});
    frames.push_back({{"file_path", "./" + split + "/" + name}, {"transform_matrix", m}});
  }
  const nlohmann::json j = {{"camera_angle_x", o.fov_x}, {"w", o.size}, {"h", o.size}, {"frames", frames}};
  write_file_atomically(dir / ("transforms_" + split + ".json"), j.dump(2) + "\n");
}

}  // namespace

void write_nerf_synthetic(const NerfSynthOptions& o, const fs::path& dir) {
  o.check();
  Mesh mesh = make_horseshoe(o.icosphere_level);
  mesh.texture = synth_texture(o.texture_size, o.seed);
  write_split(o, mesh, "train", o.views, 0.5, dir);
  if (o.test_views > 0) write_split(o, mesh, "test", o.test_views, 0.0, dir);
  std::error_code ec;
  fs::create_directories(dir / "truth", ec);
  if (ec) throw std::runtime_error((dir / "truth").string() + ": cannot create folder: " + ec.message());
  export_obj((dir / "truth" / "mesh.obj").string(), mesh);
}

}  // namespace invgfx
