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

}  // namespace

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
    T X[3], Y[3];
    bool ok[3];
    for (int k = 0; k < 3; ++k) {
      const T* v = pos + 4 * int64_t(fv[k]);
      ok[k] = v[3] > T(0) && v[3] + v[2] >= T(0) && v[3] - v[2] >= T(0);
      X[k] = (v[0] / v[3] + T(1)) * T(0.5) * T(r.width) - T(0.5);
      Y[k] = (T(1) - v[1] / v[3]) * T(0.5) * T(r.height) - T(0.5);
    }
    int best = -1;
    T best_t = T(2), best_s = T(0);
    for (int k = 0; k < 3; ++k) {
      if (k == k_in) continue;
      const int a = (k + 1) % 3, b = (k + 2) % 3;
      if (!ok[a] || !ok[b]) continue;
      const T dx = X[b] - X[a], dy = Y[b] - Y[a];
      T s, t;
      if (horizontal) {
        if (dy == T(0)) continue;
        s = (yt - Y[a]) / dy;
        t = (X[a] + s * dx - xt) * dir;
      } else {
        if (dx == T(0)) continue;
        s = (xt - X[a]) / dx;
        t = (Y[a] + s * dy - yt) * dir;
      }
      if (!(s >= T(0) && s <= T(1) && t >= t_prev && t <= T(1))) continue;
      if (t < best_t) best = k, best_t = t, best_s = s;
    }
    if (best < 0) return false;
    const int a = (best + 1) % 3, b = (best + 2) % 3;
    // Silhouette: no neighbour across the edge, or the neighbour's far vertex lies on the same side.
    const int32_t nb = topology_.neighbor_corner(cur, best);
    bool silhouette = nb < 0;
    if (!silhouette) {
      const T* pa = pos + 4 * int64_t(fv[a]);
      const T* pb = pos + 4 * int64_t(fv[b]);
      const double st = side(pa, pb, pos + 4 * int64_t(fv[best]));
      const double sn = side(pa, pb, pos + 4 * int64_t(faces[static_cast<size_t>(nb)]));
      silhouette = st * sn > 0;
    }
    if (silhouette) {
      // Horizontal pairs take edges steeper than 45°, vertical pairs the rest: each edge once.
      const T dx = std::abs(X[b] - X[a]), dy = std::abs(Y[b] - Y[a]);
      if (horizontal ? !(dy > dx) : !(dx >= dy)) return false;
      out = Pair{tp, op, fv[a], fv[b], T(0.5) - best_t, best_s, horizontal};
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
        if (find_pair(pos, faces, r, p, q, d == 0, pairs_[static_cast<size_t>(base + n)])) slot = static_cast<int32_t>(base + n++);
      }
    }
    row_count_[static_cast<size_t>(y)] = n;
  }

  // Pass 2: every pixel gathers the blends of the pairs that modify it.
  out.resize(color.shape());
  const T* in = color.data();
  T* o = out.data();
#pragma omp parallel for schedule(static) if (plane > 16384)
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int32_t p = y * W + x;
      for (int64_t c = 0; c < C; ++c) o[c * plane + p] = in[c * plane + p];
      const int32_t touching[4] = {pair_at_[2 * size_t(p)], pair_at_[2 * size_t(p) + 1],
                                   x > 0 ? pair_at_[2 * size_t(p - 1)] : -1, y > 0 ? pair_at_[2 * size_t(p - W) + 1] : -1};
      for (int32_t idx : touching) {
        if (idx < 0) continue;
        const Pair& pr = pairs_[static_cast<size_t>(idx)];
        const bool mod_t = pr.alpha > T(0);
        if ((mod_t ? pr.t_pixel : pr.o_pixel) != p) continue;
        const int32_t src = mod_t ? pr.o_pixel : pr.t_pixel;
        const T wgt = std::abs(pr.alpha);
        for (int64_t c = 0; c < C; ++c) o[c * plane + p] += wgt * (in[c * plane + src] - in[c * plane + p]);
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
    prepare(dL_dcolor, color.shape());
    T* gi = dL_dcolor->data();
#pragma omp parallel for schedule(static) if (plane > 16384)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const int32_t p = y * W + x;
        const int32_t touching[4] = {pair_at_[2 * size_t(p)], pair_at_[2 * size_t(p) + 1],
                                     x > 0 ? pair_at_[2 * size_t(p - 1)] : -1, y > 0 ? pair_at_[2 * size_t(p - W) + 1] : -1};
        T keep = T(1);
        for (int64_t c = 0; c < C; ++c) gi[c * plane + p] += g[c * plane + p];
        for (int32_t idx : touching) {
          if (idx < 0) continue;
          const Pair& pr = pairs_[static_cast<size_t>(idx)];
          const bool mod_t = pr.alpha > T(0);
          const int32_t mod = mod_t ? pr.t_pixel : pr.o_pixel;
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

  if (dL_dpos) {
    prepare(dL_dpos, clip_pos.shape());
    // Pair gradients stored compactly: row y's pairs start at row_offset_[y].
    row_offset_.resize(static_cast<size_t>(H) + 1);
    row_offset_[0] = 0;
    for (int y = 0; y < H; ++y) row_offset_[static_cast<size_t>(y) + 1] = row_offset_[static_cast<size_t>(y)] + row_count_[static_cast<size_t>(y)];
    pair_grad_.resize(static_cast<size_t>(6 * row_offset_[static_cast<size_t>(H)]));
    const T* pos = clip_pos.data();
#pragma omp parallel for schedule(dynamic, 8) if (plane > 16384)
    for (int y = 0; y < H; ++y) {
      const int64_t base = 2 * int64_t(W) * y;
      for (int32_t n = 0; n < row_count_[static_cast<size_t>(y)]; ++n) {
        const Pair& pr = pairs_[static_cast<size_t>(base + n)];
        T* pg = pair_grad_.data() + 6 * (row_offset_[static_cast<size_t>(y)] + n);
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
        const T* va = pos + 4 * int64_t(pr.va);
        const T* vb = pos + 4 * int64_t(pr.vb);
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
        // Through X = (x/w + 1)·W/2 − ½ and Y = (1 − y/w)·H/2 − ½.
        const T hw = T(0.5) * T(W), hh = T(0.5) * T(H);
        pg[0] = dXa * hw / va[3], pg[1] = -dYa * hh / va[3], pg[2] = (-dXa * hw * va[0] + dYa * hh * va[1]) / (va[3] * va[3]);
        pg[3] = dXb * hw / vb[3], pg[4] = -dYb * hh / vb[3], pg[5] = (-dXb * hw * vb[0] + dYb * hh * vb[1]) / (vb[3] * vb[3]);
      }
    }
    // Fixed-order scatter of the (few) pairs into the vertices.
    T* gp = dL_dpos->data();
    for (int y = 0; y < H; ++y) {
      const int64_t base = 2 * int64_t(W) * y;
      for (int32_t n = 0; n < row_count_[static_cast<size_t>(y)]; ++n) {
        const Pair& pr = pairs_[static_cast<size_t>(base + n)];
        const T* pg = pair_grad_.data() + 6 * (row_offset_[static_cast<size_t>(y)] + n);
        if (!std::isfinite(pg[0] + pg[1] + pg[2] + pg[3] + pg[4] + pg[5])) continue;
        T* ga = gp + 4 * int64_t(pr.va);
        T* gb = gp + 4 * int64_t(pr.vb);
        ga[0] += pg[0], ga[1] += pg[1], ga[3] += pg[2];
        gb[0] += pg[3], gb[1] += pg[4], gb[3] += pg[5];
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
