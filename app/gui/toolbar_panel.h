// The dashboard's toolbar: Start/Pause, Step, Reset and Refine (they call back to the window, which
// owns the run state) and one status line — iteration, phase, loss, speed, divergences, errors.
#pragma once

#include "app/gui/panel.h"

#include <functional>
#include <string>

namespace invgfx {

class ToolbarPanel {
 public:
  // `iterations`: the run's target, shown as "iteration i / n".
  void draw(const PanelContext& ctx, int iterations);
  std::function<void(const std::string&)> on_action;  // "start", "pause", "step", "reset", "refine"
};

}  // namespace invgfx
