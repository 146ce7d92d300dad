// The shared feature network of the loss: the photo and the render both pass through it
// and the loss compares their features. A small CNN on sRGB images N×3×H×W:
//   conv3×3(3→16) → LeakyReLU → conv4×4 s2 (16→32) → LeakyReLU → conv4×4 s2 (32→32) → N×32×H/4×W/4.
// Weights: by default a fixed, seeded initialisation (random features, which already make a useful
// perceptual distance for structure and edges — Ulyanov et al. 2018, "Deep Image Prior", and the
// random-feature baseline of Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a
// Perceptual Metric"), frozen. Other weights can be loaded from a core/weights_io file with the same
// layer names ("conv1", "conv2", "conv3"). Group "features", frozen unless the config says otherwise.
//
// The same weights serve both branches within one step: forward_pair/backward_pair keep the two
// activations apart, and gradients can flow into both inputs (the photo branch needs them when the
// photo itself comes out of the learnable ISP, for RAW input).
#pragma once

#include "core/node.h"

#include <memory>
#include <string>

namespace invgfx {

struct FeatureNetOptions {
  int channels = 32;         // output feature channels
  uint64_t seed = 1234;      // initialisation seed (fixed features)
  std::string weights_path;  // optional core/weights_io file replacing the seeded weights
};

template <class T>
class FeatureNetT {
 public:
  explicit FeatureNetT(const FeatureNetOptions& options = {});  // throws naming the weights file
  ~FeatureNetT();

  // a, b: N×3×H×W → fa, fb: N×C×H/4×W/4 (H, W divisible by 4).
  void forward_pair(const TensorT<T>& a, const TensorT<T>& b, TensorT<T>& fa, TensorT<T>& fb);
  // Branch a alone, for a caller that already holds b's features (a fixed photo through frozen
  // features): backward_pair then runs with dL_db null and frozen weights, which use branch a only.
  void forward(const TensorT<T>& a, TensorT<T>& fa);
  // Whether any weight is being trained (then features of a fixed image change between steps).
  bool trainable();
  // ADDS into *dL_da / *dL_db when not null (resized and zeroed if their shapes differ) and into the
  // weights' gradients when they require them.
  void backward_pair(const TensorT<T>& a, const TensorT<T>& b, const TensorT<T>& fa, const TensorT<T>& fb,
                     const TensorT<T>& dL_dfa, const TensorT<T>& dL_dfb, TensorT<T>* dL_da, TensorT<T>* dL_db);

  void visit_parameters(const ParameterVisitor<T>& visit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using FeatureNet = FeatureNetT<float>;
using FeatureNetD = FeatureNetT<double>;

extern template class FeatureNetT<float>;
extern template class FeatureNetT<double>;

}  // namespace invgfx
