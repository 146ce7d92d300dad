// Implementation of core/charbonnier_loss.h.
#include "core/charbonnier_loss.h"

#include <stdexcept>

namespace invgfx {

template <class T>
CharbonnierLossT<T>::CharbonnierLossT(T eps) : PixelwiseLossT<T, CharbonnierPenalty>(eps) {
  if (!(eps > T(0)) || !std::isfinite(static_cast<double>(eps)))
    throw std::invalid_argument("CharbonnierLoss: eps must be finite and > 0, got " +
                                std::to_string(static_cast<double>(eps)));
}

template class PixelwiseLossT<float, CharbonnierPenalty>;
template class PixelwiseLossT<double, CharbonnierPenalty>;
template class CharbonnierLossT<float>;
template class CharbonnierLossT<double>;

}  // namespace invgfx
