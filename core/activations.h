// Element-wise activations: ReLU, LeakyReLU, Tanh, Sigmoid, Softplus. Any tensor shape.
//
// Each is written so that no finite input gives NaN or Inf (Sigmoid and Softplus use the forms that
// never exponentiate a positive number). Backward reads x or y, whichever the derivative needs.
#pragma once

#include "core/node.h"

#include <string>

namespace invgfx {

// y = max(x, 0); dy/dx = 1 for x > 0, else 0 (the subgradient 0 at x = 0, as PyTorch).
template <class T>
class ReLUT : public UnaryNodeT<T> {
 public:
  std::string name() const override { return "relu"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
};

// y = x for x > 0, else slope·x.
template <class T>
class LeakyReLUT : public UnaryNodeT<T> {
 public:
  explicit LeakyReLUT(double slope = 0.01);  // negative slope, unitless, any finite value, default 0.01
  std::string name() const override { return "leaky_relu"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  double slope() const { return slope_; }

 private:
  T slope_;
};

// y = tanh x; dy/dx = 1 − y².
template <class T>
class TanhT : public UnaryNodeT<T> {
 public:
  std::string name() const override { return "tanh"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
};

// y = 1 / (1 + e^−x); dy/dx = y(1 − y).
template <class T>
class SigmoidT : public UnaryNodeT<T> {
 public:
  std::string name() const override { return "sigmoid"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
};

// y = log(1 + e^{βx}) / β, computed as max(x, 0) + log1p(e^{−β|x|}) / β; dy/dx = sigmoid(βx).
template <class T>
class SoftplusT : public UnaryNodeT<T> {
 public:
  explicit SoftplusT(double beta = 1.0);  // sharpness β, 1/unit of x, > 0, default 1
  std::string name() const override { return "softplus"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;

 private:
  T beta_;
};

using ReLU = ReLUT<float>;
using LeakyReLU = LeakyReLUT<float>;
using Tanh = TanhT<float>;
using Sigmoid = SigmoidT<float>;
using Softplus = SoftplusT<float>;

}  // namespace invgfx
