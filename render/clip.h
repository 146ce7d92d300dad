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

// The same clipping with the recipe of every vertex kept, so that gradients of the clipped polygon
// reach the source vertices exactly, including through the cut points' own motion: a cut vertex
// c = p_a + t (p_b − p_a) on the plane d(p) = s·z + w = 0 has t = d_a/(d_a − d_b), which moves with
// p_a and p_b. Nodes 0..2 are the source vertices; each cut adds a node (at most 2 per plane).
template <class T>
struct ClipTraceT {
  static constexpr int kMaxNodes = 7;
  struct Node {
    T p[4];    // clip-space x, y, z, w
    T b[3];    // weights over the source vertices
    int a, b_;  // parent nodes of a cut (−1 for a source vertex)
    T t;       // p = p_a + t (p_b − p_a)
    T s;       // plane sign: +1 near (z + w = 0), −1 far (w − z = 0)
  };
  Node node[kMaxNodes];
  int num_nodes = 0;
  int poly[kMaxClipVertices];  // polygon vertices as node indices, source winding
  int n = 0;                   // polygon vertex count: 0 (nothing visible) or 3..5
};

// Fills `tr` (Sutherland–Hodgman against near, then far) and returns tr.n.
template <class T>
int clip_triangle_traced(const T* p0, const T* p1, const T* p2, ClipTraceT<T>& tr);

// Backward of the trace: node_grad[i] holds dL/d(p, b) of node i (7 values: x y z w, then the three
// source weights; it is consumed, i.e. modified, in place). Adds dL/d(source vertex i) (x y z w) into
// src_grad[4·i + k]. The source weights are constants, so their gradients only feed the cuts' t.
template <class T>
void clip_triangle_traced_backward(const ClipTraceT<T>& tr, T node_grad[][7], T src_grad[12]);

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
