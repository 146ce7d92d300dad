// Every knob of the loop, as one JSON document. Presets live in assets/presets/NAME.json; a config
// file may hold only the fields it changes (the rest keep their defaults), and unknown fields are
// errors naming the field, so a typo never silently does nothing.
//
//   {"preset": "single_object", "iterations": 600, "batch_size": 1, "lr": 0.001,
//    "template": {"icosphere_level": 3, "radius": 1.0, "obj": ""},
//    "render": {"size": 128, "fov_y": 0.6, "mode": "hard", "light": "sh", "sigma": 1e-4, "gamma": 1e-4},
//    "decoder": {...SceneDecoderOptions...}, "encoder": {"channels": [32, 64, 128, 256, 256], "code": 256},
//    "features": {"channels": 32, "seed": 1234, "weights": ""},
//    "isp": {...IspPipeline JSON...}, "raw_denoiser": false,
//    "train_fraction": 0.7, "groups": {"camera": {"lr_scale": 1, "frozen": false}, ...},
//    "weights": {"pixel": 1, "pixel_kind": "charbonnier", "ssim": 0.2, ...},
//    "multiview": {"lambda": 20, "texture_size": 512},
//    "checkpoint_interval": 0, "seed": 1, "log_interval": 10}
#pragma once

#include "app/loss_terms.h"
#include "app/nets/feature_net.h"
#include "app/nets/raw_denoiser.h"
#include "app/nets/scene_decoder.h"
#include "render/render_options.h"
#include "core/encoder.h"
#include "core/optimizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace invgfx {

// The multi-view fit (multiview_scenes.h): one object shared by every photo of a dataset with cameras.
struct MultiViewOptions {
  double lambda = 20;      // Large Steps λ of u = (I + λL)v (render/large_steps.h), ≥ 0; larger = smoother steps
  int texture_size = 512;  // side of the shared texture, texels, 8..4096
};

struct LoopConfig {
  std::string preset_name;            // name of the preset it was loaded from, for reports (JSON "preset")
  int iterations = 600;               // total steps (training, then refinement)
  double train_fraction = 0.7;        // share of iterations spent training the network; the rest
                                      // refines each photo's decoded scene directly; [0, 1]
  int batch_size = 8;                 // photos per training step (capped by the dataset size), ≥ 1
  double lr = 1e-3;                   // base Adam learning rate, > 0
  double max_grad_norm = 10.0;        // global gradient clipping, 0 = off
  std::map<std::string, GroupSettings> groups;  // per group: lr_scale, lr, weight_decay, frozen

  int icosphere_level = 3;            // template icosphere level, 0..6
  double template_radius = 1.0;       // world units
  std::string template_obj;           // "" = icosphere; else an OBJ (its texture is the initial albedo)

  RenderOptions render;               // render.size is the working resolution of the dataset
  SceneDecoderOptions decoder;
  EncoderOptions encoder;             // image_size follows render.size; out_features = decoder.code_size
  FeatureNetOptions features;
  nlohmann::json isp;                 // IspPipeline JSON of the render-side ISP (sensor mosaic first)
  bool raw_denoiser = false;          // pre-ISP denoiser on real RAW inputs
  RawDenoiserOptions denoiser;
  LossWeights weights;                // loss_terms.h: one weight per term, by the term's name
  MultiViewOptions multiview;         // used when the dataset has cameras (multiview_scenes.h)

  int checkpoint_interval = 0;        // save the session every N steps when > 0
  std::filesystem::path checkpoint_path;  // where (CLI: OUT/session.bin)
  int log_interval = 10;              // steps between progress lines / history points
  uint64_t seed = 1;

  // Throws std::invalid_argument naming the field.
  void check() const;
  // Fields of j overlay `base` (the defaults when omitted).
  static LoopConfig from_json(const nlohmann::json& j);
  static LoopConfig from_json(const nlohmann::json& j, const LoopConfig& base);
  nlohmann::json to_json() const;
  // Throws std::runtime_error naming the file (missing, unreadable, bad JSON, bad field).
  static LoopConfig from_file(const std::filesystem::path& path);
  // assets/presets/<name>.json: "single_object", "category", "pose_calibration", "multiview".
  static LoopConfig preset(const std::string& name);
  static std::vector<std::string> preset_names();
};

// The project's assets folder: $INVGFX_ASSETS if set, else the source tree's assets/ (compiled in),
// else ../share/invgfx/assets beside the executable. Throws std::runtime_error if none exists.
std::filesystem::path assets_dir();

}  // namespace invgfx
