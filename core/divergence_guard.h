// The divergence guard of one training step over several optimizers (the network's, the ISP's, each
// photo's scene in refinement): the step is all or nothing. A step whose loss or gradients are not
// finite is refused before anything changes; a step whose new parameter values are not finite is
// rolled back, parameters and optimizer state alike (OptimizerT::keep/rollback, which go through the
// optimizer's own state visitor, so any optimizer works). Either way the learning rates are halved.
//
// The guard's decisions are StepVerdict values that combine: a caller that runs the same step in
// several processes combines each process's verdict before acting on it, so that every process
// steps, or every process rolls back.
//
// One guarded step:
//   guard.keep(opts);                             // a copy of every optimizer's values and state
//   StepVerdict v = guard.prepare(opts, loss);   // nothing changed yet; combine v across processes
//   if (v.ok) {
//     guard.apply(opts);                          // steps every optimizer
//     ... project the new values (clamps) ...
//     v = guard.check_values(opts);               // combine again
//     if (!v.ok) guard.rollback(opts);
//   }
//   if (!v.ok) guard.diverged();                  // lr_factor() halves
#pragma once

#include "core/optimizer.h"

#include <span>
#include <string>
#include <vector>

namespace invgfx {

struct StepVerdict {
  bool ok = true;
  std::string problem;  // the first problem found, e.g. "gradient of conv1.weight is nan at element 3"

  // This step's verdict elsewhere (another optimizer, another process): not ok when either is not;
  // the first problem is kept.
  void combine(const StepVerdict& other) {
    if (ok && !other.ok) {
      ok = false;
      problem = other.problem;
    }
  }
};

template <class T>
class DivergenceGuardT {
 public:
  // Keeps every optimizer's values and state for rollback. (Before prepare: the copy then sits
  // between the backward and the gradient norm, as the backup always did, so the norm's pass and the
  // update's read the gradients back to back.)
  void keep(std::span<OptimizerT<T>* const> opts);
  // The loss and every non-frozen gradient of every optimizer finite (each optimizer's prepare()).
  StepVerdict prepare(std::span<OptimizerT<T>* const> opts, double loss);
  // After a prepare that allowed the step: steps each optimizer.
  void apply(std::span<OptimizerT<T>* const> opts);
  // Every non-frozen parameter value finite after the step.
  StepVerdict check_values(std::span<OptimizerT<T>* const> opts) const;
  // Back to what apply() kept.
  void rollback(std::span<OptimizerT<T>* const> opts);

  // The multiplier of every learning rate: 1 until a step diverges, halved by each divergence.
  double lr_factor() const { return lr_factor_; }
  void set_lr_factor(double f) { lr_factor_ = f; }
  void diverged() { lr_factor_ *= 0.5; }

 private:
  std::vector<StepReport> prepared_;  // per optimizer of the step in progress
  double lr_factor_ = 1.0;
};

using DivergenceGuard = DivergenceGuardT<float>;
using DivergenceGuardD = DivergenceGuardT<double>;

extern template class DivergenceGuardT<float>;
extern template class DivergenceGuardT<double>;

}  // namespace invgfx
