// Implementation of core/lr_schedule.h.
#include "core/lr_schedule.h"

#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace invgfx {

LrSchedule LrSchedule::constant(int64_t warmup_steps) {
  LrSchedule s;
  s.warmup_steps = warmup_steps;
  s.check();
  return s;
}

LrSchedule LrSchedule::step(int64_t step_size, double gamma, int64_t warmup_steps) {
  LrSchedule s;
  s.kind = Kind::kStep;
  s.step_size = step_size;
  s.gamma = gamma;
  s.warmup_steps = warmup_steps;
  s.check();
  return s;
}

LrSchedule LrSchedule::cosine(int64_t total_steps, double min_factor, int64_t warmup_steps) {
  LrSchedule s;
  s.kind = Kind::kCosine;
  s.total_steps = total_steps;
  s.min_factor = min_factor;
  s.warmup_steps = warmup_steps;
  s.check();
  return s;
}

void LrSchedule::check() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("LrSchedule: " + what); };
  if (warmup_steps < 0) fail("warmup_steps must be >= 0, got " + std::to_string(warmup_steps));
  if (kind == Kind::kStep) {
    if (step_size < 1) fail("step_size must be >= 1, got " + std::to_string(step_size));
    if (!(gamma > 0.0 && gamma <= 1.0)) fail("gamma must be in (0, 1], got " + std::to_string(gamma));
  }
  if (kind == Kind::kCosine) {
    if (total_steps < 1) fail("total_steps must be >= 1, got " + std::to_string(total_steps));
    if (!(min_factor >= 0.0 && min_factor <= 1.0))
      fail("min_factor must be in [0, 1], got " + std::to_string(min_factor));
  }
}

double LrSchedule::factor(int64_t t) const {
  if (t < 0) t = 0;
  if (t < warmup_steps) return static_cast<double>(t + 1) / static_cast<double>(warmup_steps);
  const int64_t u = t - warmup_steps;
  switch (kind) {
    case Kind::kConstant:
      return 1.0;
    case Kind::kStep:
      return std::pow(gamma, static_cast<double>(u / step_size));
    case Kind::kCosine: {
      if (u >= total_steps) return min_factor;
      // η_t = η_min + ½(η_max − η_min)(1 + cos(π t / T)), as a fraction of η_max.
      const double c = std::cos(std::numbers::pi * static_cast<double>(u) / static_cast<double>(total_steps));
      return min_factor + 0.5 * (1.0 - min_factor) * (1.0 + c);
    }
  }
  return 1.0;
}

std::string LrSchedule::str() const {
  std::ostringstream s;
  switch (kind) {
    case Kind::kConstant: s << "constant("; break;
    case Kind::kStep: s << "step(size=" << step_size << ", gamma=" << gamma << ", "; break;
    case Kind::kCosine: s << "cosine(total=" << total_steps << ", min=" << min_factor << ", "; break;
  }
  s << "warmup=" << warmup_steps << ")";
  return s.str();
}

}  // namespace invgfx
