// The dashboard's five image panels of the photo in focus: the photo, the render after the ISP, the
// linear render before it, the error heat map and the silhouette over the mask. They share one zoom
// (wheel about the cursor, drag to pan, double-click for the whole image) so they stay aligned, and
// show the values under the cursor. The heat map's scale follows the error (right-click to set it).
#pragma once

#include "app/gui/panel.h"
#include "app/gui/panel_image.h"

#include <QOpenGLExtraFunctions>

#include <string>
#include <vector>

namespace invgfx {

class ImagePanels {
 public:
  void init_gl(QOpenGLExtraFunctions* gl) { gl_ = gl; }
  void cleanup_gl();
  // Uploads the snapshot's images (with the GL context current).
  void upload(const LoopSnapshot& snapshot);
  void reset_view();
  void draw(const PanelContext& ctx, float width, const std::vector<std::string>& photo_names);

 private:
  struct Texture {
    unsigned id = 0;
    int width = 0, height = 0;
  };
  void upload(Texture& t, const Rgba8Image& image);
  void draw_panel(const PanelContext& ctx, const char* key, const char* caption, const Texture& t, float size,
                  const char* legend = nullptr);

  QOpenGLExtraFunctions* gl_ = nullptr;
  Texture photo_, render_, linear_, error_, silhouette_;
  Rgba8Image scratch_;
  float error_scale_ = 0.25f;  // heat map top, mean absolute sRGB error
  bool error_auto_ = true;
  bool stale_ = false;          // the heat map's scale changed: upload again
  float zoom_ = 1.f, zoom_cx_ = 0.5f, zoom_cy_ = 0.5f;  // scale ≥ 1, centre in texture coordinates
};

}  // namespace invgfx
