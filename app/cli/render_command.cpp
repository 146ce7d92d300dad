// invgfx-cli render SCENE.json --out IMG [--azimuth DEG] [--elevation DEG] [--size S]
// invgfx-cli render SCENE.json --cameras FILE|DIR [--alpha] --out DIR
// Renders a scene that `fit` wrote (scene.json and the mesh it names) through its fitted ISP, from its
// own camera or from another azimuth/elevation on the same orbit.
#include "app/cli/commands.h"
#include "app/scene_file.h"
#include "core/srgb_transfer.h"
#include "isp/develop.h"
#include "render/texture_image.h"

#include <filesystem>

#include <cmath>
#include <iostream>
#include <memory>
#include <optional>

namespace invgfx::cli {

namespace {

struct RenderArgs {
  std::string scene, out, cameras;
  bool alpha = false;
  std::optional<double> azimuth, elevation;  // degrees
  int size = 0;
};

int run_render(const RenderArgs& a) {
  try {
    SceneFile f = read_scene_file(a.scene);
    if (!a.cameras.empty()) {
      // One image per frame, named after its file stem, at the camera's own size.
      const std::vector<ViewCamera> views = read_view_cameras(a.cameras);
      std::error_code ec;
      std::filesystem::create_directories(a.out, ec);
      if (ec) throw std::runtime_error(a.out + ": cannot create the output folder: " + ec.message());
      for (const ViewCamera& v : views) {
        Tensor alpha;
        const Tensor srgb = render_scene_view(f, v, a.alpha ? &alpha : nullptr);
        Tensor img = srgb;
        if (a.alpha) {
          // sRGB colour with linear coverage: write_png takes sRGB values, so decode for save_texture_png.
          img = Tensor({4, srgb.dim(1), srgb.dim(2)});
          const int64_t P = srgb.dim(1) * srgb.dim(2);
          for (int64_t i = 0; i < 3 * P; ++i) img[i] = srgb_decode(srgb[i]);
          for (int64_t i = 0; i < P; ++i) img[3 * P + i] = alpha[i];
          save_texture_png((std::filesystem::path(a.out) / (v.name + ".png")).string(), img);
        } else {
          write_png((std::filesystem::path(a.out) / (v.name + ".png")).string(), img);
        }
      }
      std::cout << "wrote " << views.size() << " views to " << a.out << "/\n";
      return 0;
    }
    if (a.size > 0) f.render.size = a.size;
    const double deg = M_PI / 180.0;
    const double az = a.azimuth ? *a.azimuth * deg : f.scene.camera[0];
    const double el = a.elevation ? *a.elevation * deg : f.scene.camera[1];
    // CLI11 reads "nan" and "inf" as numbers, and a Range check lets NaN through.
    if (!std::isfinite(az) || !std::isfinite(el))
      throw std::runtime_error(std::string(a.azimuth || a.elevation ? "--azimuth/--elevation" : a.scene) +
                               ": the camera's azimuth and elevation must be finite, got " + std::to_string(az / deg) +
                               "° and " + std::to_string(el / deg) + "°");
    const Tensor srgb = render_scene_file(f, &az, &el);
    write_png(a.out, srgb);
    std::cout << "wrote " << a.out << " (" << f.render.size << "x" << f.render.size << ", azimuth "
              << az / deg << "°, elevation " << el / deg << "°)\n";
  } catch (const std::exception& e) {
    return report_error("render", e.what());
  }
  return 0;
}

}  // namespace

Command add_render_command(CLI::App& app) {
  auto a = std::make_shared<RenderArgs>();
  CLI::App* sub = app.add_subcommand(
      "render", "Render a fitted scene (the scene.json that fit wrote) through its fitted ISP, optionally\n"
                "from another view on its camera orbit.");
  sub->add_option("SCENE", a->scene, "scene.json written by fit")->required();
  sub->add_option("--out,-o", a->out, "output PNG (with --cameras: a folder)")->required();
  sub->add_option("--cameras", a->cameras,
                  "render every camera of a transforms*.json or COLMAP model folder: one PNG per frame named after\n"
                  "its file stem, at the camera's own size");
  sub->add_flag("--alpha", a->alpha, "with --cameras: RGBA PNGs, the silhouette as alpha");
  sub->add_option("--azimuth", a->azimuth, "camera azimuth, degrees (default: the fitted one)");
  sub->add_option("--elevation", a->elevation, "camera elevation, degrees, in (−85, 85) (default: the fitted one)")
      ->check(CLI::Range(-85.0, 85.0));
  sub->add_option("--size", a->size, "image side, px (default: the fitted working size)")->check(CLI::Range(16, 2048));
  return {sub, [a] { return run_render(*a); }};
}

}  // namespace invgfx::cli
