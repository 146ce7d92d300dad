// Soft IoU loss of a silhouette against a mask (Kato, Ushiku & Harada, "Neural 3D Mesh Renderer",
// CVPR 2018, eq. 5), with per-element weights w (1 without a weight) and scale s:
//   I = Σ_i w_i a_i b_i,   U = Σ_i w_i (a_i + b_i − a_i b_i),   L = s · (1 − I / U),
// over every element of pred a and target b (one IoU for the whole tensor; the loop calls it per
// image). Gradients (U > 0):
//   ∂L/∂a_i = −s w_i (b_i U − I (1 − b_i)) / U²,   ∂L/∂b_i = −s w_i (a_i U − I (1 − a_i)) / U².
// When both are empty (U = 0) the silhouettes agree: L = 0 with zero gradients, never NaN. A mask
// (core/loss.h's weighting mask) is refused: use the weight. Sums run in double, in element order,
// so the value does not depend on the thread count.
#pragma once

#include "core/loss.h"

namespace invgfx {

template <class T>
class SoftIouLossT : public LossT<T> {
 public:
  std::string name() const override { return "soft_iou_loss"; }
  T forward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting) override;
  void backward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting, T dL_dloss,
                TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget, TensorT<T>* dL_dmask) override;

 private:
  double intersection_ = 0, union_ = 0;  // I and U of the last forward
};

using SoftIouLoss = SoftIouLossT<float>;
using SoftIouLossD = SoftIouLossT<double>;

extern template class SoftIouLossT<float>;
extern template class SoftIouLossT<double>;

}  // namespace invgfx
