// Implementation of render/antialias.h.
#include "render/antialias.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace invgfx {

namespace {

template <class T>
void check_color(const TensorT<T>& color, const RasterOutputT<T>& r, const char* what) {
  if (color.rank() != 3 || color.dim(1) != r.height || color.dim(2) != r.width)
    throw std::invalid_argument(std::string(what) + ": colour must be C×" + std::to_string(r.height) + "×" +
                                std::to_string(r.width) + ", got " + color.shape().str());
}

template <class T>
void prepare(TensorT<T>* t, const Shape& s) {
  if (t && t->shape() != s) {
    t->resize(s);
    t->zero();
  }
}

// det[P_a; P_b; P_c] over homogeneous (x, y, w): its sign tells on which side of the screen line
// through a and b the point c projects (for w > 0).
template <class T>
double side(const T* a, const T* b, const T* c) {
  const double ax = a[0], ay = a[1], aw = a[3], bx = b[0], by = b[1], bw = b[3], cx = c[0], cy = c[1], cw = c[3];
  return ax * (by * cw - bw * cy) - ay * (bx * cw - bw * cx) + aw * (bx * cy - by * cx);
}

// A boundary segment of a face's visible part on screen. An endpoint is a vertex (out = −1) or, where
// the edge leaves the near/far frustum, the cut point of edge in → out with that plane.
template <class T>
struct Segment {
  int32_t a_in, a_out, b_in, b_out;
  T Xa, Ya, Xb, Yb;  // pixel-centre coordinates of the endpoints
  int edge;          // the face's edge (0..2, opposite that corner) it lies on, −1 for a cut line
};

// Endpoint of a segment in clip space: vertex `in`, or the cut c = p_in + t (p_out − p_in) with the
// plane d(p) = s·z + w = 0 that `out` lies past (s = +1 near, −1 far). Faces are only cut when each
// of their outside vertices violates exactly one plane, and `in` satisfies that plane (it is inside,
// or past the other plane), so 0 ≤ t < 1. t = d_in/(d_in − d_out).
template <class T>
void endpoint(const T* pos, int32_t in, int32_t out, T c[4], T& t, T& s) {
  const T* a = pos + 4 * int64_t(in);
  if (out < 0) {
    for (int k = 0; k < 4; ++k) c[k] = a[k];
    t = T(0), s = T(0);
    return;
  }
  const T* b = pos + 4 * int64_t(out);
  s = b[3] + b[2] < T(0) ? T(1) : T(-1);
  const T da = s * a[2] + a[3], db = s * b[2] + b[3];
  t = da / (da - db);
  for (int k = 0; k < 4; ++k) c[k] = a[k] + t * (b[k] - a[k]);
}

constexpr int kMaxSegments = 5;  // a triangle cut by both planes is a pentagon at most

// The visible boundary of face fv: its edges between vertices inside the near and far planes, and,
// when each vertex outside violates one plane only (the near plane, the far plane, or some the one
// and some the other), the visible parts of the edges that cross a plane — from a vertex or a cut
// point to a cut point — and each plane's cut line between its two cut points. A face with a vertex
// past both planes at once is left out. Returns the segment count (≤ kMaxSegments).
template <class T>
int face_segments(const T* pos, const int32_t* fv, int W, int H, Segment<T> seg[kMaxSegments]) {
  bool ok[3];
  int viol[3], nout = 0;
  bool clippable = true;
  for (int k = 0; k < 3; ++k) {
    const T* v = pos + 4 * int64_t(fv[k]);
    const bool near_ok = v[3] + v[2] >= T(0), far_ok = v[3] - v[2] >= T(0);
    ok[k] = near_ok && far_ok && v[3] > T(0);
    viol[k] = (near_ok ? 0 : 1) | (far_ok ? 0 : 2);
    if (!ok[k]) ++nout, clippable = clippable && (viol[k] == 1 || viol[k] == 2);
  }
  clippable = clippable && nout > 0;
  auto project = [&](int32_t in, int32_t out, T& X, T& Y) {
    T c[4], t, s;
    endpoint(pos, in, out, c, t, s);
    if (!(c[3] > T(0))) return false;
    X = (c[0] / c[3] + T(1)) * T(0.5) * T(W) - T(0.5);
    Y = (T(1) - c[1] / c[3]) * T(0.5) * T(H) - T(0.5);
    return std::isfinite(double(X)) && std::isfinite(double(Y));
  };
  int n = 0;
  int32_t cut_in[2][2], cut_out[2][2];  // per plane (near, far): its cut points
  int ncut[2] = {0, 0};
  for (int k = 0; k < 3; ++k) {
    const int a = (k + 1) % 3, b = (k + 2) % 3;
    Segment<T>& sg = seg[n];
    if (ok[a] && ok[b]) {
      sg.a_in = fv[a], sg.a_out = -1, sg.b_in = fv[b], sg.b_out = -1;
    } else if (clippable && viol[a] != viol[b]) {
      // Keep the a → b orientation; an outside end becomes its cut point seen from the other end.
      sg.a_in = ok[a] ? fv[a] : fv[b], sg.a_out = ok[a] ? -1 : fv[a];
      sg.b_in = ok[b] ? fv[b] : fv[a], sg.b_out = ok[b] ? -1 : fv[b];
      for (int e = 0; e < 2; ++e) {
        const int v = e == 0 ? a : b;
        if (ok[v]) continue;
        const int plane = viol[v] == 1 ? 0 : 1;
        if (ncut[plane] < 2) {
          cut_in[plane][ncut[plane]] = fv[e == 0 ? b : a], cut_out[plane][ncut[plane]] = fv[v];
        }
        ++ncut[plane];
      }
    } else {
      continue;
    }
    sg.edge = k;
    if (project(sg.a_in, sg.a_out, sg.Xa, sg.Ya) && project(sg.b_in, sg.b_out, sg.Xb, sg.Yb)) ++n;
  }
  for (int plane = 0; plane < 2; ++plane) {
    if (ncut[plane] != 2) continue;
    Segment<T>& sg = seg[n];
    sg.a_in = cut_in[plane][0], sg.a_out = cut_out[plane][0], sg.b_in = cut_in[plane][1], sg.b_out = cut_out[plane][1];
    sg.edge = -1;
    if (project(sg.a_in, sg.a_out, sg.Xa, sg.Ya) && project(sg.b_in, sg.b_out, sg.Xb, sg.Yb)) ++n;
  }
  return n;
}

}  // namespace

