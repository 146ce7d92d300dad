// L1 loss: ℓ(d) = |d|, d = pred − target, reduced as in core/loss.h (masked, weighted mean).
// |d| has a kink at d = 0; there the gradient is the subgradient 0 (sign(0) = 0), which is also what
// a central difference gives at exact equality: (|h| − |−h|) / 2h = 0.
#pragma once

#include "core/loss.h"

namespace invgfx {

struct L1Penalty {
  template <class T>
  static T value(T d, T) { return d < T(0) ? -d : d; }
  template <class T>
  static T derivative(T d, T) { return static_cast<T>((d > T(0)) - (d < T(0))); }
};

template <class T>
class L1LossT : public PixelwiseLossT<T, L1Penalty> {
 public:
  std::string name() const override { return "l1_loss"; }
};

using L1Loss = L1LossT<float>;
using L1LossD = L1LossT<double>;

extern template class L1LossT<float>;
extern template class L1LossT<double>;

}  // namespace invgfx
