// Implementation of core/feature_distance_loss.h.
#include "core/feature_distance_loss.h"

#include <stdexcept>

namespace invgfx {

template <class T>
T FeatureDistanceLossT<T>::forward(const TensorT<T>& a, const TensorT<T>& b, const LossWeighting<T>& weighting) {
  if (weighting.mask || weighting.weight)
    throw std::invalid_argument(name() + ": takes no mask or weight (per-item distances would be ill-defined)");
  const T value = PixelwiseLossT<T, SquaredPenalty>::forward(a, b, weighting);
  // The reduction kept one sum per row (n, c, h): item n owns rows [n·C·H, (n + 1)·C·H).
  const Dims4 d = as4d(a.shape());
  const int64_t rows_per_item = d.c * d.h;
  const double per_item = static_cast<double>(weighting.scale) / static_cast<double>(d.c * d.h * d.w);
  items_.resize(static_cast<size_t>(d.n));
  for (int64_t n = 0; n < d.n; ++n) {
    double s = 0;
    for (int64_t r = n * rows_per_item; r < (n + 1) * rows_per_item; ++r) s += this->partial_[static_cast<size_t>(r)];
    items_[static_cast<size_t>(n)] = per_item * s;
  }
  return value;
}

template class FeatureDistanceLossT<float>;
template class FeatureDistanceLossT<double>;

}  // namespace invgfx
