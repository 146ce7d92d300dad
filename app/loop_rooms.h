// The rooms of the Loop (app/loop.h) and the little state that ties them together: private to the
// Loop's own sources (loop.cpp: phases, steps, commands, results; loop_session.cpp: sessions).
#pragma once

#include "app/batch_schedule.h"
#include "app/camera_isp.h"
#include "app/feature_term.h"
#include "app/loop.h"
#include "app/loop_optimizers.h"
#include "app/loop_pass.h"
#include "app/multiview_scenes.h"
#include "app/network_scenes.h"
#include "app/refined_scenes.h"
#include "core/divergence_guard.h"

#include <cmath>
#include <memory>
#include <optional>

namespace invgfx {

// The rooms of the loop and the little state that ties them together.
struct Loop::Rooms {
  LoopConfig config;
  Dataset dataset;
  std::unique_ptr<ReconstructionNet> net;
  std::unique_ptr<CameraIsp> camera;
  std::unique_ptr<NetworkScenes> network;  // training
  std::unique_ptr<RefinedScenes> refined;  // refinement; null before
  std::unique_ptr<MultiViewScenes> multiview;  // a dataset with cameras: the one source, no phases
  std::unique_ptr<FeatureTerm> features;
  std::unique_ptr<LoopPass> pass;
  std::unique_ptr<BatchSchedule> schedule;
  DivergenceGuard guard;
  LoopState state;
  std::vector<int> batch;
  std::vector<Optimizer*> step_optimizers;
  StageTimes times;  // of forward-only passes (snapshots, metrics), not reported
  int64_t steps_run = 0;
  double seconds_run = 0;

  std::optional<Mesh> template_mesh;  // a model's template, used instead of the configuration's

  // Builds every room; throws on a bad config or dataset. `tmpl`: a model's template mesh, or null.
  Rooms(const LoopConfig& c, Dataset d, const Mesh* tmpl);

  int train_iterations() const { return static_cast<int>(std::llround(config.train_fraction * config.iterations)); }
  LoopPhase phase() const {
    if (state.iteration >= config.iterations) return LoopPhase::kDone;
    return state.refining ? LoopPhase::kRefinement : LoopPhase::kTraining;
  }
};

}  // namespace invgfx
