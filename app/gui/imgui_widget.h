// A QOpenGLWidget that hosts one Dear ImGui context: Qt's mouse, wheel, keyboard and text events are
// translated into ImGui's IO (in logical pixels, with the device pixel ratio as the framebuffer scale,
// so HiDPI screens get crisp text), and ImGui's draw lists are rendered with the OpenGL 3 backend that
// Debian's libimgui ships. What to draw comes from `set_frame`, called between NewFrame and Render
// with the GL context current.
#pragma once

#include <QElapsedTimer>
#include <QOpenGLExtraFunctions>
#include <QOpenGLWidget>
#include <QTimer>

#include <functional>

struct ImGuiContext;

namespace invgfx {

class ImGuiWidget : public QOpenGLWidget, public QOpenGLExtraFunctions {
  Q_OBJECT

 public:
  explicit ImGuiWidget(QWidget* parent = nullptr);
  ~ImGuiWidget() override;

  // Draws one frame's widgets. Called from paintGL with this widget's ImGui context and GL context
  // current. `frame` may upload textures with the GL functions of this widget.
  void set_frame(std::function<void()> frame) { frame_ = std::move(frame); }
  // Called once after the GL context exists (textures may be created), and before it goes away.
  void set_gl_hooks(std::function<void()> init, std::function<void()> cleanup) {
    gl_init_ = std::move(init);
    gl_cleanup_ = std::move(cleanup);
  }
  // Redraw at most every `interval_ms` while `animate` is true (a live fit, a turntable); otherwise
  // only input and explicit update() calls redraw.
  void set_animating(bool animate);
  ImGuiContext* imgui_context() const { return context_; }
  bool gl_ready() const { return gl_ready_; }

 protected:
  void initializeGL() override;
  void paintGL() override;

  void mousePressEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void mouseDoubleClickEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void keyPressEvent(QKeyEvent* e) override;
  void keyReleaseEvent(QKeyEvent* e) override;
  void focusOutEvent(QFocusEvent* e) override;
  void leaveEvent(QEvent* e) override;
  bool event(QEvent* e) override;

 private:
  void key_event(QKeyEvent* e, bool down);
  void mouse_button(QMouseEvent* e, bool down);
  void settle();  // a few more frames after input so ImGui's hover/active state catches up
  void cleanup_gl();

  ImGuiContext* context_ = nullptr;
  std::function<void()> frame_, gl_init_, gl_cleanup_;
  bool gl_ready_ = false;
  bool animating_ = false;
  int settle_frames_ = 0;
  QMetaObject::Connection context_destroyed_;  // the GL context's aboutToBeDestroyed → cleanup_gl
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 last_frame_ns_ = 0;
};

}  // namespace invgfx
