// The dashboard's "Run" controls: the run's length in iterations and the photo in focus.
#pragma once

#include "app/gui/panel.h"

namespace invgfx {

class RunPanel {
 public:
  void attach(const Loop& loop) { iterations_ = loop.config().iterations; }
  void draw(const PanelContext& ctx);
  int iterations() const { return iterations_; }

 private:
  int iterations_ = 0;
};

}  // namespace invgfx
