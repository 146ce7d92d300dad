// 2-D convolution (cross-correlation, as in PyTorch's nn.Conv2d) on N×C×H×W tensors.
//
// Forward lowers the whole batch to one product, Y = W · im2col(x) (core/im2col.h), so that the
// product has N·OH·OW columns even for the small late layers of an encoder; backward is the same
// two products transposed: dL/dW += dL/dY · colᵀ and dL/dx += col2im(Wᵀ · dL/dY).
#pragma once

#include "core/im2col.h"
#include "core/node.h"

#include <string>

namespace invgfx {

struct Conv2dOptions {
  int64_t in_channels = 1;             // C_in, ≥ 1
  int64_t out_channels = 1;            // C_out, ≥ 1
  int64_t kernel_h = 3, kernel_w = 3;  // kernel size, pixels ≥ 1, default 3×3
  int64_t stride_h = 1, stride_w = 1;  // stride, pixels ≥ 1, default 1
  int64_t pad_h = 0, pad_w = 0;        // zero padding on each side, pixels ≥ 0, default 0
  bool bias = true;                    // learnable per-output-channel offset, default on

  static Conv2dOptions square(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                              int64_t pad = 0, bool bias = true);
  void check() const;  // throws std::invalid_argument naming the bad field
};

template <class T>
class Conv2dT : public UnaryNodeT<T> {
 public:
  // Weight C_out×C_in×kh×kw and bias C_out start at zero: use core/init.h to initialise.
  explicit Conv2dT(const Conv2dOptions& opt);

  std::string name() const override { return "conv2d"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

  const Conv2dOptions& options() const { return opt_; }
  ParameterT<T>& weight() { return weight_; }
  ParameterT<T>& bias() { return bias_; }  // empty when options().bias is false
  // Output shape for an input shape; throws when the input does not fit.
  Shape output_shape(const Shape& x) const;

 private:
  ConvGeometry geometry(const Shape& x) const;
  static bool per_image(int64_t n, int64_t p);

  Conv2dOptions opt_;
  ParameterT<T> weight_, bias_;
  TensorT<T> col_;  // im2col of the last forward's input, kept for dL/dW
  TensorT<T> cm_;   // C_out × N·P product output / channel-major dL/dY
  TensorT<T> dcol_;  // Wᵀ · dL/dY before col2im
};

using Conv2d = Conv2dT<float>;
using Conv2dD = Conv2dT<double>;

}  // namespace invgfx
