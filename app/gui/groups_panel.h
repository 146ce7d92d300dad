// The dashboard's parameter-group controls: per group (net, shape, texture, light, camera, isp,
// background) a learning-rate scale and a frozen switch, sent to the loop as commands.
#pragma once

#include "app/gui/panel.h"

#include <map>
#include <string>
#include <vector>

namespace invgfx {

class GroupsPanel {
 public:
  void attach(const Loop& loop);
  void draw(const PanelContext& ctx);

 private:
  std::vector<std::string> groups_;
  std::map<std::string, GroupSettings> settings_;
  double lr_ = 0;
};

}  // namespace invgfx
