// invgfx-cli synth --out DIR [--layout invgfx|nerf] [--views N [--test-views M] | --instances N] [--size S] [--level L]
//                  [--light sh|ambient_directional] [--mode hard|soft] [--seed N] [--wb R,G,B]
// Writes a synthetic dataset with its ground truth (app/synth.h): DIR/images, DIR/masks, DIR/truth.json
// and the true mesh in DIR/truth/. --instances N writes a category instead (app/synth_category.h): N
// instances of a shape family, one view each, each with its own truth/instance_NNN.obj.
#include "app/cli/commands.h"
#include "app/synth.h"
#include "app/synth_category.h"
#include "app/synth_nerf.h"

#include <iostream>
#include <memory>

namespace invgfx::cli {

namespace {

struct SynthArgs {
  std::string out, light = "sh", mode = "hard", layout = "invgfx";
  SynthOptions options;
  int test_views = 8;
  std::vector<double> wb;
  int instances = 0;
};

int run_synth(SynthArgs& a) {
  try {
    if (a.layout == "nerf") {
      if (a.instances > 0) throw std::invalid_argument("--instances writes the invgfx layout; it cannot be combined with --layout nerf");
      NerfSynthOptions o;
      o.size = a.options.size;
      o.views = a.options.views;
      o.test_views = a.test_views;
      o.seed = a.options.seed;
      write_nerf_synthetic(o, a.out);
      std::cout << "wrote " << o.views << " training and " << o.test_views << " test views (" << o.size << "x" << o.size
                << ", RGBA) of a horseshoe to " << a.out
                << ": transforms_train.json, transforms_test.json, train/, test/, truth/mesh.obj\n";
      return 0;
    }
    a.options.light_model = light_model_from_string(a.light);
    a.options.mode = raster_mode_from_string(a.mode);
    if (!a.wb.empty()) {
      if (a.wb.size() != 3) throw std::invalid_argument("--wb takes three gains R,G,B");
      a.options.wb_gains = {a.wb[0], a.wb[1], a.wb[2]};
    }
    if (a.instances > 0) {
      // A category's poses spread wider than one object's orbit: azimuth ±46°, elevation 3°–26°.
      a.options.azimuth_spread = 0.8;
      a.options.elevation = 0.25;
      a.options.elevation_spread = 0.2;
      const SynthData data = make_synthetic_category(a.options, a.instances);
      write_synthetic(data, a.out);
      std::cout << "wrote " << a.instances << " instances (" << a.options.size << "x" << a.options.size << ") to "
                << a.out << ": images/, masks/, truth/instance_NNN.obj, truth.json\n";
      return 0;
    }
    const SynthData data = make_synthetic(a.options);
    write_synthetic(data, a.out);
    std::cout << "wrote " << data.dataset.photos.size() << " views (" << a.options.size << "x" << a.options.size
              << ") to " << a.out << ": images/, masks/, truth/mesh.obj, truth.json\n";
  } catch (const std::exception& e) {
    return report_error("synth", e.what());
  }
  return 0;
}

}  // namespace

Command add_synth_command(CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  CLI::App* sub = app.add_subcommand(
      "synth", "Write a synthetic dataset with a known answer: a textured, asymmetric shape under a known light,\n"
               "photographed from orbit cameras through a known ISP (white-balance gains ≠ 1); masks and the\n"
               "ground truth (truth.json, truth/mesh.obj) beside the images.");
  sub->add_option("--out,-o", a->out, "output folder (created if missing)")->required();
  sub->add_option("--layout", a->layout,
                  "invgfx: images/ + masks/ + truth.json from orbit cameras; nerf: the NeRF-synthetic layout\n"
                  "(transforms_train/test.json, RGBA train/ and test/) of a horseshoe, not star-shaped, seen from\n"
                  "all around, with its truth mesh")
      ->check(CLI::IsMember({"invgfx", "nerf"}))->capture_default_str();
  auto* views = sub->add_option("--views", a->options.views, "number of (training) cameras: 1..64 (invgfx), 1..512 (nerf)")
                    ->check(CLI::Range(1, 512))->capture_default_str();
  sub->add_option("--test-views", a->test_views, "held-out cameras of the nerf layout")->check(CLI::Range(0, 512))->capture_default_str();
  sub->add_option("--instances", a->instances,
                  "write a synthetic category instead (invgfx layout): N instances of a symmetric shape family with\n"
                  "random parts, textures, poses and lights, one view each")
      ->check(CLI::Range(1, 100000))
      ->excludes(views);
  sub->add_option("--size", a->options.size, "image side, px")->check(CLI::Range(16, 2048))->capture_default_str();
  sub->add_option("--level", a->options.icosphere_level, "icosphere level of the shape")->check(CLI::Range(0, 6))->capture_default_str();
  sub->add_option("--light", a->light, "light model")->check(CLI::IsMember({"sh", "ambient_directional"}))->capture_default_str();
  sub->add_option("--mode", a->mode, "rasterizer")->check(CLI::IsMember({"hard", "soft"}))->capture_default_str();
  sub->add_option("--seed", a->options.seed, "texture palette seed")->capture_default_str();
  sub->add_option("--wb", a->wb, "the camera's white-balance gains R,G,B (default 1.9,1,1.5)")->delimiter(',')->expected(3);
  return {sub, [a] { return run_synth(*a); }};
}

}  // namespace invgfx::cli