template <class T>
void AntialiaserT<T>::touching_pairs(int32_t p, int W, int32_t out[4]) const {
  const int x = p % W;
  out[0] = pair_at_[2 * size_t(p)];
  out[1] = pair_at_[2 * size_t(p) + 1];
  out[2] = x > 0 ? pair_at_[2 * size_t(p - 1)] : -1;
  out[3] = p >= W ? pair_at_[2 * size_t(p - W) + 1] : -1;
}

template <class T>
bool AntialiaserT<T>::find_pair(const T* pos, const std::vector<int32_t>& faces, const RasterOutputT<T>& r,
                                int32_t p, int32_t q, bool horizontal, Pair& out) const {
  const int32_t fp = r.face[static_cast<size_t>(p)], fq = r.face[static_cast<size_t>(q)];
  if (fp == fq) return false;
  const int64_t plane = int64_t(r.width) * r.height;
  const T* zw = r.rast.data() + 2 * plane;
  bool p_is_t;
  if (fp < 0) p_is_t = false;
  else if (fq < 0) p_is_t = true;
  else p_is_t = zw[p] < zw[q] || (zw[p] == zw[q] && fp < fq);
  const int32_t face = p_is_t ? fp : fq;
  const int32_t tp = p_is_t ? p : q, op = p_is_t ? q : p;
  const T xt = T(tp % r.width), yt = T(tp / r.width);
  const T dir = horizontal ? T(op % r.width) - xt : T(op / r.width) - yt;  // ±1

  // Walk from T's pixel towards the other pixel: leave T through the edge the segment crosses first;
  // if that edge is interior (the neighbour continues the surface, e.g. a sliver face seen edge-on at
  // a sphere's rim, narrower than a pixel), continue in the neighbour, up to kMaxWalk faces, until a
  // silhouette edge is crossed. Without the walk, outlines of finely tessellated curved surfaces,
  // whose rim faces rarely cover a pixel centre, would mostly get no blend.
  // Fast exit for the common case inside a surface: the two pixels show edge-adjacent faces whose
  // shared edge is not folded, so no silhouette lies between them.
  if (fp >= 0 && fq >= 0) {
    for (int k = 0; k < 3; ++k) {
      const int32_t nb = topology_.neighbor_corner(fp, k);
      if (nb < 0 || nb / 3 != fq) continue;
      const int32_t* fv = faces.data() + 3 * int64_t(fp);
      const T* pa = pos + 4 * int64_t(fv[(k + 1) % 3]);
      const T* pb = pos + 4 * int64_t(fv[(k + 2) % 3]);
      if (side(pa, pb, pos + 4 * int64_t(fv[k])) * side(pa, pb, pos + 4 * int64_t(faces[static_cast<size_t>(nb)])) < 0)
        return false;
    }
  }
  constexpr int kMaxWalk = 4;
  int32_t cur = face;
  int k_in = -1;
  T t_prev = T(0);
  for (int step = 0; step < kMaxWalk; ++step) {
    const int32_t* fv = faces.data() + 3 * int64_t(cur);
    Segment<T> seg[kMaxSegments];
    const int nseg = face_segments(pos, fv, r.width, r.height, seg);
    int best = -1;
    T best_t = T(2), best_s = T(0);
    for (int i = 0; i < nseg; ++i) {
      const Segment<T>& sg = seg[i];
      if (sg.edge >= 0 && sg.edge == k_in) continue;
      const T dx = sg.Xb - sg.Xa, dy = sg.Yb - sg.Ya;
      T sp, t;
      if (horizontal) {
        if (dy == T(0)) continue;
        sp = (yt - sg.Ya) / dy;
        t = (sg.Xa + sp * dx - xt) * dir;
      } else {
        if (dx == T(0)) continue;
        sp = (xt - sg.Xa) / dx;
        t = (sg.Ya + sp * dy - yt) * dir;
      }
      if (!(sp >= T(0) && sp <= T(1) && t >= t_prev && t <= T(1))) continue;
      if (t < best_t) best = i, best_t = t, best_s = sp;
    }
    if (best < 0) return false;
    const Segment<T>& sg = seg[best];
    // Silhouette: a cut line, no neighbour across the edge, or the neighbour's far vertex on the same
    // side of the plane through the eye and the edge (det over homogeneous x, y, w: valid for any w).
    const int k = sg.edge;
    const int32_t nb = k >= 0 ? topology_.neighbor_corner(cur, k) : -1;
    bool silhouette = nb < 0;
    if (!silhouette) {
      const T* pa = pos + 4 * int64_t(fv[(k + 1) % 3]);
      const T* pb = pos + 4 * int64_t(fv[(k + 2) % 3]);
      const double st = side(pa, pb, pos + 4 * int64_t(fv[k]));
      const double sn = side(pa, pb, pos + 4 * int64_t(faces[static_cast<size_t>(nb)]));
      silhouette = st * sn > 0;
    }
    if (silhouette) {
      // Horizontal pairs take edges steeper than 45°, vertical pairs the rest: each edge once.
      const T dx = std::abs(sg.Xb - sg.Xa), dy = std::abs(sg.Yb - sg.Ya);
      if (horizontal ? !(dy > dx) : !(dx >= dy)) return false;
      out = Pair{tp, op, sg.a_in, sg.b_in, sg.a_out, sg.b_out, T(0.5) - best_t, best_s, horizontal};
      return true;
    }
    cur = nb / 3;
    k_in = nb % 3;
    t_prev = best_t;
  }
  return false;
}

