// Group normalisation (Wu & He 2018) on N×C×H×W: channels are split into G groups, and each
// (image, group) is normalised by its own mean and variance, so it behaves the same at any batch size.
//   x̂ = (x − μ) / √(σ² + ε),  y = γ_c·x̂ + β_c   (σ² the biased variance over the group's C/G·H·W values)
// Backward (per group of m values, g = γ·dL/dy):
//   dL/dx = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε),  dL/dγ_c = Σ dL/dy·x̂,  dL/dβ_c = Σ dL/dy.
#pragma once

#include "core/node.h"

#include <string>

namespace invgfx {

struct GroupNormOptions {
  int64_t groups = 32;    // G, ≥ 1, must divide channels
  int64_t channels = 32;  // C, ≥ 1
  double eps = 1e-5;      // added to the variance, in squared units of x, > 0, default 1e-5
  bool affine = true;     // learnable per-channel γ ("weight", starts at 1) and β ("bias", starts at 0)
};

template <class T>
class GroupNormT : public UnaryNodeT<T> {
 public:
  explicit GroupNormT(const GroupNormOptions& opt);

  std::string name() const override { return "group_norm"; }
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

  const GroupNormOptions& options() const { return opt_; }
  ParameterT<T>& weight() { return weight_; }
  ParameterT<T>& bias() { return bias_; }

 private:
  void check_input(const Shape& x) const;

  GroupNormOptions opt_;
  ParameterT<T> weight_, bias_;
  TensorT<T> mean_, rstd_;  // per (n, g), from the last forward
};

using GroupNorm = GroupNormT<float>;
using GroupNormD = GroupNormT<double>;

}  // namespace invgfx
