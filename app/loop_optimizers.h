// The settings every optimizer of the loop takes from the configuration: Adam at the base learning
// rate with global gradient clipping, and per-group settings (rate, scale, weight decay, frozen)
// from the configuration's "groups" — the loss's feature network (group "features") frozen unless
// the configuration says otherwise — every rate multiplied by the divergence guard's factor (1 until
// a step diverges, halved by each divergence).
#pragma once

#include "app/loop_config.h"
#include "core/optimizer.h"

#include <memory>
#include <string>
#include <vector>

namespace invgfx {

// The parameter groups of the loop a user sets: net, shape, texture, light, camera, isp, background.
const std::vector<std::string>& loop_groups();

// The settings of `group` in `config` (defaults when it has none).
GroupSettings group_settings(const LoopConfig& config, const std::string& group);

// Adam over `parameters` with the configuration's rate, clipping and group settings.
std::unique_ptr<Optimizer> make_loop_optimizer(std::vector<Parameter*> parameters, const LoopConfig& config,
                                               double lr_factor);
// Applies the configuration's rate and group settings (after a command or a divergence).
void apply_loop_settings(Optimizer& optimizer, const LoopConfig& config, double lr_factor);

}  // namespace invgfx
