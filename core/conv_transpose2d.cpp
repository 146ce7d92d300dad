// Implementation of core/conv_transpose2d.h.
#include "core/conv_transpose2d.h"
#include "core/shape_of.h"

#include "core/gemm.h"

#include <algorithm>
#include <stdexcept>

namespace invgfx {

ConvTranspose2dOptions ConvTranspose2dOptions::square(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                                      int64_t pad, int64_t output_pad, bool bias) {
  ConvTranspose2dOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_h = o.kernel_w = kernel;
  o.stride_h = o.stride_w = stride;
  o.pad_h = o.pad_w = pad;
  o.output_pad_h = o.output_pad_w = output_pad;
  o.bias = bias;
  return o;
}

void ConvTranspose2dOptions::check() const {
  auto need = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("ConvTranspose2dOptions: ") + what);
  };
  need(in_channels >= 1, "in_channels must be ≥ 1");
  need(out_channels >= 1, "out_channels must be ≥ 1");
  need(kernel_h >= 1 && kernel_w >= 1, "kernel size must be ≥ 1");
  need(stride_h >= 1 && stride_w >= 1, "stride must be ≥ 1");
  need(pad_h >= 0 && pad_w >= 0, "padding must be ≥ 0");
  need(output_pad_h >= 0 && output_pad_w >= 0 && output_pad_h < stride_h && output_pad_w < stride_w,
       "output padding must be in [0, stride)");
}

template <class T>
ConvTranspose2dT<T>::ConvTranspose2dT(const ConvTranspose2dOptions& opt) : opt_(opt) {
  opt_.check();
  weight_ = ParameterT<T>("weight", group::kNet,
                          Shape{opt.in_channels, opt.out_channels, opt.kernel_h, opt.kernel_w});
  if (opt.bias) bias_ = ParameterT<T>("bias", group::kNet, Shape{opt.out_channels});
}

template <class T>
ConvGeometry ConvTranspose2dT<T>::geometry(const Shape& x) const {
  if (x.rank() != 4 || x[1] != opt_.in_channels)
    throw std::invalid_argument("conv_transpose2d: input " + x.str() + " is not N×" +
                                std::to_string(opt_.in_channels) + "×H×W");
  const int64_t oh = (x[2] - 1) * opt_.stride_h - 2 * opt_.pad_h + opt_.kernel_h + opt_.output_pad_h;
  const int64_t ow = (x[3] - 1) * opt_.stride_w - 2 * opt_.pad_w + opt_.kernel_w + opt_.output_pad_w;
  if (x[2] < 1 || x[3] < 1 || oh < 1 || ow < 1)
    throw std::invalid_argument("conv_transpose2d: input " + x.str() + " gives an empty output");
  ConvGeometry g = ConvGeometry::make("conv_transpose2d", opt_.out_channels, oh, ow, opt_.kernel_h,
                                      opt_.kernel_w, opt_.stride_h, opt_.stride_w, opt_.pad_h, opt_.pad_w);
  // ⌊(OH + 2p − k)/s⌋ + 1 = H holds because output_padding < stride.
  if (g.out_h != x[2] || g.out_w != x[3])
    throw std::logic_error("conv_transpose2d: adjoint geometry mismatch");
  return g;
}

template <class T>
Shape ConvTranspose2dT<T>::output_shape(const Shape& x) const {
  const ConvGeometry g = geometry(x);
  return Shape{x[0], opt_.out_channels, g.in_h, g.in_w};
}

template <class T>
void ConvTranspose2dT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  const ConvGeometry g = geometry(x.shape());
  const int64_t n = x.dim(0), ci = opt_.in_channels, co = opt_.out_channels, k = g.rows();
  const int64_t p = g.pixels(), np = n * p;
  xcm_.resize(shape_of({ci, np}));
  to_channel_major(x.data(), n, ci, p, xcm_.data());
  // col (C_out·kh·kw × NP) = Wᵀ (C_out·kh·kw × C_in) · x (C_in × NP), W stored C_in × C_out·kh·kw.
  col_.resize(shape_of({k, np}));
  gemm<T>(true, false, k, np, ci, weight_.value.data(), k, xcm_.data(), np, col_.data(), np, false);
  y.resize(shape_of({n, co, g.in_h, g.in_w}));
  const int64_t plane = g.in_h * g.in_w;
  if (opt_.bias) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < co; ++c) std::fill(y.data() + (i * co + c) * plane, y.data() + (i * co + c + 1) * plane, bias_.value[c]);
  } else {
    y.zero();
  }
  col2im_batch_add(col_.data(), n, g, y.data());
}

template <class T>
void ConvTranspose2dT<T>::backward(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                   TensorT<T>* dL_dx) {
  const ConvGeometry g = geometry(x.shape());
  const int64_t n = x.dim(0), ci = opt_.in_channels, co = opt_.out_channels, k = g.rows();
  const int64_t p = g.pixels(), np = n * p;
  if (dL_dy.numel() != n * co * g.in_h * g.in_w)
    throw std::invalid_argument("conv_transpose2d: dL_dy " + dL_dy.shape().str() + " does not match the output");
  if (opt_.bias && bias_.requires_grad) {
    bias_.grad.resize(bias_.value.shape());
    add_channel_sums(dL_dy.data(), n, co, g.in_h * g.in_w, bias_.grad.data());
  }
  if (!weight_.requires_grad && !dL_dx) return;
  col_.resize(shape_of({k, np}));
  im2col_batch(dL_dy.data(), n, g, col_.data());
  if (weight_.requires_grad) {
    // forward's x is still in xcm_. dL/dW (C_in × K) += x (C_in × NP) · colᵀ (NP × K).
    weight_.grad.resize(weight_.value.shape());
    gemm<T>(false, true, ci, k, np, xcm_.data(), np, col_.data(), np, weight_.grad.data(), k, true);
  }
  if (dL_dx) {
    // dL/dx (C_in × NP) = W (C_in × K) · col (K × NP), back to NCHW and added.
    dxcm_.resize(shape_of({ci, np}));
    gemm<T>(false, false, ci, np, k, weight_.value.data(), k, col_.data(), np, dxcm_.data(), np, false);
    T* d = dL_dx->data();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < ci; ++c) {
        const T* s = dxcm_.data() + (c * n + i) * p;
        T* o = d + (i * ci + c) * p;
        for (int64_t j = 0; j < p; ++j) o[j] += s[j];
      }
  }
}

template <class T>
void ConvTranspose2dT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  visit(weight_);
  if (opt_.bias) visit(bias_);
}

template class ConvTranspose2dT<float>;
template class ConvTranspose2dT<double>;

}  // namespace invgfx
