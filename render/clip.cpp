// Implementation of render/clip.h.
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
int clip_triangle_traced(const T* p0, const T* p1, const T* p2, ClipTraceT<T>& tr) {
  const T* src[3] = {p0, p1, p2};
  tr.num_nodes = 3;
  for (int i = 0; i < 3; ++i) {
    auto& nd = tr.node[i];
    for (int k = 0; k < 4; ++k) nd.p[k] = src[i][k];
    for (int k = 0; k < 3; ++k) nd.b[k] = T(i == k);
    nd.a = nd.b_ = -1;
    nd.t = T(0), nd.s = T(0);
  }
  int cur[kMaxClipVertices] = {0, 1, 2}, n = 3;
  for (const T s : {T(1), T(-1)}) {
    int next[kMaxClipVertices], m = 0;
    for (int i = 0; i < n; ++i) {
      const int ia = cur[i], ib = cur[(i + 1) % n];
      const auto& a = tr.node[ia];
      const auto& b = tr.node[ib];
      const T da = s * a.p[2] + a.p[3], db = s * b.p[2] + b.p[3];
      if (da >= T(0)) next[m++] = ia;
      if ((da >= T(0)) != (db >= T(0))) {
        auto& c = tr.node[tr.num_nodes];
        c.t = da / (da - db);
        for (int k = 0; k < 4; ++k) c.p[k] = a.p[k] + c.t * (b.p[k] - a.p[k]);
        for (int k = 0; k < 3; ++k) c.b[k] = a.b[k] + c.t * (b.b[k] - a.b[k]);
        c.a = ia, c.b_ = ib, c.s = s;
        next[m++] = tr.num_nodes++;
      }
    }
    if (m < 3) {
      tr.n = 0;
      return 0;
    }
    n = m;
    for (int i = 0; i < n; ++i) cur[i] = next[i];
  }
  tr.n = n;
  for (int i = 0; i < n; ++i) tr.poly[i] = cur[i];
  return n;
}

template <class T>
void clip_triangle_traced_backward(const ClipTraceT<T>& tr, T node_grad[][7], T src_grad[12]) {
  // Reverse creation order: a cut's parents were created before it.
  for (int i = tr.num_nodes - 1; i >= 3; --i) {
    const auto& c = tr.node[i];
    const auto& a = tr.node[c.a];
    const auto& b = tr.node[c.b_];
    T* g = node_grad[i];
    // φ = dL/dt = g · (v_b − v_a) over position and weights.
    T phi = 0;
    for (int k = 0; k < 4; ++k) phi += g[k] * (b.p[k] - a.p[k]);
    for (int k = 0; k < 3; ++k) phi += g[4 + k] * (b.b[k] - a.b[k]);
    // t = d_a/(d_a − d_b), d = s·z + w: ∂t/∂d_a = −d_b/(d_a − d_b)², ∂t/∂d_b = d_a/(d_a − d_b)².
    const T da = c.s * a.p[2] + a.p[3], db = c.s * b.p[2] + b.p[3];
    const T inv = T(1) / (da - db);
    const T gda = -phi * db * inv * inv, gdb = phi * da * inv * inv;
    T* ga = node_grad[c.a];
    T* gb = node_grad[c.b_];
    for (int k = 0; k < 7; ++k) ga[k] += (T(1) - c.t) * g[k], gb[k] += c.t * g[k];
    ga[2] += c.s * gda, ga[3] += gda;
    gb[2] += c.s * gdb, gb[3] += gdb;
  }
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 4; ++k) src_grad[4 * i + k] += node_grad[i][k];
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
template int clip_triangle_traced<float>(const float*, const float*, const float*, ClipTraceT<float>&);
template int clip_triangle_traced<double>(const double*, const double*, const double*, ClipTraceT<double>&);
template void clip_triangle_traced_backward<float>(const ClipTraceT<float>&, float[][7], float[12]);
template void clip_triangle_traced_backward<double>(const ClipTraceT<double>&, double[][7], double[12]);
template PixelRect clip_polygon_pixel_rect<float>(const ClipVertexT<float>*, int, int, int);
template PixelRect clip_polygon_pixel_rect<double>(const ClipVertexT<double>*, int, int, int);

}  // namespace invgfx
