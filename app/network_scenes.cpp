// Implementation of app/network_scenes.h.
#include "app/network_scenes.h"

#include "app/loop_optimizers.h"

namespace invgfx {

NetworkScenes::NetworkScenes(ReconstructionNet& net, const LoopConfig& config, double lr_factor) : net_(net) {
  optimizer_ = make_loop_optimizer(collect_parameters<float>(net_), config, lr_factor);
}

void NetworkScenes::forward(std::span<const int>, const Tensor& photo_batch, std::vector<Scene>& scenes,
                            StageTimes& times) {
  {
    StageTimer t(times, LoopStage::kEncode);
    net_.encode(photo_batch, code_);
  }
  StageTimer t(times, LoopStage::kDecode);
  net_.decode(code_, scenes);
}

void NetworkScenes::backward(std::span<const int>, const Tensor& photo_batch, const std::vector<Scene>& scenes,
                             const std::vector<Scene>& dL_dscenes, Tensor* dL_dphotos, StageTimes& times) {
  {
    StageTimer t(times, LoopStage::kDecodeBackward);
    net_.decode_backward(code_, scenes, dL_dscenes, dL_dcode_);
  }
  StageTimer t(times, LoopStage::kEncodeBackward);
  net_.encode_backward(photo_batch, code_, dL_dcode_, dL_dphotos);
}

void NetworkScenes::optimizers(std::span<const int>, std::vector<Optimizer*>& out) { out.push_back(optimizer_.get()); }

void NetworkScenes::all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) {
  out.emplace_back("network", optimizer_.get());
}

}  // namespace invgfx
