// The dashboard's rasterizer controls (render/render_options.h): hard or soft mode, the soft mode's
// σ and γ, and per-pixel texture mipmaps; the working size and light model are fixed during a fit.
#pragma once

#include "app/gui/panel.h"

namespace invgfx {

class RasterPanel {
 public:
  void attach(const Loop& loop) { options_ = loop.config().render; }
  void draw(const PanelContext& ctx);

 private:
  RenderOptions options_;
};

}  // namespace invgfx
