// The self-supervised loop of DESIGN.md, one object that the CLI and the GUI drive alike:
//   photo → encoder → SceneDecoder → SceneRenderer (linear RGB + silhouette) → sensor mosaic → ISP
//   → sRGB render; photo and render → FeatureNet; loss = pixel + SSIM + feature + silhouette + mesh
//   regularizers + ISP prior; backward through all of it; one Adam step over every group.
// RAW photos close the second loop: their mosaic goes through the optional RawDenoiser and the SAME
// ISP before the encoder sees it and the loss compares against it, so the ISP receives gradients from
// both branches.
//
// Phases: training (mini-batches over the dataset, the network learns) for train_fraction of the
// iterations, then refinement (each photo's decoded scene becomes its own parameters — groups shape,
// texture, light, camera, background — optimised directly, round-robin over photos in batches).
//
// Divergence guard: a step whose loss or gradients are not finite, or whose new parameters are not,
// is rolled back to the last good state, the learning rate is halved, and StepInfo reports it.
// Not thread-safe: one thread calls step() and the commands (the GUI's worker applies its commands
// between steps).
#pragma once

#include "app/dataset.h"
#include "app/loop_config.h"
#include "isp/pipeline.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace invgfx {

enum class LoopPhase { kTraining, kRefinement, kDone };
const char* to_string(LoopPhase p);

struct StepInfo {
  int64_t iteration = 0;   // iterations completed after this step
  LoopPhase phase = LoopPhase::kTraining;
  double loss = 0;         // total weighted loss of the step's batch
  std::vector<std::pair<std::string, double>> terms;  // weighted value of each active term
  bool applied = true;     // false: the step diverged and was rolled back
  std::string event;       // what happened when not applied (and the new learning rate)
  double seconds = 0;      // wall time of the step
};

// What the GUI shows of one photo, refreshed after a step (buffers are reused).
struct LoopSnapshot {
  int64_t iteration = 0;
  LoopPhase phase = LoopPhase::kTraining;
  int photo = 0;
  Tensor photo_srgb;     // 3×S×S
  Tensor render_srgb;    // 3×S×S, after sensor + ISP
  Tensor render_linear;  // 3×S×S, before the sensor
  Tensor error;          // 1×S×S, mean absolute sRGB error over channels
  Tensor silhouette;     // 1×S×S, the render's alpha
  Tensor mask;           // 1×S×S, the photo's mask (empty without masks)
  Scene scene;           // the photo's current scene
  Mesh mesh;             // its mesh with texture, for the 3D view
  nlohmann::json isp;    // IspPipeline::parameters_json()
  std::vector<double> photo_loss;  // last loss of every photo (NaN before it was seen)
};

struct PhotoMetrics {
  std::string path;
  double loss = 0;
  double psnr = 0;   // dB, render vs photo, sRGB, over the whole working square
  double ssim = 0;
  double iou = -1;   // render silhouette (alpha > 0.5) vs mask (> 0.5); −1 without a mask
};

struct FitMetrics {
  double loss = 0;   // mean total loss over photos
  std::vector<std::pair<std::string, double>> terms;  // mean weighted terms over photos
  std::vector<PhotoMetrics> photos;
  double psnr = 0, ssim = 0, iou = -1;  // means (iou over photos with masks; −1 if none)
  double iterations_per_second = 0;     // over the steps run by this object
  int64_t iterations = 0;
  nlohmann::json to_json() const;
};

class Loop {
 public:
  // The dataset's photos must be config.render.size square. Throws std::invalid_argument on a bad
  // config or dataset, naming what is wrong.
  Loop(const LoopConfig& config, Dataset dataset);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  const LoopConfig& config() const;
  const Dataset& dataset() const;
  int num_photos() const;

  StepInfo step();  // never throws on divergence; throws only on programming errors
  int64_t iteration() const;
  LoopPhase phase() const;
  bool done() const;  // iteration() ≥ config().iterations

  // Commands (between steps).
  void set_group(const std::string& group, const GroupSettings& settings);
  GroupSettings group(const std::string& group) const;
  std::vector<std::string> group_names() const;   // net, shape, texture, light, camera, isp, background
  void set_loss_weights(const LossWeights& w);
  void set_isp_stage_enabled(const std::string& stage, bool enabled);
  void set_render_options(const RenderOptions& o);  // mode, σ, γ (size must stay)
  void set_iterations(int iterations);              // extend or shorten the run
  void start_refinement();                          // switch to refinement now
  void reset();                                     // back to iteration 0, re-initialised from the seed

  // Results.
  void snapshot(int photo, LoopSnapshot& out);
  Scene scene(int photo);               // current decoded (training) or refined scene
  Mesh mesh(int photo);                 // with texture (or colours), for export
  void render(int photo, Tensor* linear, Tensor* srgb, Tensor* alpha);
  IspPipeline& isp();                   // the render-side ISP (its parameters are the fitted camera ISP)
  FitMetrics metrics();                 // evaluates every photo (no parameter change)
  // Total loss of the given photos (≤ batch_size of them) in the current phase, with its gradients
  // left in the parameters (isp() included); no step is taken. For gradient checks and tools.
  double loss_and_gradients(const std::vector<int>& photos);
  // Every parameter of the fit: encoder, decoder heads, feature net, isp(), the RAW denoiser and, in
  // refinement, each photo's scene ("photo<i>.<field>"). For tools and tests.
  void visit_parameters(const ParameterVisitor<float>& visit);

  // Sessions: the config, weights, optimizer state, refined parameters, ISP, iteration, phase, RNG.
  // save writes atomically (temp file + rename) and throws std::runtime_error naming the path when
  // it cannot; load restores exactly (a resumed fit continues bit-identically) and throws naming the
  // file and the mismatch (not a session, other version, dataset of another size).
  void save_session(const std::filesystem::path& path);
  void load_session(const std::filesystem::path& path);
  // Reads only the config stored in a session file (so a resume can rebuild the loop first).
  static LoopConfig session_config(const std::filesystem::path& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace invgfx
