// The dashboard's loss plot: the total loss and every active term (named as in loss_terms.h) over the
// iterations, on a log or linear scale, at most one vertex per horizontal pixel; a legend with the
// current values (click a name to hide or show its curve); rolled-back steps as red ticks; the values
// at the cursor in a tooltip.
#pragma once

#include "app/gui/panel.h"

#include <vector>

namespace invgfx {

class LossPlotPanel {
 public:
  void draw(const PanelContext& ctx, float width, float height);

 private:
  bool log_scale_ = true;
  std::vector<bool> term_visible_;  // total, then the terms shown, in order
};

}  // namespace invgfx
