// The dashboard's read-out of the photo's current scene: camera, background, mesh size and light.
#pragma once

#include "app/gui/panel.h"

namespace invgfx {

class ScenePanel {
 public:
  void draw(const PanelContext& ctx);
};

}  // namespace invgfx
