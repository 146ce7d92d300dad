// Implementation of core/mse_loss.h.
#include "core/mse_loss.h"

namespace invgfx {

template class PixelwiseLossT<float, SquaredPenalty>;
template class PixelwiseLossT<double, SquaredPenalty>;
template class MseLossT<float>;
template class MseLossT<double>;

}  // namespace invgfx
