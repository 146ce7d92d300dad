// The optimizer interface shared by Adam and SGD: per-group settings (learning-rate multiplier or
// absolute rate, weight decay, freezing), a learning-rate schedule, global gradient-norm clipping, a
// guard that refuses a step whose loss or gradients are not finite, and state save/load so a session
// resumes bit-exactly.
//
// One step, in order (step() = prepare() then apply(); a caller that must agree with others on
// whether to step, as the divergence guard of several optimizers does, calls the two apart):
//   1. prepare: the loss (when given) and every gradient of a non-frozen parameter must be finite,
//      otherwise the report refuses the step and names the culprit; the global L2 norm ‖g‖ over all
//      non-frozen gradients sets the clipping scale: with max_grad_norm > 0 and ‖g‖ above it, every
//      gradient is scaled by max_grad_norm / ‖g‖ (Pascanu et al., ICML 2013, §3.2);
//   2. apply: each non-frozen parameter is updated with lr = group lr × schedule factor(step).
// A refused step changes nothing (parameters, moments, step count). Gradients are read, never
// modified, so the caller can still inspect them after the step.
//
// keep() and rollback() copy the values of the non-frozen parameters and the whole state (as
// visit_state lists it, whatever the optimizer) aside and back, so a step can be undone when its new
// values turn out not to be finite (core/divergence_guard.h).
//
// All state buffers are created in the constructor; a step does not allocate. Large tensors are
// processed with OpenMP; every reduction runs over fixed blocks in a fixed order, so results do not
// depend on the number of threads.
#pragma once

#include "core/lr_schedule.h"
#include "core/parameter.h"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace invgfx {

// Settings of one parameter group ("net", "shape", "isp", ...). Groups without settings use the defaults.
struct GroupSettings {
  double lr_scale = 1.0;               // multiplier on the base lr, ≥ 0; default 1
  std::optional<double> lr;            // absolute lr replacing base·lr_scale, ≥ 0 (schedule still applies); default none
  std::optional<double> weight_decay;  // replaces the optimizer's weight decay for this group, ≥ 0; default none
  bool frozen = false;                 // not updated, not clipped, not guarded, requires_grad = false; default false

  void check(const std::string& group) const;
};

// What a step did. When the guard refuses a step, applied is false and problem says why.
struct StepReport {
  bool applied = false;
  std::string problem;        // e.g. "gradient of conv1.weight is nan at element 17"; empty when applied
  std::string bad_parameter;  // first parameter with a non-finite gradient; empty if the loss was the problem
  int bad_parameter_index = -1;  // its position in parameters() (names need only be unique per node)
  int64_t bad_index = -1;     // flat index of its first non-finite element
  int bad_count = 0;          // number of parameters with non-finite gradients
  double grad_norm = 0.0;     // global L2 norm of the non-frozen gradients, before clipping
  double clip_scale = 1.0;    // factor applied to every gradient (1 = not clipped)
  double lr = 0.0;            // base lr × schedule factor used for this step
  int64_t step = 0;           // steps taken so far, after this call
};

// Visits the optimizer's state for sessions: tensors (moments) and integers (step counts), each
// under a stable name. Callbacks may modify what they are given (that is how load works).
template <class T>
struct OptimizerStateVisitor {
  std::function<void(const std::string& name, TensorT<T>& t)> tensor;
  std::function<void(const std::string& name, int64_t& v)> integer;
};

template <class T>
class OptimizerT {
 public:
  // params: the parameters to optimise (e.g. collect_parameters<T>(graph)); names should be unique,
  // since the guard reports and the state file refer to them by name. lr: base learning rate, ≥ 0.
  OptimizerT(std::vector<ParameterT<T>*> params, double lr);
  virtual ~OptimizerT() = default;
  OptimizerT(const OptimizerT&) = delete;
  OptimizerT& operator=(const OptimizerT&) = delete;

  virtual std::string name() const = 0;  // "adam", "sgd"; also the tag of the state stream

  // Learning rate and schedule.
  void set_lr(double lr);
  double lr() const { return lr_; }
  void set_schedule(const LrSchedule& schedule);
  const LrSchedule& schedule() const { return schedule_; }
  // The rate the next step will use for this group (group lr or base·scale, times the schedule).
  double group_lr(const std::string& group) const;

