// The window's size within what the OpenGL implementation can allocate. The dashboard draws into a
// framebuffer of the GL widget's size × the device pixel ratio; beyond GL_MAX_RENDERBUFFER_SIZE,
// GL_MAX_TEXTURE_SIZE or GL_MAX_VIEWPORT_DIMS that framebuffer is incomplete and nothing can be drawn
// (a --window-size of 100000x100000 once hung the window there). The limits are read once from an
// offscreen context of the default format.
#pragma once

#include <QSize>
#include <QString>

namespace invgfx {

// The largest side, in device pixels, of a framebuffer the GL implementation allocates (the least of
// the three limits above); 4096 when no context can be created (the minimum GL 3 guarantees).
int max_framebuffer_side();

// `requested` (logical pixels) clamped so that each side × `device_pixel_ratio` fits
// max_framebuffer_side(); a request beyond it is also brought within the desktop `screen` (logical
// pixels, all screens together; an empty size for no bound), as a framebuffer of the GL limit would
// cost gigabytes and show nothing more. `note` (may be null) gets a one-line message when it was clamped, else is cleared.
QSize clamp_window_size(QSize requested, double device_pixel_ratio, QSize screen, QString* note);

}  // namespace invgfx
