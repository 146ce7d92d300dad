// Implementation of core/loss.h.
#include "core/loss.h"

#include <stdexcept>

namespace invgfx {

namespace {

template <class T>
LossBroadcast broadcast_of(const LossT<T>& loss, const char* what, const TensorT<T>* t, const Dims4& d) {
  LossBroadcast b;
  if (!t) return b;
  const Dims4 m = as4d(t->shape());
  if (t->rank() < 2 || m.h != d.h || m.w != d.w || (m.n != 1 && m.n != d.n) || (m.c != 1 && m.c != d.c))
    throw std::invalid_argument(loss.name() + ": " + what + " of shape " + t->shape().str() +
                                " does not broadcast to pred " + Shape({d.n, d.c, d.h, d.w}).str() +
                                " (expected N×1×H×W, N×C×H×W, 1×H×W or C×H×W with the same H and W)");
  b.present = true;
  const int64_t plane = d.h * d.w;
  b.c_stride = m.c == 1 ? 0 : plane;
  b.n_stride = m.n == 1 ? 0 : m.c * plane;
  return b;
}

}  // namespace

template <class T>
void check_loss_inputs(const LossT<T>& loss, const TensorT<T>& pred, const TensorT<T>& target,
                       const LossWeighting<T>& weighting, LossBroadcast& mask, LossBroadcast& weight) {
  if (pred.shape() != target.shape())
    throw std::invalid_argument(loss.name() + ": pred has shape " + pred.shape().str() + " but target has " +
                                target.shape().str());
  if (pred.rank() < 2)
    throw std::invalid_argument(loss.name() + ": pred must be an image (H×W, C×H×W or N×C×H×W), got shape " +
                                pred.shape().str());
  const Dims4 d = as4d(pred.shape());
  mask = broadcast_of(loss, "mask", weighting.mask, d);
  weight = broadcast_of(loss, "weight", weighting.weight, d);
}

template <class T>
double loss_denominator(const TensorT<T>& pred, const LossWeighting<T>& weighting, const LossBroadcast& mask) {
  if (!mask.present) return static_cast<double>(pred.numel());
  // Σ over pred's elements of the broadcast mask = Σ over mask elements × the channels/images each covers.
  const Dims4 d = as4d(pred.shape());
  const Dims4 m = as4d(weighting.mask->shape());
  const double cover = static_cast<double>((d.n / m.n) * (d.c / m.c));
  double s = 0.0;
  for (T v : *weighting.mask) s += static_cast<double>(v);
  return s * cover;
}

template void check_loss_inputs<float>(const LossT<float>&, const TensorT<float>&, const TensorT<float>&,
                                       const LossWeighting<float>&, LossBroadcast&, LossBroadcast&);
template void check_loss_inputs<double>(const LossT<double>&, const TensorT<double>&, const TensorT<double>&,
                                        const LossWeighting<double>&, LossBroadcast&, LossBroadcast&);
template double loss_denominator<float>(const TensorT<float>&, const LossWeighting<float>&, const LossBroadcast&);
template double loss_denominator<double>(const TensorT<double>&, const LossWeighting<double>&, const LossBroadcast&);

}  // namespace invgfx
