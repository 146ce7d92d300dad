// Where the scenes of a batch come from: the one interface between the loop's pass (loop_pass.h) and
// whatever owns the scene parameters. Today two implementations: the reconstruction network decoding
// each developed photo (network_scenes.h, training) and each photo's own scene optimised directly
// (refined_scenes.h, refinement). An implementation owns its parameters, their optimizers and their
// valid set; the pass asks it for scenes, hands it the gradients of those scenes, and the loop steps
// the optimizers it names.
#pragma once

#include "app/stage_times.h"
#include "core/optimizer.h"
#include "render/scene.h"

#include <span>
#include <vector>

namespace invgfx {

class SceneSource {
 public:
  virtual ~SceneSource() = default;

  // scenes[b] for photo photos[b]; `photo_batch` holds the developed photos (B×3×S×S, sRGB) for a
  // source that reads them. Times its stages (encode, decode) into `times`.
  virtual void forward(std::span<const int> photos, const Tensor& photo_batch, std::vector<Scene>& scenes,
                       StageTimes& times) = 0;
  // After forward with the same arguments: ADDS the gradients of the source's parameters from
  // dL_dscenes, and dL/d(photo_batch) into *dL_dphotos when it is not null (a RAW photo's
  // development receives it).
  virtual void backward(std::span<const int> photos, const Tensor& photo_batch, const std::vector<Scene>& scenes,
                        const std::vector<Scene>& dL_dscenes, Tensor* dL_dphotos, StageTimes& times) = 0;

  // Appends the optimizers a step over these photos moves.
  virtual void optimizers(std::span<const int> photos, std::vector<Optimizer*>& out) = 0;
  // Every optimizer the source owns (for settings and sessions), and its session name.
  virtual void all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) = 0;
  // After a step was applied: projects the moved parameters onto their valid set.
  virtual void project(std::span<const int> /*photos*/) {}
  // Every parameter, named uniquely ("encoder.conv1.weight", "photo3.camera").
  virtual void visit_parameters(const ParameterVisitor<float>& visit) = 0;
};

}  // namespace invgfx
