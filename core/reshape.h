// Reshape: reinterprets an N×F tensor as N×C×H×W with C·H·W = F (the same storage order), so that a
// linear layer can feed convolutions inside one Sequential. The backward passes the gradient through
// unchanged.
#pragma once

#include "core/node.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace invgfx {

template <class T>
class ReshapeT : public UnaryNodeT<T> {
 public:
  ReshapeT(int64_t c, int64_t h, int64_t w) : c_(c), h_(h), w_(w) {}
  std::string name() const override { return "reshape"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;

  void forward(const TensorT<T>& x, TensorT<T>& y) override {
    if (x.rank() < 1 || x.numel() != x.dim(0) * c_ * h_ * w_)
      throw std::invalid_argument("reshape: " + x.shape().str() + " is not N×" + std::to_string(c_ * h_ * w_));
    y.resize({x.dim(0), c_, h_, w_});
    std::copy(x.begin(), x.end(), y.begin());
  }
  void backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override {
    if (!dL_dx) return;
    for (int64_t i = 0; i < x.numel(); ++i) (*dL_dx)[i] += dL_dy[i];
  }

 private:
  int64_t c_, h_, w_;
};

using Reshape = ReshapeT<float>;
using ReshapeD = ReshapeT<double>;

}  // namespace invgfx
