// Implementation of core/activations.h.
#include "core/activations.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace {

// Element loops are memory-bound: threads only pay off on large tensors (≥ 256 Ki elements; the
// transcendental ones, 8× costlier per element, from 32 Ki).
constexpr int64_t kParallelMin = 1 << 18;

template <class T>
void check_grad_shape(const char* who, const TensorT<T>& x, const TensorT<T>& dL_dy, const TensorT<T>* dL_dx) {
  if (dL_dy.numel() != x.numel() || (dL_dx && dL_dx->numel() != x.numel()))
    throw std::invalid_argument(std::string(who) + ": gradient shapes do not match the input " + x.shape().str());
}

template <class T>
inline T stable_sigmoid(T x) {
  // e^{−|x|} ∈ (0, 1], so neither branch can overflow.
  const T e = std::exp(-std::abs(x));
  return x >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
}

}  // namespace

template <class T>
void ReLUT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) ys[i] = xs[i] > T(0) ? xs[i] : T(0);
}

template <class T>
void ReLUT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  check_grad_shape("relu", x, dL_dy, dL_dx);
  const int64_t n = x.numel();
  const T *xs = x.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) d[i] += xs[i] > T(0) ? g[i] : T(0);
}

template <class T>
LeakyReLUT<T>::LeakyReLUT(double slope) : slope_(static_cast<T>(slope)) {
  if (!std::isfinite(slope)) throw std::invalid_argument("LeakyReLU: slope must be finite");
}

template <class T>
void LeakyReLUT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
  const T s = slope_;
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) ys[i] = xs[i] > T(0) ? xs[i] : s * xs[i];
}

template <class T>
void LeakyReLUT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy,
                             TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  check_grad_shape("leaky_relu", x, dL_dy, dL_dx);
  const int64_t n = x.numel();
  const T *xs = x.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
  const T s = slope_;
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) d[i] += xs[i] > T(0) ? g[i] : s * g[i];
}

template <class T>
void TanhT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
#pragma omp parallel for schedule(static) if (n > kParallelMin / 8)
  for (int64_t i = 0; i < n; ++i) ys[i] = std::tanh(xs[i]);
}

template <class T>
void TanhT<T>::backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  check_grad_shape("tanh", x, dL_dy, dL_dx);
  const int64_t n = x.numel();
  const T *ys = y.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) d[i] += g[i] * (T(1) - ys[i] * ys[i]);
}

template <class T>
void SigmoidT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
#pragma omp parallel for schedule(static) if (n > kParallelMin / 8)
  for (int64_t i = 0; i < n; ++i) ys[i] = stable_sigmoid(xs[i]);
}

template <class T>
void SigmoidT<T>::backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                           TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  check_grad_shape("sigmoid", x, dL_dy, dL_dx);
  const int64_t n = x.numel();
  const T *ys = y.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
#pragma omp parallel for simd schedule(static) if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) d[i] += g[i] * ys[i] * (T(1) - ys[i]);
}

template <class T>
SoftplusT<T>::SoftplusT(double beta) : beta_(static_cast<T>(beta)) {
  if (!(beta > 0) || !std::isfinite(beta)) throw std::invalid_argument("Softplus: beta must be finite and > 0");
}

template <class T>
void SoftplusT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
  const T b = beta_;
#pragma omp parallel for schedule(static) if (n > kParallelMin / 8)
  for (int64_t i = 0; i < n; ++i) {
    const T v = xs[i];
    ys[i] = (v > T(0) ? v : T(0)) + std::log1p(std::exp(-b * std::abs(v))) / b;
  }
}

template <class T>
void SoftplusT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  check_grad_shape("softplus", x, dL_dy, dL_dx);
  const int64_t n = x.numel();
  const T *xs = x.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
  const T b = beta_;
#pragma omp parallel for schedule(static) if (n > kParallelMin / 8)
  for (int64_t i = 0; i < n; ++i) d[i] += g[i] * stable_sigmoid(b * xs[i]);
}

template class ReLUT<float>;
template class ReLUT<double>;
template class LeakyReLUT<float>;
template class LeakyReLUT<double>;
template class TanhT<float>;
template class TanhT<double>;
template class SigmoidT<float>;
template class SigmoidT<double>;
template class SoftplusT<float>;
template class SoftplusT<double>;

}  // namespace invgfx
