// Charbonnier loss, a smooth L1 (Charbonnier et al., ICIP 1994; Lai et al., LapSRN, CVPR 2017, eq. 6):
//   ℓ(d) = √(d² + ε²) − ε,   ℓ'(d) = d / √(d² + ε²),
// reduced as in core/loss.h. The −ε makes a perfect match cost 0; it changes no gradient. Unlike L1 it
// is smooth at d = 0 (curvature 1/ε there), so it behaves like L2 for |d| ≪ ε and like L1 above.
#pragma once

#include "core/loss.h"

#include <cmath>

namespace invgfx {

struct CharbonnierPenalty {
  template <class T>
  static T value(T d, T eps) { return std::sqrt(d * d + eps * eps) - eps; }
  template <class T>
  static T derivative(T d, T eps) { return d / std::sqrt(d * d + eps * eps); }
};

template <class T>
class CharbonnierLossT : public PixelwiseLossT<T, CharbonnierPenalty> {
 public:
  // eps: ε in the units of the image, > 0; default 1e-3 (LapSRN).
  explicit CharbonnierLossT(T eps = T(1e-3));
  std::string name() const override { return "charbonnier_loss"; }
  T eps() const { return this->param_; }
};

using CharbonnierLoss = CharbonnierLossT<float>;
using CharbonnierLossD = CharbonnierLossT<double>;

extern template class CharbonnierLossT<float>;
extern template class CharbonnierLossT<double>;

}  // namespace invgfx
