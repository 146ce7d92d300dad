// The 3D view of the recovered mesh: its texture (or vertex colours) lit by a head light, drawn with
// OpenGL into an offscreen framebuffer that the dashboard shows as an ImGui image. Orbit with the
// mouse (yaw, pitch), zoom with the wheel, or let it turn by itself (turntable).
#pragma once

#include "render/mesh.h"

#include <QOpenGLExtraFunctions>

#include <memory>

class QOpenGLFramebufferObject;
class QOpenGLShaderProgram;

namespace invgfx {

struct OrbitView {
  float yaw = 0.6f;        // radians about the up axis
  float pitch = 0.35f;     // radians above the horizon, |pitch| < π/2
  float distance = 3.2f;   // in units of the mesh's bounding radius
  bool turntable = false;  // yaw advances by itself (off by default: it redraws continuously)
  float turntable_speed = 0.6f;  // radians per second
};

class MeshView {
 public:
  MeshView();
  ~MeshView();
  // With the GL context current.
  void init(QOpenGLExtraFunctions* gl);
  void cleanup();
  // Uploads a new mesh (positions, faces, UVs with their own index or not, texture or colours).
  void set_mesh(const Mesh& mesh);
  bool has_mesh() const { return index_count_ > 0; }
  // Renders at w×h device pixels and returns the colour texture's GL name (0 without a mesh).
  unsigned render(int w, int h, const OrbitView& view);

 private:
  QOpenGLExtraFunctions* gl_ = nullptr;
  std::unique_ptr<QOpenGLShaderProgram> program_;
  std::unique_ptr<QOpenGLFramebufferObject> fbo_;
  unsigned vao_ = 0, vbo_ = 0, ibo_ = 0, texture_ = 0;
  int index_count_ = 0;
  bool textured_ = false;
  float exposure_ = 1.f;
  float center_[3] = {0, 0, 0};
  float radius_ = 1;
};

}  // namespace invgfx
