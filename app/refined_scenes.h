// The refinement phase's scene source: each photo's scene, decoded once by the network, becomes that
// photo's own parameters ("photo<i>.<field>", in the scene field's group: shape, texture, light,
// camera, background), optimised directly by one optimizer per photo. After each step the moved
// scenes are projected onto what the renderer draws sensibly (SceneT::clamp_field).
#pragma once

#include "app/loop_config.h"
#include "app/scene_source.h"

#include <array>
#include <memory>

namespace invgfx {

class RefinedScenes : public SceneSource {
 public:
  // starts[i]: photo i's scene to start from.
  RefinedScenes(const std::vector<Scene>& starts, const LoopConfig& config, double lr_factor);

  int num_photos() const { return static_cast<int>(photos_.size()); }
  // Photo i's current scene.
  void scene(int photo, Scene& out) const;

  void forward(std::span<const int> photos, const Tensor& photo_batch, std::vector<Scene>& scenes,
               StageTimes& times) override;
  void backward(std::span<const int> photos, const Tensor& photo_batch, const std::vector<Scene>& scenes,
                const std::vector<Scene>& dL_dscenes, Tensor* dL_dphotos, StageTimes& times) override;
  void optimizers(std::span<const int> photos, std::vector<Optimizer*>& out) override;
  void all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) override;
  void project(std::span<const int> photos) override;
  void visit_parameters(const ParameterVisitor<float>& visit) override;

 private:
  struct Photo {
    std::vector<Parameter> parameters;                // the scene's non-empty fields, in field order
    std::array<int, kNumSceneFields> field_index{};  // field → index into parameters, −1 when absent
    std::unique_ptr<Optimizer> optimizer;
  };
  std::vector<Photo> photos_;
};

}  // namespace invgfx
