// Implementation of app/refined_scenes.h.
#include "app/refined_scenes.h"

#include "app/loop_optimizers.h"

#include <cstring>

namespace invgfx {

RefinedScenes::RefinedScenes(const std::vector<Scene>& starts, const LoopConfig& config, double lr_factor) {
  photos_.resize(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    Photo& ph = photos_[i];
    ph.field_index.fill(-1);
    starts[i].visit_fields([&](SceneField f, const Tensor& t) {
      if (t.empty()) return;
      ph.field_index[static_cast<size_t>(f)] = static_cast<int>(ph.parameters.size());
      Parameter p("photo" + std::to_string(i) + "." + scene_field_name(f), scene_field_group(f), t.shape());
      p.value.copy_from(t);
      ph.parameters.push_back(std::move(p));
    });
    std::vector<Parameter*> ptrs;
    for (Parameter& p : ph.parameters) ptrs.push_back(&p);
    ph.optimizer = make_loop_optimizer(std::move(ptrs), config, lr_factor);
  }
}

void RefinedScenes::scene(int photo, Scene& out) const {
  const Photo& ph = photos_[static_cast<size_t>(photo)];
  out.visit_fields([&](SceneField f, Tensor& t) {
    const int k = ph.field_index[static_cast<size_t>(f)];
    if (k < 0) t.resize_like(Tensor());
    else t.copy_from(ph.parameters[static_cast<size_t>(k)].value);
  });
}

void RefinedScenes::forward(std::span<const int> photos, const Tensor&, std::vector<Scene>& scenes,
                            StageTimes& times) {
  StageTimer t(times, LoopStage::kDecode);
  if (scenes.size() < photos.size()) scenes.resize(photos.size());
  for (size_t b = 0; b < photos.size(); ++b) scene(photos[b], scenes[b]);
}

void RefinedScenes::backward(std::span<const int> photos, const Tensor&, const std::vector<Scene>&,
                             const std::vector<Scene>& dL_dscenes, Tensor*, StageTimes& times) {
  StageTimer t(times, LoopStage::kDecodeBackward);
  for (size_t b = 0; b < photos.size(); ++b) {
    Photo& ph = photos_[static_cast<size_t>(photos[b])];
    dL_dscenes[b].visit_fields([&](SceneField f, const Tensor& g) {
      const int k = ph.field_index[static_cast<size_t>(f)];
      if (k < 0) return;
      Parameter& p = ph.parameters[static_cast<size_t>(k)];
      if (g.numel() != p.grad.numel()) return;
      for (int64_t i = 0; i < g.numel(); ++i) p.grad[i] += g[i];
    });
  }
}

void RefinedScenes::optimizers(std::span<const int> photos, std::vector<Optimizer*>& out) {
  for (int i : photos) out.push_back(photos_[static_cast<size_t>(i)].optimizer.get());
}

void RefinedScenes::all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) {
  for (size_t i = 0; i < photos_.size(); ++i) out.emplace_back("photo" + std::to_string(i), photos_[i].optimizer.get());
}

void RefinedScenes::project(std::span<const int> photos) {
  for (int i : photos) {
    Photo& ph = photos_[static_cast<size_t>(i)];
    for (int f = 0; f < kNumSceneFields; ++f) {
      const int k = ph.field_index[static_cast<size_t>(f)];
      if (k >= 0) Scene::clamp_field(static_cast<SceneField>(f), ph.parameters[static_cast<size_t>(k)].value);
    }
  }
}

void RefinedScenes::visit_parameters(const ParameterVisitor<float>& visit) {
  for (Photo& ph : photos_)
    for (Parameter& p : ph.parameters) visit(p);
}

}  // namespace invgfx
