// Fully connected layer y = x·Wᵀ + b (PyTorch's nn.Linear), W of out×in.
//
// The input is read as N × F with N = its first dimension and F = the product of the rest, so a
// N×C×H×W feature map is flattened in place (C-major, as torch.flatten(x, 1)); the output is N×out.
#pragma once

#include "core/node.h"

#include <string>

namespace invgfx {

struct LinearOptions {
  int64_t in_features = 1;   // F, ≥ 1
  int64_t out_features = 1;  // outputs per sample, ≥ 1
  bool bias = true;          // learnable offset, default on
};

template <class T>
class LinearT : public UnaryNodeT<T> {
 public:
  // Weight out×in and bias start at zero: use core/init.h to initialise.
  explicit LinearT(const LinearOptions& opt);
  LinearT(int64_t in_features, int64_t out_features, bool bias = true)
      : LinearT(LinearOptions{in_features, out_features, bias}) {}

  std::string name() const override { return "linear"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

  const LinearOptions& options() const { return opt_; }
  ParameterT<T>& weight() { return weight_; }
  ParameterT<T>& bias() { return bias_; }

 private:
  int64_t batch(const TensorT<T>& x) const;

  LinearOptions opt_;
  ParameterT<T> weight_, bias_;
};

using Linear = LinearT<float>;
using LinearD = LinearT<double>;

}  // namespace invgfx
