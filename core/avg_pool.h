// Average pooling over k×k windows (PyTorch's nn.AvgPool2d with count_include_pad = true):
// y = (1/k²) Σ_window x, zero padding counted in the divisor; dL/dx spreads dL/dy/k² over each window.
#pragma once

#include "core/im2col.h"
#include "core/node.h"

#include <string>

namespace invgfx {

struct AvgPoolOptions {
  int64_t kernel = 2;   // window side, pixels ≥ 1, default 2
  int64_t stride = 0;   // step, pixels ≥ 1; 0 means = kernel (the default)
  int64_t padding = 0;  // zero padding each side, pixels, 0 ≤ . ≤ kernel/2, default 0
};

template <class T>
class AvgPoolT : public UnaryNodeT<T> {
 public:
  explicit AvgPoolT(const AvgPoolOptions& opt = {});

  std::string name() const override { return "avg_pool"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;

 private:
  ConvGeometry geometry(const Shape& x) const;
  AvgPoolOptions opt_;
};

using AvgPool = AvgPoolT<float>;
using AvgPoolD = AvgPoolT<double>;

}  // namespace invgfx