template <class T>
void AntialiaserT<T>::forward(const TensorT<T>& color, const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
                              const RasterOutputT<T>& r, TensorT<T>& out) {
  check_color(color, r, "antialias");
  check_clip_positions(clip_pos, "antialias: clip_pos");
  if (static_cast<int64_t>(faces.size() / 3) != r.num_faces)
    throw std::invalid_argument("antialias: faces differ from the rasterized ones");
  topology_.update(faces, clip_pos.dim(0), "antialias: faces");
  const int W = r.width, H = r.height;
  const int64_t C = color.dim(0), plane = int64_t(W) * H;
  if (pairs_capacity_ < 2 * plane) {
    // Default-initialised (Pair is trivial): only the slots actually written are ever touched.
    pairs_.reset(new Pair[static_cast<size_t>(2 * plane)]);
    pairs_capacity_ = 2 * plane;
  }
  row_count_.resize(static_cast<size_t>(H));
  pair_at_.resize(static_cast<size_t>(2 * plane));
  const T* pos = clip_pos.data();

  // Pass 1: find the blended pairs; each pixel owns its right and down pair.
#pragma omp parallel for schedule(dynamic, 8) if (plane > 16384)
  for (int y = 0; y < H; ++y) {
    int32_t n = 0;
    const int64_t base = 2 * int64_t(W) * y;
    for (int x = 0; x < W; ++x) {
      const int32_t p = y * W + x;
      for (int d = 0; d < 2; ++d) {
        int32_t& slot = pair_at_[2 * static_cast<size_t>(p) + d];
        slot = -1;
        if ((d == 0 && x + 1 >= W) || (d == 1 && y + 1 >= H)) continue;
        const int32_t q = d == 0 ? p + 1 : p + W;
        if (r.face[static_cast<size_t>(p)] != r.face[static_cast<size_t>(q)] && find_pair(pos, faces, r, p, q, d == 0, pairs_[static_cast<size_t>(base + n)])) slot = static_cast<int32_t>(base + n++);
      }
    }
    row_count_[static_cast<size_t>(y)] = n;
  }

  // Pass 2: the output is the input except at the pixels a pair modifies, and those gather the blends
  // of the (≤ 4) pairs touching them in a fixed order. Pairs lie on the outline only, so they are
  // visited serially; a pixel modified by several pairs is written once, from the first of them.
  out.resize(color.shape());
  const T* in = color.data();
  T* o = out.data();
#pragma omp parallel for schedule(static) if (plane > 16384)
  for (int y = 0; y < H; ++y)
    for (int64_t c = 0; c < C; ++c)
      std::copy(in + c * plane + int64_t(y) * W, in + c * plane + int64_t(y + 1) * W, o + c * plane + int64_t(y) * W);
  for (int y = 0; y < H; ++y) {
    const int64_t base = 2 * int64_t(W) * y;
    for (int32_t n = 0; n < row_count_[static_cast<size_t>(y)]; ++n) {
      const int32_t idx = static_cast<int32_t>(base + n);
      const Pair& pr0 = pairs_[static_cast<size_t>(idx)];
      const int32_t p = pr0.alpha > T(0) ? pr0.t_pixel : pr0.o_pixel;
      int32_t touching[4];
      touching_pairs(p, W, touching);
      int32_t first = -1;
      for (int32_t t : touching)
        if (t >= 0 && first < 0 && modified_pixel(pairs_[static_cast<size_t>(t)]) == p) first = t;
      if (first != idx) continue;
      for (int32_t t : touching) {
        if (t < 0) continue;
        const Pair& pr = pairs_[static_cast<size_t>(t)];
        const bool mod_t = pr.alpha > T(0);
        if ((mod_t ? pr.t_pixel : pr.o_pixel) != p) continue;
        const int32_t src = mod_t ? pr.o_pixel : pr.t_pixel;
        const T wgt = std::abs(pr.alpha);
        for (int64_t c = 0; c < C; ++c) o[c * plane + p] += wgt * (in[c * plane + src] - in[c * plane + p]);
      }
    }
  }
}

