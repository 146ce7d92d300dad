// Implementation of app/gui/gl_limits.h.
#include "app/gui/gl_limits.h"

#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFunctions>

#include <algorithm>
#include <cmath>

namespace invgfx {

int max_framebuffer_side() {
  static const int side = [] {
    constexpr int kFallback = 4096;
    QOffscreenSurface surface;
    surface.create();
    QOpenGLContext context;
    if (!surface.isValid() || !context.create() || !context.makeCurrent(&surface)) return kFallback;
    QOpenGLFunctions* gl = context.functions();
    GLint renderbuffer = 0, texture = 0, viewport[2] = {0, 0};
    gl->glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &renderbuffer);
    gl->glGetIntegerv(GL_MAX_TEXTURE_SIZE, &texture);
    gl->glGetIntegerv(GL_MAX_VIEWPORT_DIMS, viewport);
    context.doneCurrent();
    const int least = std::min({renderbuffer, texture, viewport[0], viewport[1]});
    return least > 0 ? least : kFallback;
  }();
  return side;
}

QSize clamp_window_size(QSize requested, double dpr, QSize screen, QString* note) {
  if (note) note->clear();
  const int gl = static_cast<int>(std::floor(max_framebuffer_side() / std::max(1.0, dpr)));
  // A size OpenGL can draw is kept (a screenshot may be larger than the screen); one it cannot is
  // brought within the screen as well, where a window is of use.
  const bool drawable = requested.width() <= gl && requested.height() <= gl;
  const int max_w = !drawable && screen.width() > 0 ? std::min(gl, screen.width()) : gl;
  const int max_h = !drawable && screen.height() > 0 ? std::min(gl, screen.height()) : gl;
  const QSize clamped(std::clamp(requested.width(), 1, max_w), std::clamp(requested.height(), 1, max_h));
  if (clamped != requested && note)
    *note = QString("Window size %1x%2 is beyond what the screen (%3x%4) and OpenGL (%5 px a side) can show; using %6x%7")
                .arg(requested.width())
                .arg(requested.height())
                .arg(screen.width())
                .arg(screen.height())
                .arg(gl)
                .arg(clamped.width())
                .arg(clamped.height());
  return clamped;
}

}  // namespace invgfx
