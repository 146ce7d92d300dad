// Stochastic gradient descent with momentum (Polyak heavy ball; Nesterov optional, in the form of
// Sutskever et al., ICML 2013, eq. 3–4 as rewritten by torch.optim.SGD) and L2 weight decay:
//   g ← s·∇ + λθ;  b ← μ b + (1 − τ) g  (b ← g on a parameter's first update);
//   d ← g + μ b (Nesterov) or b;  θ ← θ − η d,
// with s the clipping scale, μ the momentum and τ the dampening. μ = 0 is plain SGD.
#pragma once

#include "core/optimizer.h"

namespace invgfx {

struct SgdSettings {
  double lr = 1e-2;           // base learning rate η, ≥ 0; default 1e-2
  double momentum = 0.0;      // μ, [0, 1); default 0 (plain SGD)
  double dampening = 0.0;     // τ, [0, 1]; default 0
  bool nesterov = false;      // Nesterov momentum, needs μ > 0 and τ = 0; default false
  double weight_decay = 0.0;  // λ of the L2 term, ≥ 0 (groups may override); default 0

  void check() const;
};

template <class T>
class SgdT : public OptimizerT<T> {
 public:
  SgdT(std::vector<ParameterT<T>*> params, const SgdSettings& settings = {});
  std::string name() const override { return "sgd"; }
  const SgdSettings& settings() const { return settings_; }
  const TensorT<T>& momentum_buffer(size_t i) const { return buf_[i]; }

 protected:
  void update_range(size_t i, ParameterT<T>& p, int64_t j0, int64_t j1, T lr, T weight_decay,
                    T grad_scale) override;
  void end_update(size_t i) override { ++t_[i]; }
  void visit_own_state(const OptimizerStateVisitor<T>& visit) override;

 private:
  SgdSettings settings_;
  std::vector<TensorT<T>> buf_;  // empty (numel 0) when momentum is 0
  std::vector<int64_t> t_;       // updates per parameter; 0 means the buffer is not yet initialised
};

using Sgd = SgdT<float>;
using SgdD = SgdT<double>;

}  // namespace invgfx
