// Integer-factor upsampling of N×C×H×W maps (PyTorch's nn.Upsample with scale_factor, nearest or
// bilinear with align_corners = false), the cheap alternative to ConvTranspose2d in decoders.
//
// Bilinear: output pixel o samples the input at (o + ½)/s − ½, clamped to ≥ 0 (so borders repeat),
// with weights 1 − f and f between the two neighbouring pixels in each direction.
#pragma once

#include "core/node.h"

#include <string>
#include <vector>

namespace invgfx {

enum class UpsampleMode { kNearest, kBilinear };

struct UpsampleOptions {
  int64_t scale = 2;                          // integer factor on both sides, ≥ 1, default 2
  UpsampleMode mode = UpsampleMode::kNearest;  // interpolation, default nearest
};

template <class T>
class UpsampleT : public UnaryNodeT<T> {
 public:
  explicit UpsampleT(const UpsampleOptions& opt = {});

  std::string name() const override { return opt_.mode == UpsampleMode::kNearest ? "upsample_nearest" : "upsample_bilinear"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;

 private:
  // Per output coordinate along one axis: the two source indices and the weight of the second.
  struct Tap {
    int64_t i0, i1;
    T f;
  };
  void make_taps(int64_t in, std::vector<Tap>& taps) const;

  UpsampleOptions opt_;
  std::vector<Tap> ty_, tx_;
};

using Upsample = UpsampleT<float>;
using UpsampleD = UpsampleT<double>;

}  // namespace invgfx
