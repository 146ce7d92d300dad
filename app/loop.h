// The self-supervised loop, one object that the CLI and the GUI drive alike:
//   photo → encoder → scene decoder → scene renderer (linear RGB + silhouette) → sensor mosaic → ISP
//   → sRGB render; photo and render → feature network; loss = pixel + SSIM + feature + silhouette +
//   mesh regularizers + ISP prior; backward through all of it; one guarded step of every optimizer.
// RAW photos close the second loop: their mosaic goes through the optional RAW denoiser and the SAME
// ISP before the encoder sees it and the loss compares against it, so the ISP receives gradients from
// both branches.
//
// The Loop is a facade over rooms with one job each: the batch pass as named stages (loop_pass.h),
// the sources of scenes (network_scenes.h in training, refined_scenes.h in refinement), the camera
// (camera_isp.h), the loss terms (loss_terms.h), which photos a step sees (batch_schedule.h), the
// divergence guard (core/divergence_guard.h), metrics (fit_metrics.h) and the session file
// (session_file.h). The Loop itself holds the phases, the schedule of steps and the commands.
//
// Phases: training (mini-batches over the dataset, the network learns) for train_fraction of the
// iterations, then refinement (each photo's decoded scene becomes its own parameters, optimised
// directly, round robin over photos in batches).
//
// Not thread-safe: one thread calls step() and the commands (the GUI's worker applies its commands
// between steps).
#pragma once

#include "app/dataset.h"
#include "app/fit_metrics.h"
#include "app/model_file.h"
#include "app/loop_config.h"
#include "app/session_file.h"
#include "app/stage_times.h"
#include "core/traverse.h"
#include "isp/pipeline.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace invgfx {

class CameraIsp;
class SceneSource;

enum class LoopPhase { kTraining, kRefinement, kDone };
const char* to_string(LoopPhase p);

struct StepInfo {
  int64_t iteration = 0;   // iterations completed after this step
  LoopPhase phase = LoopPhase::kTraining;
  double loss = 0;         // total weighted loss of the step's batch
  LossValues terms{};      // weighted value of each term (mean over the batch); NaN where a term is off
  bool applied = true;     // false: the step diverged and was rolled back
  std::string event;       // what happened when not applied (and the new learning rate)
  double seconds = 0;      // wall time of the step
  StageTimes timings;      // wall time of each named stage of the step
};

// A field of the camera as the GUI shows it: its spec (kind, range, flags) and values.
struct CameraField {
  FieldSpec spec;
  std::vector<double> values;
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
  nlohmann::json isp;    // the camera's chain as an IspPipeline configuration (CameraIsp::to_json)
  std::vector<CameraField> camera;  // every field of the camera, traversal order
  std::vector<double> photo_loss;   // last loss of every photo (NaN before it was seen)
};

class Loop {
 public:
  // The dataset's photos must be config.render.size square. `template_mesh`: a model's template
  // (model_file.h) instead of the one the configuration builds, or null. Throws
  // std::invalid_argument on a bad config or dataset, naming what is wrong.
  Loop(const LoopConfig& config, Dataset dataset, const Mesh* template_mesh = nullptr);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  const LoopConfig& config() const;
  const Dataset& dataset() const;
  int num_photos() const;

  StepInfo step();  // never throws on divergence; throws only on programming errors or a failed checkpoint
  int64_t iteration() const;
  LoopPhase phase() const;
  bool done() const;  // iteration() ≥ config().iterations

  // Commands (between steps).
  void set_group(const std::string& group, const GroupSettings& settings);
  GroupSettings group(const std::string& group) const;
  std::vector<std::string> group_names() const;   // net, shape, texture, light, camera, isp, background
  void set_loss_weights(const LossWeights& w);
  // Sets a field of the camera ("sharpen.sigma", "white_balance.enabled", …: core/traverse.h) through
  // its validation; the render and the development of RAW photos follow from the next forward on.
  // Throws std::invalid_argument for an unknown field, a structural one (fixed during a fit) or a
  // refused value.
  void set_camera_field(const std::string& name, const std::vector<double>& values);
  void set_isp_stage_enabled(const std::string& stage, bool enabled);  // the field "<stage>.enabled"
  void set_render_options(const RenderOptions& o);  // mode, σ, γ, mip levels (size and light model must stay)
  void set_iterations(int iterations);              // extend or shorten the run
  void start_refinement();                          // switch to refinement now
  void reset();                                     // back to iteration 0, re-initialised from the seed

  // Results.
  void snapshot(int photo, LoopSnapshot& out);
  Scene scene(int photo);               // current decoded (training) or refined scene
  Mesh mesh(int photo);                 // with texture (or colours), for export
  void render(int photo, Tensor* linear, Tensor* srgb, Tensor* alpha);
  CameraIsp& camera();
  IspPipeline& isp();                   // the camera's ISP (its parameters are the fitted camera ISP)
  FitMetrics metrics();                 // evaluates every photo (no parameter change)
  // Total loss of the given photos (≤ batch_size of them) in the current phase, with its gradients
  // left in the parameters (isp() included); no step is taken. For gradient checks and tools.
  double loss_and_gradients(const std::vector<int>& photos);
  // Every parameter of the fit: the network (encoder, heads, feature net), the camera (ISP, RAW
  // denoiser) and, in refinement, each photo's scene ("photo<i>.<field>"). For tools and tests.
  void visit_parameters(const ParameterVisitor<float>& visit);

  // Sessions (session_file.h): save writes atomically and throws std::runtime_error naming the path;
  // load restores exactly (a resumed fit continues bit-identically) and throws naming the file and
  // the mismatch (not a session, another version, damaged, a dataset of another size).
  void save_session(const std::filesystem::path& path);
  void load_session(const std::filesystem::path& path);
  // The configuration, and the inputs and masks, stored in a session file (so a resume can rebuild
  // the dataset and the loop first).
  static LoopConfig session_config(const std::filesystem::path& path);
  static SessionInputs session_inputs(const std::filesystem::path& path);

  // Models (model_file.h, loop_model.cpp): the network, the camera and the template as they are now,
  // with `info` stored beside; set_model takes a model's parameters and camera fields (the network's
  // scenes follow at once; refinement, if running, is dropped). set_model throws std::runtime_error
  // "<what>: <problem>" when the model's parameters differ by name or shape from this loop's (a
  // model of another configuration), before anything changes.
  ModelContents model(const nlohmann::json& info);
  void set_model(const ModelContents& model, const std::string& what);

 private:
  struct Rooms;
  SceneSource& source();
  void begin_refinement();
  void build_step_optimizers();
  void apply_settings();
  const std::vector<Scene>& decode(std::span<const int> photos);
  void forward(std::span<const int> photos);
  double camera_terms(LossValues& terms, bool grad);
  std::vector<std::pair<std::string, const Tensor*>> session_tensors();
  std::vector<Parameter*> model_parameters();

  std::unique_ptr<Rooms> r_;
};

}  // namespace invgfx
