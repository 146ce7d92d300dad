#include "render/clip.h"

#include <algorithm>
#include <cmath>

namespace invgfx {

namespace {

// One Sutherland–Hodgman pass against the plane d(p) = s·z + w ≥ 0 (s = +1 near, −1 far).
template <class T>
int clip_against(const ClipVertexT<T>* in, int n, T s, ClipVertexT<T>* out) {
  int m = 0;
  for (int i = 0; i < n; ++i) {
    const ClipVertexT<T>& a = in[i];
    const ClipVertexT<T>& b = in[(i + 1) % n];
    const T da = s * a.p[2] + a.p[3], db = s * b.p[2] + b.p[3];
    if (da >= T(0)) out[m++] = a;
    if ((da >= T(0)) != (db >= T(0))) {
      // Crossing point: interpolation is exact in clip space, so barycentric weights interpolate too.
      const T t = da / (da - db);
      ClipVertexT<T> c;
      for (int k = 0; k < 4; ++k) c.p[k] = a.p[k] + t * (b.p[k] - a.p[k]);
      for (int k = 0; k < 3; ++k) c.b[k] = a.b[k] + t * (b.b[k] - a.b[k]);
      out[m++] = c;
    }
  }
  return m;
}

}  // namespace

template <class T>
int clip_triangle_near_far(const T* p0, const T* p1, const T* p2, ClipVertexT<T> out[kMaxClipVertices]) {
  ClipVertexT<T> tri[3];
  const T* src[3] = {p0, p1, p2};
  bool inside = true;
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 4; ++k) tri[i].p[k] = src[i][k];
    for (int k = 0; k < 3; ++k) tri[i].b[k] = T(i == k);
    inside = inside && src[i][3] + src[i][2] >= T(0) && src[i][3] - src[i][2] >= T(0);
  }
  if (inside) {
    for (int i = 0; i < 3; ++i) out[i] = tri[i];
    return 3;
  }
  // A triangle has 3 vertices, one plane adds at most one: 4 after near, 5 after far.
  ClipVertexT<T> mid[kMaxClipVertices];
  const int n1 = clip_against(tri, 3, T(1), mid);
  if (n1 < 3) return 0;
  const int n2 = clip_against(mid, n1, T(-1), out);
  return n2 < 3 ? 0 : n2;
}

template <class T>
PixelRect clip_polygon_pixel_rect(const ClipVertexT<T>* poly, int n, int width, int height) {
  const PixelRect full{0, 0, width - 1, height - 1};
  if (n < 3) return PixelRect{0, 0, -1, -1};
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  double wmax = 0;
  for (int i = 0; i < n; ++i) wmax = std::max(wmax, std::abs(double(poly[i].p[3])) + std::abs(double(poly[i].p[2])));
  for (int i = 0; i < n; ++i) {
    const double w = poly[i].p[3];
    // After near/far clipping w ≥ |z| ≥ 0; a w this small relative to the polygon projects to
    // (practically) infinity, so no finite rectangle bounds it.
    if (!(w > 1e-12 * wmax) || !std::isfinite(w)) return full;
    const double x = poly[i].p[0] / w, y = poly[i].p[1] / w;
    if (!std::isfinite(x) || !std::isfinite(y)) return full;
    xmin = std::min(xmin, x), xmax = std::max(xmax, x), ymin = std::min(ymin, y), ymax = std::max(ymax, y);
  }
  // NDC → pixel-centre index coordinates: x_pix = (x + 1)·W/2 − 0.5, y_pix = (1 − y)·H/2 − 0.5.
  // One pixel of margin absorbs rounding; coverage is decided per pixel anyway.
  auto clampd = [](double v, double lo, double hi) { return std::min(std::max(v, lo), hi); };
  const double px0 = clampd(std::floor((xmin + 1) * 0.5 * width - 0.5) - 1, -2, width + 1);
  const double px1 = clampd(std::ceil((xmax + 1) * 0.5 * width - 0.5) + 1, -2, width + 1);
  const double py0 = clampd(std::floor((1 - ymax) * 0.5 * height - 0.5) - 1, -2, height + 1);
  const double py1 = clampd(std::ceil((1 - ymin) * 0.5 * height - 0.5) + 1, -2, height + 1);
  PixelRect r{std::max(0, int(px0)), std::max(0, int(py0)), std::min(width - 1, int(px1)),
              std::min(height - 1, int(py1))};
  return r;
}

template int clip_triangle_near_far<float>(const float*, const float*, const float*, ClipVertexT<float>*);
template int clip_triangle_near_far<double>(const double*, const double*, const double*, ClipVertexT<double>*);
template PixelRect clip_polygon_pixel_rect<float>(const ClipVertexT<float>*, int, int, int);
template PixelRect clip_polygon_pixel_rect<double>(const ClipVertexT<double>*, int, int, int);

}  // namespace invgfx
