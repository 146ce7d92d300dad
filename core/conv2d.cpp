// Implementation of core/conv2d.h.
#include "core/conv2d.h"
#include "core/shape_of.h"

#include "core/gemm.h"

#include <omp.h>

#include <stdexcept>

namespace invgfx {

Conv2dOptions Conv2dOptions::square(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                                    bool bias) {
  Conv2dOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_h = o.kernel_w = kernel;
  o.stride_h = o.stride_w = stride;
  o.pad_h = o.pad_w = pad;
  o.bias = bias;
  return o;
}

void Conv2dOptions::check() const {
  auto need = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("Conv2dOptions: ") + what);
  };
  need(in_channels >= 1, "in_channels must be ≥ 1");
  need(out_channels >= 1, "out_channels must be ≥ 1");
  need(kernel_h >= 1 && kernel_w >= 1, "kernel size must be ≥ 1");
  need(stride_h >= 1 && stride_w >= 1, "stride must be ≥ 1");
  need(pad_h >= 0 && pad_w >= 0, "padding must be ≥ 0");
}

template <class T>
Conv2dT<T>::Conv2dT(const Conv2dOptions& opt) : opt_(opt) {
  opt_.check();
  weight_ = ParameterT<T>("weight", group::kNet,
                          Shape{opt.out_channels, opt.in_channels, opt.kernel_h, opt.kernel_w});
  if (opt.bias) bias_ = ParameterT<T>("bias", group::kNet, Shape{opt.out_channels});
}

template <class T>
bool Conv2dT<T>::per_image(int64_t n, int64_t p) {
  // Whole images per thread pay off when there are enough of them to share out evenly and each
  // product is wide enough (P ≥ 256 columns) to fill the 48-wide register tiles; otherwise one
  // batched product split across threads is better.
  const int64_t t = omp_get_max_threads();
  return n >= 2 && n >= t && n % t == 0 && p >= 256;
}

template <class T>
ConvGeometry Conv2dT<T>::geometry(const Shape& x) const {
  if (x.rank() != 4 || x[1] != opt_.in_channels)
    throw std::invalid_argument("conv2d: input " + x.str() + " is not N×" + std::to_string(opt_.in_channels) +
                                "×H×W");
  return ConvGeometry::make("conv2d", opt_.in_channels, x[2], x[3], opt_.kernel_h, opt_.kernel_w,
                            opt_.stride_h, opt_.stride_w, opt_.pad_h, opt_.pad_w);
}

template <class T>
Shape Conv2dT<T>::output_shape(const Shape& x) const {
  const ConvGeometry g = geometry(x);
  return Shape{x[0], opt_.out_channels, g.out_h, g.out_w};
}

template <class T>
void Conv2dT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  const ConvGeometry g = geometry(x.shape());
  const int64_t n = x.dim(0), k = g.rows(), p = g.pixels(), np = n * p, co = opt_.out_channels;
  col_.resize(shape_of({k, np}));
  y.resize(shape_of({n, co, g.out_h, g.out_w}));
  const T* bias = opt_.bias ? bias_.value.data() : nullptr;
  if (per_image(n, p)) {
    // One image per thread: its im2col block is still in cache when its product reads it, and the
    // product's C_out × P output is already the NCHW layout.
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const int64_t plane = g.in_h * g.in_w, kk = g.kernel_h * g.kernel_w;
      for (int64_t c = 0; c < opt_.in_channels; ++c)
        im2col_plane(x.data() + (i * opt_.in_channels + c) * plane, g, col_.data() + c * kk * np + i * p, np);
      T* yi = y.data() + i * co * p;
      gemm_serial<T>(false, false, co, p, k, weight_.value.data(), k, col_.data() + i * p, np, yi, p, false);
      if (bias)
        for (int64_t c = 0; c < co; ++c)
          for (int64_t j = 0; j < p; ++j) yi[c * p + j] += bias[c];
    }
    return;
  }
  im2col_batch(x.data(), n, g, col_.data());
  if (n == 1) {
    // One image: the product's C_out × P output already is the NCHW layout.
    gemm<T>(false, false, co, np, k, weight_.value.data(), k, col_.data(), np, y.data(), np, false);
    if (bias) from_channel_major(y.data(), 1, co, p, bias, y.data());
  } else {
    cm_.resize(shape_of({co, np}));
    gemm<T>(false, false, co, np, k, weight_.value.data(), k, col_.data(), np, cm_.data(), np, false);
    from_channel_major(cm_.data(), n, co, p, bias, y.data());
  }
}

template <class T>
void Conv2dT<T>::backward(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                          TensorT<T>* dL_dx) {
  const ConvGeometry g = geometry(x.shape());
  const int64_t n = x.dim(0), k = g.rows(), p = g.pixels(), np = n * p, co = opt_.out_channels;
  if (dL_dy.numel() != n * co * p)
    throw std::invalid_argument("conv2d: dL_dy " + dL_dy.shape().str() + " does not match the output");
  // dL/dY in channel-major layout, the right operand of both products.
  const T* dy = dL_dy.data();
  T* bias_grad = nullptr;
  if (opt_.bias && bias_.requires_grad) {
    bias_.grad.resize(bias_.value.shape());
    bias_grad = bias_.grad.data();
  }
  if (n > 1 && weight_.requires_grad) {
    cm_.resize(shape_of({co, np}));
    to_channel_major_sum(dL_dy.data(), n, co, p, cm_.data(), bias_grad);
    dy = cm_.data();
  } else if (bias_grad) {
    add_channel_sums(dL_dy.data(), n, co, p, bias_grad);
  }
  if (n > 1 && !weight_.requires_grad && dL_dx && !per_image(n, p)) {
    cm_.resize(shape_of({co, np}));
    to_channel_major(dL_dy.data(), n, co, p, cm_.data());
    dy = cm_.data();
  }
  if (weight_.requires_grad) {
    weight_.grad.resize(weight_.value.shape());
    // dL/dW (C_out × K) += dL/dY (C_out × NP) · colᵀ (NP × K).
    gemm<T>(false, true, co, k, np, dy, np, col_.data(), np, weight_.grad.data(), k, true);
  }
  if (dL_dx && per_image(n, p)) {
    // Per image: dcol_i (K × P) = Wᵀ · dL/dY_i, whose right operand is the image's NCHW gradient as
    // is, scattered back while still in cache.
    dcol_.resize(shape_of({k, np}));
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      T* dcol = dcol_.data() + i * k * p;
      gemm_serial<T>(true, false, k, p, co, weight_.value.data(), k, dL_dy.data() + i * co * p, p, dcol, p, false);
      const int64_t plane = g.in_h * g.in_w, kk = g.kernel_h * g.kernel_w;
      for (int64_t c = 0; c < opt_.in_channels; ++c)
        col2im_plane_add(dcol + c * kk * p, p, g, dL_dx->data() + (i * opt_.in_channels + c) * plane);
    }
  } else if (dL_dx) {
    // dcol (K × NP) = Wᵀ (K × C_out) · dL/dY (C_out × NP), then scattered back onto the image.
    dcol_.resize(shape_of({k, np}));
    gemm<T>(true, false, k, np, co, weight_.value.data(), k, dy, np, dcol_.data(), np, false);
    col2im_batch_add(dcol_.data(), n, g, dL_dx->data());
  }
}

template <class T>
void Conv2dT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  visit(weight_);
  if (opt_.bias) visit(bias_);
}

template class Conv2dT<float>;
template class Conv2dT<double>;

}  // namespace invgfx
