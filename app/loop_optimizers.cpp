// Implementation of app/loop_optimizers.h.
#include "app/loop_optimizers.h"

#include "app/nets/reconstruction_net.h"
#include "core/adam.h"

namespace invgfx {

const std::vector<std::string>& loop_groups() {
  static const std::vector<std::string> groups = {group::kNet,    group::kShape, group::kTexture,   group::kLight,
                                                  group::kCamera, group::kIsp,   group::kBackground};
  return groups;
}

GroupSettings group_settings(const LoopConfig& config, const std::string& group) {
  auto it = config.groups.find(group);
  if (it != config.groups.end()) return it->second;
  GroupSettings s;
  if (group == kFeaturesGroup) s.frozen = true;  // fixed random features unless the configuration says otherwise
  return s;
}

std::unique_ptr<Optimizer> make_loop_optimizer(std::vector<Parameter*> parameters, const LoopConfig& config,
                                               double lr_factor) {
  AdamSettings a;
  a.lr = config.lr;
  auto opt = std::make_unique<Adam>(std::move(parameters), a);
  opt->set_max_grad_norm(config.max_grad_norm);
  apply_loop_settings(*opt, config, lr_factor);
  return opt;
}

void apply_loop_settings(Optimizer& opt, const LoopConfig& config, double lr_factor) {
  opt.set_lr(config.lr * lr_factor);
  auto apply = [&](const std::string& g) {
    GroupSettings s = group_settings(config, g);
    if (s.lr) s.lr = *s.lr * lr_factor;
    opt.set_group(g, s);
  };
  for (const std::string& g : loop_groups()) apply(g);
  apply(kFeaturesGroup);
}

}  // namespace invgfx
