// The training phase's scene source: the reconstruction network decodes each developed photo
// (encode, then decode: app/nets/reconstruction_net.h) and learns from every photo's gradients, with
// one optimizer over the whole network (the loss's feature network included, frozen by default).
#pragma once

#include "app/loop_config.h"
#include "app/nets/reconstruction_net.h"
#include "app/scene_source.h"

#include <memory>

namespace invgfx {

class NetworkScenes : public SceneSource {
 public:
  NetworkScenes(ReconstructionNet& net, const LoopConfig& config, double lr_factor);

  void forward(std::span<const int> photos, const Tensor& photo_batch, std::vector<Scene>& scenes,
               StageTimes& times) override;
  void backward(std::span<const int> photos, const Tensor& photo_batch, const std::vector<Scene>& scenes,
                const std::vector<Scene>& dL_dscenes, Tensor* dL_dphotos, StageTimes& times) override;
  void optimizers(std::span<const int> photos, std::vector<Optimizer*>& out) override;
  void all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) override;
  void visit_parameters(const ParameterVisitor<float>& visit) override { net_.visit_parameters(visit); }

  Optimizer& optimizer() { return *optimizer_; }

 private:
  ReconstructionNet& net_;
  std::unique_ptr<Optimizer> optimizer_;
  Tensor code_, dL_dcode_;
};

}  // namespace invgfx
