// The dashboard's 3D view of the recovered mesh (mesh_view.h): drag to orbit, wheel to zoom, or let
// it turn by itself.
#pragma once

#include "app/gui/mesh_view.h"
#include "app/gui/panel.h"

namespace invgfx {

class MeshPanel {
 public:
  void init_gl(QOpenGLExtraFunctions* gl) { view_.init(gl); }
  void cleanup_gl() { view_.cleanup(); }
  void set_mesh(const Mesh& mesh) { view_.set_mesh(mesh); }
  void draw(const PanelContext& ctx, float width, float height);
  bool turntable() const { return orbit_.turntable; }
  void advance(float seconds) {
    if (orbit_.turntable) orbit_.yaw += orbit_.turntable_speed * seconds;
  }

 private:
  MeshView view_;
  OrbitView orbit_;
};

}  // namespace invgfx
