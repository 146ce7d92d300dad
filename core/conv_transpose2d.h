// 2-D transposed convolution (PyTorch's nn.ConvTranspose2d): the adjoint of Conv2d with the same
// kernel, stride and padding, used to upsample in decoders.
//
// Output side OH = (H − 1)·stride − 2·pad + kernel + output_padding. Forward is Conv2d's input
// gradient: col = Wᵀ · x (one product over the batch), then col2im onto y. Backward is Conv2d's
// forward: dL/dx = W · im2col(dL/dy) and dL/dW += x · im2col(dL/dy)ᵀ.
#pragma once

#include "core/im2col.h"
#include "core/node.h"

#include <string>

namespace invgfx {

struct ConvTranspose2dOptions {
  int64_t in_channels = 1;                     // C_in, ≥ 1
  int64_t out_channels = 1;                    // C_out, ≥ 1
  int64_t kernel_h = 4, kernel_w = 4;          // kernel, pixels ≥ 1, default 4×4
  int64_t stride_h = 2, stride_w = 2;          // stride, pixels ≥ 1, default 2 (doubles the side)
  int64_t pad_h = 1, pad_w = 1;                // padding removed from each side, pixels ≥ 0, default 1
  int64_t output_pad_h = 0, output_pad_w = 0;  // extra rows/columns at the end, 0 ≤ . < max(stride, dilation=1)
  bool bias = true;                            // learnable per-output-channel offset, default on

  static ConvTranspose2dOptions square(int64_t in, int64_t out, int64_t kernel, int64_t stride = 2,
                                       int64_t pad = 1, int64_t output_pad = 0, bool bias = true);
  void check() const;  // throws std::invalid_argument naming the bad field
};

template <class T>
class ConvTranspose2dT : public UnaryNodeT<T> {
 public:
  // Weight C_in×C_out×kh×kw (PyTorch layout) and bias C_out start at zero: see core/init.h.
  explicit ConvTranspose2dT(const ConvTranspose2dOptions& opt);

  std::string name() const override { return "conv_transpose2d"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

  const ConvTranspose2dOptions& options() const { return opt_; }
  ParameterT<T>& weight() { return weight_; }
  ParameterT<T>& bias() { return bias_; }
  Shape output_shape(const Shape& x) const;

 private:
  // The geometry of the adjoint Conv2d, which maps y (C_out×OH×OW) to x (C_in×H×W).
  ConvGeometry geometry(const Shape& x) const;

  ConvTranspose2dOptions opt_;
  ParameterT<T> weight_, bias_;
  TensorT<T> xcm_;  // x in channel-major layout, C_in × N·H·W
  TensorT<T> col_;  // C_out·kh·kw × N·H·W
  TensorT<T> dxcm_;  // dL/dx channel-major
};

using ConvTranspose2d = ConvTranspose2dT<float>;
using ConvTranspose2dD = ConvTranspose2dT<double>;

}  // namespace invgfx
