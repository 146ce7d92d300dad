// Learning-rate schedules: a multiplier on the optimizer's base learning rate as a function of the
// 0-based index of the step about to be taken. Constant, step decay and cosine annealing
// (Loshchilov & Hutter, "SGDR", ICLR 2017, eq. 5, without restarts), each with an optional linear
// warm-up (Goyal et al., "Accurate, Large Minibatch SGD", 2017, §2.2).
#pragma once

#include <cstdint>
#include <string>

namespace invgfx {

struct LrSchedule {
  enum class Kind { kConstant, kStep, kCosine };

  Kind kind = Kind::kConstant;  // shape of the schedule after warm-up; default constant
  int64_t warmup_steps = 0;     // linear warm-up length in steps, ≥ 0; factor (t+1)/warmup_steps; default 0
  int64_t step_size = 1000;     // kStep: steps between decays, ≥ 1; default 1000
  double gamma = 0.1;           // kStep: factor applied at each decay, (0, 1]; default 0.1
  int64_t total_steps = 1000;   // kCosine: steps after warm-up to reach the minimum, ≥ 1; default 1000
  double min_factor = 0.0;      // kCosine: final factor (fraction of the base lr), [0, 1]; default 0

  static LrSchedule constant(int64_t warmup_steps = 0);
  static LrSchedule step(int64_t step_size, double gamma, int64_t warmup_steps = 0);
  static LrSchedule cosine(int64_t total_steps, double min_factor = 0.0, int64_t warmup_steps = 0);

  // Multiplier on the base lr for step t (0-based). Warm-up covers t < warmup_steps; the decay then
  // runs on t − warmup_steps, so warm-up does not eat into the decay's length.
  double factor(int64_t t) const;

  // Throws std::invalid_argument naming the field out of range.
  void check() const;
  std::string str() const;  // "cosine(total=1000, min=0, warmup=10)", for logs and the GUI
};

}  // namespace invgfx
