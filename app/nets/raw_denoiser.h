// The optional pre-ISP network of the RAW loop: a small residual denoiser on the Bayer mosaic,
// y = x + s·f(x), where f packs the mosaic into its four 2×2 sites (N×4×H/2×W/2), runs
// conv3×3(4→16) → LeakyReLU → conv3×3(16→16) → LeakyReLU → conv3×3(16→4) and unpacks again
// (residual learning as in DnCNN, Zhang et al. 2017; packing as in Chen et al. 2018, "Learning to See
// in the Dark"). The last layer starts at zero, so a fresh denoiser is the identity and the ISP sees
// the RAW unchanged until the end-to-end loss teaches it otherwise. Group "isp" (it is part of the
// camera's processing, tuned together with the ISP).
#pragma once

#include "core/node.h"

#include <memory>

namespace invgfx {

struct RawDenoiserOptions {
  int features = 16;     // hidden channels
  double scale = 0.1;    // s, bound on the residual's contribution (units of the white level)
  uint64_t seed = 99;
};

template <class T>
class RawDenoiserT : public UnaryNodeT<T> {
 public:
  explicit RawDenoiserT(const RawDenoiserOptions& options = {});
  ~RawDenoiserT() override;
  std::string name() const override { return "raw_denoiser"; }

  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  // mosaic N×1×H×W (H, W even) → N×1×H×W.
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using RawDenoiser = RawDenoiserT<float>;
using RawDenoiserD = RawDenoiserT<double>;

extern template class RawDenoiserT<float>;
extern template class RawDenoiserT<double>;

}  // namespace invgfx
