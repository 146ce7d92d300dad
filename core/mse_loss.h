// Mean squared error: ℓ(d) = d², d = pred − target, reduced as in core/loss.h (masked, weighted mean).
#pragma once

#include "core/loss.h"

namespace invgfx {

struct SquaredPenalty {
  template <class T>
  static T value(T d, T) { return d * d; }
  template <class T>
  static T derivative(T d, T) { return T(2) * d; }
};

template <class T>
class MseLossT : public PixelwiseLossT<T, SquaredPenalty> {
 public:
  std::string name() const override { return "mse_loss"; }
};

using MseLoss = MseLossT<float>;
using MseLossD = MseLossT<double>;

extern template class MseLossT<float>;
extern template class MseLossT<double>;

}  // namespace invgfx