  // Per-group settings. Freezing sets requires_grad = false on the group's parameters so nodes may
  // skip their gradients; unfreezing sets it back.
  void set_group(const std::string& group, const GroupSettings& settings);
  GroupSettings group(const std::string& group) const;
  void freeze(const std::string& group, bool frozen = true);
  // The distinct groups of the optimised parameters, in order of first appearance (for the GUI).
  std::vector<std::string> group_names() const;

  // Global gradient-norm clipping threshold, ≥ 0; 0 disables it (default).
  void set_max_grad_norm(double max_norm);
  double max_grad_norm() const { return max_grad_norm_; }

  // Default weight decay (λ) for groups that do not set their own, ≥ 0.
  void set_weight_decay(double weight_decay);
  double weight_decay() const { return weight_decay_; }

  // One update from the parameters' current gradients. The overload with the loss also refuses the
  // step when the loss itself is not finite. Throws std::logic_error when a parameter's value or
  // gradient changed size since construction.
  StepReport step();
  StepReport step(double loss);
  // The two halves of step(): prepare checks and measures the gradients (the report's applied is
  // true when the step may go ahead); apply, after a prepare that allowed it and before the
  // gradients change, takes the step and returns that report with the step count.
  StepReport prepare();
  StepReport prepare(double loss);
  StepReport apply(StepReport prepared);

  // Copies the non-frozen parameters' values and the whole state aside (no allocation after the
  // first call), and restores them.
  void keep();
  void rollback();

  void zero_grad();
  int64_t step_count() const { return step_count_; }
  const std::vector<ParameterT<T>*>& parameters() const { return params_; }

  // State for sessions. visit_state lists "step" and then the subclass's buffers.
  void visit_state(const OptimizerStateVisitor<T>& visit);
  // Binary form (little-endian host layout): magic "IGXOPTST", u32 version, u32 sizeof(T),
  // string name, u64 entry count, then entries {u8 kind (0 = tensor, 1 = integer), string name,
  // tensor: u32 rank, i64 dims[rank], raw T data | integer: i64}; strings are u64 length + bytes.
  // load_state checks everything (tag, precision, names, shapes) before changing anything, and
  // throws std::runtime_error describing the first mismatch.
  void save_state(std::ostream& os);
  void load_state(std::istream& is);
  std::string save_state();
  void load_state(const std::string& bytes);

 protected:
  // A step updates every non-frozen parameter i as: begin_update(i) (serially, e.g. to advance its
  // step count), then update_range(i, ...) over fixed blocks [j0, j1) of its elements, in parallel
  // across the blocks of all parameters (one OpenMP region per step, however many parameters), then
  // end_update(i) serially. update_range updates elements j0..j1−1 in place with g = grad·grad_scale,
  // learning rate lr and weight decay weight_decay; it must touch nothing outside that range.
  virtual void begin_update(size_t /*i*/) {}
  virtual void update_range(size_t i, ParameterT<T>& p, int64_t j0, int64_t j1, T lr, T weight_decay,
                            T grad_scale) = 0;
  virtual void end_update(size_t /*i*/) {}
  virtual void visit_own_state(const OptimizerStateVisitor<T>& visit) = 0;

  std::vector<ParameterT<T>*> params_;

 private:
  const GroupSettings& settings_of(const std::string& group) const;
  void find_bad_gradients(StepReport& report) const;

  double lr_;
  double weight_decay_ = 0.0;
  double max_grad_norm_ = 0.0;
  LrSchedule schedule_;
  std::map<std::string, GroupSettings> groups_;
  GroupSettings default_group_;
  int64_t step_count_ = 0;

  // Fixed blocks for the deterministic parallel norm: block b covers elements
  // [block_start_[b], +kBlock) of parameter block_param_[b].
  std::vector<int> block_param_;
  std::vector<int64_t> block_start_;
  std::vector<double> block_sum_;
  std::vector<int64_t> numel_;
  std::vector<char> frozen_;         // per parameter, refreshed at each step
  std::vector<double> step_lr_, step_wd_;  // per parameter, for the step in progress
  bool prepared_ = false;            // prepare() allowed a step that apply() has not taken yet

  // keep(): the state as visit_state lists it (found on the first call; the buffers never move), the
  // copies, and which parameters' values were copied (frozen ones are not stepped, so not copied).
  std::vector<TensorT<T>*> kept_state_;
  std::vector<int64_t*> kept_counts_;
  std::vector<TensorT<T>> kept_state_copy_, kept_values_;
  std::vector<int64_t> kept_counts_copy_;
  std::vector<char> kept_value_;
};

using Optimizer = OptimizerT<float>;
using OptimizerD = OptimizerT<double>;

}  // namespace invgfx
