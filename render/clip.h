// Clipping of a clip-space triangle (OpenGL convention: visible where −w ≤ z ≤ w) against the near
// and far planes, and the conservative pixel rectangle of what survives.
//
// The hard rasterizer does not draw the clipped polygon: it tests every pixel exactly against the
// original triangle with homogeneous edge functions plus the near/far plane functions (Olano & Greer
// 1997, "Triangle scan conversion using 2D homogeneous coordinates"), so a triangle crossing the near
// plane covers exactly its visible part and keeps its own barycentrics for gradients. The clipped
// polygon gives the pixel rectangle to scan, and sub-triangles (with barycentric weights back to the
// source triangle) for the soft rasterizer, which needs screen-space geometry.
#pragma once

#include <cstdint>

namespace invgfx {

// Pixel (x, y) has its centre at NDC ((2x + 1)/W − 1, 1 − (2y + 1)/H): row 0 is the TOP of the image,
// as in photos (clip-space y points up).
template <class T>
inline T pixel_center_ndc_x(int x, int width) { return T(2 * x + 1) / T(width) - T(1); }
template <class T>
inline T pixel_center_ndc_y(int y, int height) { return T(1) - T(2 * y + 1) / T(height); }

// A vertex of a clipped polygon: clip-space position and its weights over the source triangle's
// three vertices (clip space is linear, so position = Σ b_k · source_k).
template <class T>
struct ClipVertexT {
  T p[4];  // x, y, z, w
  T b[3];
};

inline constexpr int kMaxClipVertices = 5;  // a triangle cut by two planes has at most 5 vertices

// Sutherland–Hodgman against z + w ≥ 0 (near) and w − z ≥ 0 (far). p0..p2 are clip-space x y z w.
// Returns the vertex count (0 when nothing is visible, else 3..5), vertices in the source winding.
template <class T>
int clip_triangle_near_far(const T* p0, const T* p1, const T* p2, ClipVertexT<T> out[kMaxClipVertices]);

// Inclusive pixel rectangle [x0, x1] × [y0, y1].
struct PixelRect {
  int x0, y0, x1, y1;
  bool empty() const { return x0 > x1 || y0 > y1; }
};

// Conservative rectangle of the pixel centres the visible part of the polygon can cover, clamped to
// the image; empty when it lies outside. A vertex with w ≈ 0 (a projection at infinity) widens the
// rectangle to the whole image, which stays correct because coverage itself is tested exactly.
template <class T>
PixelRect clip_polygon_pixel_rect(const ClipVertexT<T>* poly, int n, int width, int height);

}  // namespace invgfx
