// Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1) with bias
// correction, and weight decay either decoupled (AdamW, Loshchilov & Hutter, ICLR 2019, Algorithm 2)
// or as an L2 term added to the gradient. The update matches torch.optim.Adam / AdamW:
//   g ← s·∇ (+ λθ in L2 mode);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
//   θ ← θ − ηλθ (decoupled mode);  θ ← θ − η/(1−β1^t) · m / (√v/√(1−β2^t) + ε),
// where s is the clipping scale and t counts this parameter's own updates (so a group that was
// frozen for a while is still bias-corrected correctly when it thaws).
#pragma once

#include "core/optimizer.h"

namespace invgfx {

struct AdamSettings {
  enum class WeightDecay { kDecoupled, kL2 };

  double lr = 1e-3;             // base learning rate η, ≥ 0; default 1e-3
  double beta1 = 0.9;           // first-moment decay, [0, 1); default 0.9
  double beta2 = 0.999;         // second-moment decay, [0, 1); default 0.999
  double eps = 1e-8;            // denominator guard, > 0; default 1e-8
  double weight_decay = 0.0;    // λ, ≥ 0 (groups may override); default 0
  WeightDecay weight_decay_mode = WeightDecay::kDecoupled;  // AdamW by default

  void check() const;
};

template <class T>
class AdamT : public OptimizerT<T> {
 public:
  AdamT(std::vector<ParameterT<T>*> params, const AdamSettings& settings = {});
  std::string name() const override { return "adam"; }
  const AdamSettings& settings() const { return settings_; }

  // Moments of parameter i (for inspection and tests).
  const TensorT<T>& first_moment(size_t i) const { return m_[i]; }
  const TensorT<T>& second_moment(size_t i) const { return v_[i]; }
  int64_t parameter_steps(size_t i) const { return t_[i]; }

 protected:
  void begin_update(size_t i) override { ++t_[i]; }
  void update_range(size_t i, ParameterT<T>& p, int64_t j0, int64_t j1, T lr, T weight_decay,
                    T grad_scale) override;
  void visit_own_state(const OptimizerStateVisitor<T>& visit) override;

 private:
  AdamSettings settings_;
  std::vector<TensorT<T>> m_, v_;
  std::vector<int64_t> t_;
};

using Adam = AdamT<float>;
using AdamD = AdamT<double>;

}  // namespace invgfx
