// A chain of unary nodes run as one: forward in order, backward in reverse.
//
// The intermediate activations and their gradients live in buffers owned here and reused from call to
// call (Tensor::resize keeps storage), so a steady-state training loop does not allocate. Layers'
// parameter names get the prefix given when the layer is added ("0.weight", "conv1.bias", ...), so the
// names are unique across the chain, as weight files and the optimizer need.
#pragma once

#include "core/node.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace invgfx {

template <class T>
class SequentialT : public UnaryNodeT<T> {
 public:
  explicit SequentialT(std::string name = "sequential") : name_(std::move(name)) {}

  // Takes ownership and appends. Parameter names of the layer become "<prefix>.<name>"; an empty
  // prefix means the layer's index. Returns the layer.
  UnaryNodeT<T>& add(std::unique_ptr<UnaryNodeT<T>> layer, const std::string& prefix = "");
  template <class Layer, class... Args>
  Layer& emplace(const std::string& prefix, Args&&... args) {
    auto p = std::make_unique<Layer>(std::forward<Args>(args)...);
    Layer& ref = *p;
    add(std::move(p), prefix);
    return ref;
  }

  std::string name() const override { return name_; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

  size_t size() const { return layers_.size(); }
  UnaryNodeT<T>& layer(size_t i) { return *layers_.at(i); }
  // Output of layer i < size() − 1 from the last forward (the last layer writes the caller's y).
  const TensorT<T>& activation(size_t i) const { return acts_.at(i); }

 private:
  std::string name_;
  std::vector<std::unique_ptr<UnaryNodeT<T>>> layers_;
  std::vector<TensorT<T>> acts_;   // acts_[i] = output of layer i, for i < size − 1
  std::vector<TensorT<T>> grads_;  // grads_[i] = dL/d acts_[i]
};

using Sequential = SequentialT<float>;
using SequentialD = SequentialT<double>;

}  // namespace invgfx