template <class T>
void AntialiaserT<T>::backward(const TensorT<T>& color, const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
                               const RasterOutputT<T>& r, const TensorT<T>& dL_dout, TensorT<T>* dL_dcolor,
                               TensorT<T>* dL_dpos) {
  check_color(color, r, "antialias backward");
  check_clip_positions(clip_pos, "antialias backward: clip_pos");
  if (dL_dout.shape() != color.shape())
    throw std::invalid_argument("antialias backward: dL_dout must be " + color.shape().str() + ", got " +
                                dL_dout.shape().str());
  (void)faces;
  const int W = r.width, H = r.height;
  const int64_t C = color.dim(0), plane = int64_t(W) * H;
  const T* in = color.data();
  const T* g = dL_dout.data();

  if (dL_dcolor) {
    // Every pixel passes its gradient through; the pixels a pair touches then add the blends' terms
    // (each once, from the first pair touching it, serially: pairs are only the outline).
    prepare(dL_dcolor, color.shape());
    T* gi = dL_dcolor->data();
#pragma omp parallel for schedule(static) if (plane > 16384)
    for (int y = 0; y < H; ++y)
      for (int64_t c = 0; c < C; ++c) {
        T* gr = gi + c * plane + int64_t(y) * W;
        const T* gg = g + c * plane + int64_t(y) * W;
        for (int x = 0; x < W; ++x) gr[x] += gg[x];
      }
    for (int y = 0; y < H; ++y) {
      const int64_t base = 2 * int64_t(W) * y;
      for (int32_t n = 0; n < row_count_[static_cast<size_t>(y)]; ++n) {
        const int32_t idx = static_cast<int32_t>(base + n);
        const Pair& pr0 = pairs_[static_cast<size_t>(idx)];
        for (const int32_t p : {pr0.t_pixel, pr0.o_pixel}) {
          int32_t touching[4];
          touching_pairs(p, W, touching);
          int32_t first = -1;
          for (int32_t t : touching)
            if (t >= 0 && first < 0) first = t;
          if (first != idx) continue;
          T keep = T(1);
          for (int32_t t : touching) {
            if (t < 0) continue;
            const Pair& pr = pairs_[static_cast<size_t>(t)];
            const int32_t mod = modified_pixel(pr);
            const T wgt = std::abs(pr.alpha);
            if (mod == p) {
              keep -= wgt;
            } else {
              for (int64_t c = 0; c < C; ++c) gi[c * plane + p] += wgt * g[c * plane + mod];
            }
          }
          if (keep != T(1))
            for (int64_t c = 0; c < C; ++c) gi[c * plane + p] -= (T(1) - keep) * g[c * plane + p];
        }
      }
    }
  }

  if (dL_dpos) {
    prepare(dL_dpos, clip_pos.shape());
    // Pair gradients stored compactly: row y's pairs start at row_offset_[y].
    row_offset_.resize(static_cast<size_t>(H) + 1);
    row_offset_[0] = 0;
    for (int y = 0; y < H; ++y) row_offset_[static_cast<size_t>(y) + 1] = row_offset_[static_cast<size_t>(y)] + row_count_[static_cast<size_t>(y)];
    pair_grad_.resize(static_cast<size_t>(kPairGrad * row_offset_[static_cast<size_t>(H)]));
    const T* pos = clip_pos.data();
#pragma omp parallel for schedule(dynamic, 8) if (plane > 16384)
    for (int y = 0; y < H; ++y) {
      const int64_t base = 2 * int64_t(W) * y;
      for (int32_t n = 0; n < row_count_[static_cast<size_t>(y)]; ++n) {
        const Pair& pr = pairs_[static_cast<size_t>(base + n)];
        T* pg = pair_grad_.data() + kPairGrad * (row_offset_[static_cast<size_t>(y)] + n);
        // dL/dα from the blend of the modified pixel, then t = ½ − α.
        T dL_dalpha = 0;
        if (pr.alpha > T(0)) {
          for (int64_t c = 0; c < C; ++c)
            dL_dalpha += g[c * plane + pr.t_pixel] * (in[c * plane + pr.o_pixel] - in[c * plane + pr.t_pixel]);
        } else {
          for (int64_t c = 0; c < C; ++c)
            dL_dalpha -= g[c * plane + pr.o_pixel] * (in[c * plane + pr.t_pixel] - in[c * plane + pr.o_pixel]);
        }
        const T dL_dt = -dL_dalpha;
        T ca[4], cb[4], ta, tb, sa, sb;
        endpoint(pos, pr.va, pr.va_out, ca, ta, sa);
        endpoint(pos, pr.vb, pr.vb_out, cb, tb, sb);
        const T* va = ca;
        const T* vb = cb;
        const T Xa = (va[0] / va[3] + T(1)) * T(0.5) * T(W) - T(0.5), Ya = (T(1) - va[1] / va[3]) * T(0.5) * T(H) - T(0.5);
        const T Xb = (vb[0] / vb[3] + T(1)) * T(0.5) * T(W) - T(0.5), Yb = (T(1) - vb[1] / vb[3]) * T(0.5) * T(H) - T(0.5);
        const T s = pr.s;
        T dXa, dYa, dXb, dYb;
        if (pr.horizontal) {
          // t = (X_a + s (X_b − X_a) − x_T)·dir with s = (y_T − Y_a)/(Y_b − Y_a).
          const T dir = T(pr.o_pixel % W) - T(pr.t_pixel % W);
          const T gc = dL_dt * dir, slope = (Xb - Xa) / (Yb - Ya);
          dXa = gc * (T(1) - s), dXb = gc * s, dYa = gc * slope * (s - T(1)), dYb = -gc * slope * s;
        } else {
          const T dir = T(pr.o_pixel / W) - T(pr.t_pixel / W);
          const T gc = dL_dt * dir, slope = (Yb - Ya) / (Xb - Xa);
          dYa = gc * (T(1) - s), dYb = gc * s, dXa = gc * slope * (s - T(1)), dXb = -gc * slope * s;
        }
        // Through X = (x/w + 1)·W/2 − ½ and Y = (1 − y/w)·H/2 − ½ to the endpoints (x, y, z, w), then
        // from a cut endpoint to its edge's vertices: c = p_in + t (p_out − p_in), t = d_in/(d_in − d_out).
        const T hw = T(0.5) * T(W), hh = T(0.5) * T(H);
        const T ge[2][4] = {{dXa * hw / va[3], -dYa * hh / va[3], T(0), (-dXa * hw * va[0] + dYa * hh * va[1]) / (va[3] * va[3])},
                            {dXb * hw / vb[3], -dYb * hh / vb[3], T(0), (-dXb * hw * vb[0] + dYb * hh * vb[1]) / (vb[3] * vb[3])}};
        const int32_t ins[2] = {pr.va, pr.vb}, outs[2] = {pr.va_out, pr.vb_out};
        const T ts[2] = {ta, tb}, ss[2] = {sa, sb};
        for (int e = 0; e < 2; ++e) {
          T* gi = pg + 8 * e;
          T* go = gi + 4;
          if (outs[e] < 0) {
            for (int k = 0; k < 4; ++k) gi[k] = ge[e][k], go[k] = T(0);
            continue;
          }
          const T* pi = pos + 4 * int64_t(ins[e]);
          const T* po = pos + 4 * int64_t(outs[e]);
          T phi = 0;
          for (int k = 0; k < 4; ++k) phi += ge[e][k] * (po[k] - pi[k]);
          const T di = ss[e] * pi[2] + pi[3], dout = ss[e] * po[2] + po[3], inv = T(1) / (di - dout);
          const T gdi = -phi * dout * inv * inv, gdo = phi * di * inv * inv;
          for (int k = 0; k < 4; ++k) gi[k] = (T(1) - ts[e]) * ge[e][k], go[k] = ts[e] * ge[e][k];
          gi[2] += ss[e] * gdi, gi[3] += gdi;
          go[2] += ss[e] * gdo, go[3] += gdo;
        }
      }
    }
    // Fixed-order scatter of the (few) pairs into the vertices.
    T* gp = dL_dpos->data();
    for (int y = 0; y < H; ++y) {
      const int64_t base = 2 * int64_t(W) * y;
      for (int32_t n = 0; n < row_count_[static_cast<size_t>(y)]; ++n) {
        const Pair& pr = pairs_[static_cast<size_t>(base + n)];
        const T* pg = pair_grad_.data() + kPairGrad * (row_offset_[static_cast<size_t>(y)] + n);
        bool finite = true;
        for (int k = 0; k < kPairGrad; ++k) finite = finite && std::isfinite(pg[k]);
        if (!finite) continue;
        const int32_t v[4] = {pr.va, pr.va_out, pr.vb, pr.vb_out};
        for (int e = 0; e < 4; ++e) {
          if (v[e] < 0) continue;
          T* gv = gp + 4 * int64_t(v[e]);
          for (int k = 0; k < 4; ++k) gv[k] += pg[4 * e + k];
        }
      }
    }
  }
}

template <class T>
int64_t AntialiaserT<T>::num_pairs() const {
  int64_t n = 0;
  for (int32_t c : row_count_) n += c;
  return n;
}

template class AntialiaserT<float>;
template class AntialiaserT<double>;

}  // namespace invgfx
