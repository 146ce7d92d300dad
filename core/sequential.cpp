// Implementation of core/sequential.h.
#include "core/sequential.h"

#include <stdexcept>

namespace invgfx {

template <class T>
UnaryNodeT<T>& SequentialT<T>::add(std::unique_ptr<UnaryNodeT<T>> layer, const std::string& prefix) {
  if (!layer) throw std::invalid_argument(name_ + ": add() got a null layer");
  const std::string p = prefix.empty() ? std::to_string(layers_.size()) : prefix;
  layer->visit_parameters([&](ParameterT<T>& q) { q.name = p + "." + q.name; });
  layers_.push_back(std::move(layer));
  // Buffers are created here, not in forward, so that forward never grows these vectors.
  acts_.resize(layers_.size() - 1);
  grads_.resize(layers_.size() - 1);
  return *layers_.back();
}

template <class T>
void SequentialT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  if (layers_.empty()) {
    y.copy_from(x);
    return;
  }
  const size_t n = layers_.size();
  for (size_t i = 0; i < n; ++i) {
    const TensorT<T>& in = i == 0 ? x : acts_[i - 1];
    TensorT<T>& out = i + 1 == n ? y : acts_[i];
    layers_[i]->forward(in, out);
  }
}

template <class T>
void SequentialT<T>::backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                              TensorT<T>* dL_dx) {
  if (layers_.empty()) {
    if (dL_dx)
      for (int64_t i = 0; i < x.numel(); ++i) (*dL_dx)[i] += dL_dy[i];
    return;
  }
  for (size_t i = layers_.size(); i-- > 0;) {
    const TensorT<T>& in = i == 0 ? x : acts_[i - 1];
    const TensorT<T>& out = i + 1 == layers_.size() ? y : acts_[i];
    const TensorT<T>& g_out = i + 1 == layers_.size() ? dL_dy : grads_[i];
    TensorT<T>* g_in = dL_dx;
    if (i > 0) {
      // Layers add into their input gradient, so it starts from zero.
      g_in = &grads_[i - 1];
      g_in->resize(in.shape());
      g_in->zero();
    }
    layers_[i]->backward(in, out, g_out, g_in);
  }
}

template <class T>
void SequentialT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  for (auto& l : layers_) l->visit_parameters(visit);
}

template class SequentialT<float>;
template class SequentialT<double>;

}  // namespace invgfx
