// Feature distance: the mean squared difference of two feature maps (the perceptual term of the
// loop, on the shared feature network's outputs for the render and the photo), reduced as the MSE of
// core/loss.h over the whole N×C×H×W batch:
//   L = s · (1/N) Σ_n d_n,   d_n = (1/(C·H·W)) Σ_{c,h,w} (a − b)²,
// which is the batch MSE when every item has the same size. Besides the batch value it reports each
// item's share s·d_n from the same pass (item_values), so a caller that weighs items as one batch
// can still say how far each photo is. Gradients: ∂L/∂a = 2s(a − b)/(N·C·H·W) = −∂L/∂b.
// Without a mask or weight only (they would make the per-item shares ill-defined).
#pragma once

#include "core/mse_loss.h"

#include <vector>

namespace invgfx {

template <class T>
class FeatureDistanceLossT : public PixelwiseLossT<T, SquaredPenalty> {
 public:
  std::string name() const override { return "feature_distance"; }
  T forward(const TensorT<T>& a, const TensorT<T>& b, const LossWeighting<T>& weighting) override;
  // s·d_n of every item of the last forward.
  const std::vector<double>& item_values() const { return items_; }

 private:
  std::vector<double> items_;
};

using FeatureDistanceLoss = FeatureDistanceLossT<float>;
using FeatureDistanceLossD = FeatureDistanceLossT<double>;

extern template class FeatureDistanceLossT<float>;
extern template class FeatureDistanceLossT<double>;

}  // namespace invgfx
