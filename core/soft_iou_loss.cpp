// Implementation of core/soft_iou_loss.h.
#include "core/soft_iou_loss.h"

#include <stdexcept>

namespace invgfx {

namespace {

template <class T>
const T* weights_of(const LossT<T>& loss, const TensorT<T>& pred, const TensorT<T>& target,
                    const LossWeighting<T>& weighting) {
  if (weighting.mask) throw std::invalid_argument(loss.name() + ": a mask is not supported; give a weight instead");
  LossBroadcast mb, wb;
  check_loss_inputs<T>(loss, pred, target, weighting, mb, wb);
  if (weighting.weight && weighting.weight->shape() != pred.shape())
    throw std::invalid_argument(loss.name() + ": the weight must have pred's shape " + pred.shape().str() + ", got " +
                                weighting.weight->shape().str());
  return weighting.weight ? weighting.weight->data() : nullptr;
}

}  // namespace

template <class T>
T SoftIouLossT<T>::forward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting) {
  const T* w = weights_of(*this, pred, target, weighting);
  const T* a = pred.data();
  const T* b = target.data();
  double I = 0, U = 0;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const double wi = w ? static_cast<double>(w[i]) : 1.0;
    const double ab = static_cast<double>(a[i]) * static_cast<double>(b[i]);
    I += wi * ab;
    U += wi * (static_cast<double>(a[i]) + static_cast<double>(b[i]) - ab);
  }
  intersection_ = I;
  union_ = U;
  return U > 0 ? static_cast<T>(static_cast<double>(weighting.scale) * (1.0 - I / U)) : T(0);
}

template <class T>
void SoftIouLossT<T>::backward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting,
                               T dL_dloss, TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget, TensorT<T>* dL_dmask) {
  const T* w = weights_of(*this, pred, target, weighting);
  if (dL_dmask) throw std::invalid_argument(name() + ": there is no mask to differentiate");
  for (TensorT<T>* g : {dL_dpred, dL_dtarget})
    if (g && g->shape() != pred.shape())
      throw std::invalid_argument(name() + ": gradient buffer has shape " + g->shape().str() + ", expected " +
                                  pred.shape().str());
  const double I = intersection_, U = union_;
  if (!(U > 0)) return;
  const double k = static_cast<double>(dL_dloss) * static_cast<double>(weighting.scale) / (U * U);
  const T* a = pred.data();
  const T* b = target.data();
  T* ga = dL_dpred ? dL_dpred->data() : nullptr;
  T* gb = dL_dtarget ? dL_dtarget->data() : nullptr;
  for (int64_t i = 0; i < pred.numel(); ++i) {
    const double kw = k * (w ? static_cast<double>(w[i]) : 1.0);
    const double ai = static_cast<double>(a[i]), bi = static_cast<double>(b[i]);
    if (ga) ga[i] += static_cast<T>(-kw * (bi * U - I * (1.0 - bi)));
    if (gb) gb[i] += static_cast<T>(-kw * (ai * U - I * (1.0 - ai)));
  }
}

template class SoftIouLossT<float>;
template class SoftIouLossT<double>;

}  // namespace invgfx
