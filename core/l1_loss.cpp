// Implementation of core/l1_loss.h.
#include "core/l1_loss.h"

namespace invgfx {

template class PixelwiseLossT<float, L1Penalty>;
template class PixelwiseLossT<double, L1Penalty>;
template class L1LossT<float>;
template class L1LossT<double>;

}  // namespace invgfx
