// What a loop configuration would ask of the machine, checked before anything is built: every network
// width, the texture and the working size against core/limits.h, and an estimate of the memory all
// parameters (with their gradients and Adam's two moments) and a batch's activations would take, so a
// config with features.channels = 10⁷ is refused at once ("would need 1.2 TiB") instead of being
// killed by the kernel minutes later. Also the slow-step warning for large working sizes.
#pragma once

#include <cstdint>
#include <string>

namespace invgfx {

struct LoopConfig;

struct ConfigBudget {
  uint64_t bytes = 0;        // estimated peak memory of the fit's networks and buffers
  std::string largest;       // the field whose part of `bytes` is the largest, e.g. "features.channels"
};

// Throws std::invalid_argument "config: field 'X' = N is above the limit of M (...)" for a width or
// size above core/limits.h, or "config: this configuration would need about N GiB (mostly 'X'), more
// than the limit of M GiB" for an estimate above limits::kMaxModelBytes. `vertices` is the
// template's vertex count (0: that of the config's icosphere).
ConfigBudget check_config_budget(const LoopConfig& config, int64_t vertices = 0);

// "" for working sizes up to limits::kSlowWorkingSize, else a one-line warning with the expected
// time of a step, e.g. "working size 2048: a step will take about 8 s (256x the pixels of 128)".
std::string slow_step_warning(int working_size, int batch_size);

}  // namespace invgfx
