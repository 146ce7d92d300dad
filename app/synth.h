// Synthetic datasets with a known answer (COLMAP's habit: end-to-end tests synthesise a scene and check
// what was recovered). A textured, non-spherical shape — the icosphere stretched to an ellipsoid with a
// bump on one side, its texture a grid of coloured patches with one odd patch, so no view is the mirror
// of another — lit by a known light, photographed from N known orbit cameras through the loop's own
// image formation: SceneRenderer → sensor mosaic → ISP with known white-balance gains → sRGB.
//
// On disk (write_synthetic), following app/dataset.h's mask convention:
//   DIR/images/view_00.png …   sRGB photos
//   DIR/masks/view_00.png …    white = foreground (rendered coverage > 0.5)
//   DIR/truth/mesh.obj (+ mesh.mtl, texture.png)   the true shape and albedo, usable as a template
//   DIR/truth.json             everything else: cameras (orbit values and both conventions), light,
//                              background, ISP, white-balance gains, render options
#pragma once

#include "app/dataset.h"
#include "render/scene.h"
#include "render/scene_render.h"

#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <vector>

namespace invgfx {

struct SynthOptions {
  int size = 96;                  // image side, px, 16..2048
  int views = 4;                  // orbit cameras, 1..64
  int icosphere_level = 3;        // template level, 0..6
  int texture_size = 64;          // albedo texels per side (T×2T texture), power of two ≥ 8
  double fov_y = 0.6;             // radians, (0, π)
  RasterMode mode = RasterMode::kHard;
  // Cameras: when `cameras` is empty, views spread evenly over azimuth [−azimuth_spread, +azimuth_spread]
  // around `azimuth`, elevations alternating elevation ± elevation_spread, all at `distance`, roll 0.
  std::vector<std::array<double, 4>> cameras;  // (azimuth rad, elevation rad, distance, roll rad) each
  double azimuth = 0.0, azimuth_spread = 0.3;  // radians
  double elevation = 0.25, elevation_spread = 0.08;  // radians
  double distance = 3.0;                       // world units, > 0
  // Light: model and values in SceneT's layout; empty = a default (SH: white L00 = 0.8 with light from
  // above and in front; ambient+directional: 0.35 grey ambient, 0.6 white from the upper right).
  LightModel light_model = LightModel::kSphericalHarmonics;
  std::vector<double> light;
  std::array<double, 3> background{0.18, 0.22, 0.28};  // linear RGB in [0, 1]
  // The camera's ISP: IspPipeline JSON with a sensor stage first (null = synth_default_isp_json());
  // its white-balance stage gets `wb_gains` (R, G, B; normalised by green).
  nlohmann::json isp;
  std::array<double, 3> wb_gains{1.9, 1.0, 1.5};
  uint64_t seed = 1;              // texture palette
  void check() const;             // throws std::invalid_argument naming the field
};

// sensor (mosaic, no noise) → black/white level (identity) → white balance → demosaic (Malvar) →
// colour matrix (identity) → sRGB: the loop's render-side chain without the tone curve, white balance
// learnable and everything else frozen.
nlohmann::json synth_default_isp_json();

struct SynthTruth {
  SynthOptions options;
  std::vector<std::string> image_names;  // file name of each view under images/ (and masks/)
  RenderOptions render;             // what the images were rendered with
  Mesh mesh;                        // the true shape with UVs and texture (quantised to 8-bit sRGB,
                                    // exactly what mesh.obj + texture.png hold)
  std::vector<Scene> scenes;        // one per view (with an instance's own positions and texture for
                                    // a category: synth_category.h)
  bool instances = false;           // a category: each view is its own instance, truth/<name>.obj
  nlohmann::json isp;               // IspPipeline::to_json() of the camera's ISP
  nlohmann::json to_json() const;   // truth.json (without file names)
};

struct SynthData {
  Dataset dataset;   // photos (sRGB, unquantised) and masks; paths as write_synthetic names them
  SynthTruth truth;
};

// Renders the dataset in memory. Throws std::invalid_argument on bad options.
SynthData make_synthetic(const SynthOptions& options);

// Renders one view of `scene` through `isp` into out.dataset (photo and mask, as images/<name>) and
// out.truth (the scene and the name): the image formation every synthetic dataset shares.
void add_synthetic_view(SynthData& out, const Scene& scene, SceneRenderer& renderer, IspPipeline& isp,
                        const std::string& name);
// The camera's ISP of a synthetic dataset (options.isp or the default, its white balance set to
// options.wb_gains). Throws std::invalid_argument when it does not start with a sensor stage.
IspPipeline synthetic_isp(const SynthOptions& options);

// Writes the layout above into `dir` (created if missing). Throws std::runtime_error naming the path
// that cannot be written.
void write_synthetic(const SynthData& data, const std::filesystem::path& dir);

// HSV → RGB (hue in [0, 6) sectors, saturation and value in [0, 1]): the palettes of synthetic textures.
std::array<double, 3> hsv_to_rgb(double hue, double saturation, double value);
// The synthetic albedo: a T×T grid of 8 × 4 patches of random colours (seeded) with smoothed
// borders and one light marker patch, quantised to 8-bit sRGB (linear values).
Tensor synth_texture(int t, uint64_t seed);
// The default light of a model (SynthOptions::light).
std::vector<double> synth_default_light(LightModel model);

// The angle of R_a·R_bᵀ in degrees between two orbit cameras (4-vectors as SceneT::camera): the
// rotation error the recovery tests measure.
double camera_rotation_error_deg(const Tensor& camera_a, const Tensor& camera_b);

}  // namespace invgfx
