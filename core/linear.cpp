// Implementation of core/linear.h.
#include "core/linear.h"
#include "core/shape_of.h"

#include "core/gemm.h"

#include <stdexcept>

namespace invgfx {

template <class T>
LinearT<T>::LinearT(const LinearOptions& opt) : opt_(opt) {
  if (opt.in_features < 1 || opt.out_features < 1)
    throw std::invalid_argument("LinearOptions: in_features and out_features must be ≥ 1");
  weight_ = ParameterT<T>("weight", group::kNet, Shape{opt.out_features, opt.in_features});
  if (opt.bias) bias_ = ParameterT<T>("bias", group::kNet, Shape{opt.out_features});
}

template <class T>
int64_t LinearT<T>::batch(const TensorT<T>& x) const {
  const int64_t n = x.rank() >= 2 ? x.dim(0) : 1;
  if (x.rank() < 1 || n < 1 || x.numel() != n * opt_.in_features)
    throw std::invalid_argument("linear: input " + x.shape().str() + " is not N × " +
                                std::to_string(opt_.in_features) + " features");
  return n;
}

template <class T>
void LinearT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  const int64_t n = batch(x), fi = opt_.in_features, fo = opt_.out_features;
  y.resize(shape_of({n, fo}));
  // y (N × out) = x (N × in) · Wᵀ.
  gemm<T>(false, true, n, fo, fi, x.data(), fi, weight_.value.data(), fi, y.data(), fo, false);
  if (opt_.bias)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < fo; ++j) y[i * fo + j] += bias_.value[j];
}

template <class T>
void LinearT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  const int64_t n = batch(x), fi = opt_.in_features, fo = opt_.out_features;
  if (dL_dy.numel() != n * fo) throw std::invalid_argument("linear: dL_dy " + dL_dy.shape().str() + " is not N × out");
  if (opt_.bias && bias_.requires_grad) {
    bias_.grad.resize(bias_.value.shape());
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < fo; ++j) bias_.grad[j] += dL_dy[i * fo + j];
  }
  if (weight_.requires_grad) {
    weight_.grad.resize(weight_.value.shape());
    // dL/dW (out × in) += dL/dyᵀ (out × N) · x (N × in).
    gemm<T>(true, false, fo, fi, n, dL_dy.data(), fo, x.data(), fi, weight_.grad.data(), fi, true);
  }
  if (dL_dx) {
    // dL/dx (N × in) += dL/dy (N × out) · W (out × in).
    gemm<T>(false, false, n, fi, fo, dL_dy.data(), fo, weight_.value.data(), fi, dL_dx->data(), fi, true);
  }
}

template <class T>
void LinearT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  visit(weight_);
  if (opt_.bias) visit(bias_);
}

template class LinearT<float>;
template class LinearT<double>;

}  // namespace invgfx
