// Implementation of core/ssim_loss.h.
#include "core/ssim_loss.h"

#include <algorithm>
#include <omp.h>
#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace {

constexpr int64_t kParallelMin = int64_t{1} << 12;  // elements; below this one thread is faster

// Work is split by planes (image × channel) when there are enough of them to balance the threads:
// each thread then runs every pass of its planes with no barrier in between. Otherwise (a few large
// planes) each pass is split by rows. Both give identical results: every output is computed the
// same way, and the loss is summed from per-row partials in a fixed order.
// Small images (below kParallelMin elements) run on the calling thread either way.
inline bool split_by_planes(int64_t planes, int64_t numel) {
  return numel >= kParallelMin && planes >= 2 * static_cast<int64_t>(omp_get_max_threads());
}

// Vertical pass of the separable window over k maps of `planes` planes of H×W:
// dst(p, h, x) = row_scale[h] · Σ_{|i−h| ≤ r, 0 ≤ i < H} g[|i − h|] src(p, i, x) (row_scale may be null).
template <class T>
void vertical_pass(const T* const* src, T* const* dst, int k, int64_t planes, int64_t H, int64_t W,
                   const T* taps, int r, const T* row_scale, bool parallel) {
  const int64_t rows = planes * H;
#pragma omp parallel for schedule(static) if (parallel && rows * W >= kParallelMin)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t p = row / H, h = row % H;
    const int64_t lo = std::max<int64_t>(0, h - r), hi = std::min<int64_t>(H - 1, h + r);
    for (int q = 0; q < k; ++q) {
      T* out = dst[q] + row * W;
      std::fill(out, out + W, T(0));
      for (int64_t i = lo; i <= hi; ++i) {
        const T g = taps[std::abs(i - h)];
        const T* in = src[q] + (p * H + i) * W;
#pragma omp simd
        for (int64_t x = 0; x < W; ++x) out[x] += g * in[x];
      }
      if (row_scale) {
        const T s = row_scale[h];
        for (int64_t x = 0; x < W; ++x) out[x] *= s;
      }
    }
  }
}

// Horizontal pass over k maps of `rows` rows of W:
// dst(row, x) = col_scale[x] · Σ_{|j| ≤ r, 0 ≤ x+j < W} g[|j|] src(row, x + j) (col_scale may be null).
// Taps outermost, so the inner loop is a contiguous axpy the compiler vectorises; the clamped x range
// of each tap is the window truncation at the borders.
template <class T>
void horizontal_pass(const T* const* src, T* const* dst, int k, int64_t rows, int64_t W, const T* taps, int r,
                     const T* col_scale, bool parallel) {
#pragma omp parallel for schedule(static) if (parallel && rows * W >= kParallelMin)
  for (int64_t row = 0; row < rows; ++row) {
    for (int q = 0; q < k; ++q) {
      const T* in = src[q] + row * W;
      T* out = dst[q] + row * W;
      std::fill(out, out + W, T(0));
      for (int64_t j = -r; j <= r; ++j) {
        const T g = taps[std::abs(j)];
        const int64_t x0 = std::max<int64_t>(0, -j), x1 = std::min<int64_t>(W, W - j);
#pragma omp simd
        for (int64_t x = x0; x < x1; ++x) out[x] += g * in[x + j];
      }
      if (col_scale)
        for (int64_t x = 0; x < W; ++x) out[x] *= col_scale[x];
    }
  }
}

}  // namespace

void SsimSettings::check() const {
  auto fail = [](const std::string& what, double v) {
    throw std::invalid_argument("SsimSettings: " + what + ", got " + std::to_string(v));
  };
  if (radius < 1) fail("radius must be >= 1", radius);
  if (!(sigma > 0.0) || !std::isfinite(sigma)) fail("sigma must be finite and > 0", sigma);
  if (!(k1 > 0.0) || !std::isfinite(k1)) fail("k1 must be finite and > 0", k1);
  if (!(k2 > 0.0) || !std::isfinite(k2)) fail("k2 must be finite and > 0", k2);
  if (!(data_range > 0.0) || !std::isfinite(data_range)) fail("data_range must be finite and > 0", data_range);
}

template <class T>
SsimLossT<T>::SsimLossT(const SsimSettings& settings) : settings_(settings) {
  settings_.check();
  c1_ = static_cast<T>((settings_.k1 * settings_.data_range) * (settings_.k1 * settings_.data_range));
  c2_ = static_cast<T>((settings_.k2 * settings_.data_range) * (settings_.k2 * settings_.data_range));
  const int r = settings_.radius;
  std::vector<double> g(static_cast<size_t>(r) + 1);
  double total = 0.0;
  for (int k = 0; k <= r; ++k) {
    g[static_cast<size_t>(k)] = std::exp(-0.5 * k * k / (settings_.sigma * settings_.sigma));
    total += (k == 0 ? 1.0 : 2.0) * g[static_cast<size_t>(k)];
  }
  taps_.resize(g.size());
  for (size_t k = 0; k < g.size(); ++k) taps_[k] = static_cast<T>(g[k] / total);
}

template <class T>
void SsimLossT<T>::prepare(const Dims4& d) {
  const int r = settings_.radius;
  auto normalisers = [&](std::vector<T>& inv, int64_t len) {
    inv.resize(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; ++i) {
      double z = 0.0;
      for (int64_t j = std::max<int64_t>(0, i - r); j <= std::min<int64_t>(len - 1, i + r); ++j)
        z += static_cast<double>(taps_[static_cast<size_t>(std::abs(j - i))]);
      inv[static_cast<size_t>(i)] = static_cast<T>(1.0 / z);
    }
  };
  normalisers(inv_zr_, d.h);
  normalisers(inv_zc_, d.w);
}

template <class T>
T SsimLossT<T>::forward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting) {
  LossBroadcast mb, wb;
  check_loss_inputs<T>(*this, pred, target, weighting, mb, wb);
  const Dims4 d = as4d(pred.shape());
  prepare(d);
  for (auto& t : stat_) t.resize(pred.shape());
  for (auto& t : tmp_) t.resize(pred.shape());
  ssim_.resize(pred.shape());
  const int r = settings_.radius;
  const int64_t planes = d.n * d.c, rows = planes * d.h, W = d.w;
  const T* taps = taps_.data();
  const T* izc = inv_zc_.data();

  const T* m = mb.present ? weighting.mask->data() : nullptr;
  const T* wt = wb.present ? weighting.weight->data() : nullptr;
  const T c1 = c1_, c2 = c2_;
  partial_.resize(static_cast<size_t>(rows));
  double* part = partial_.data();
  const int64_t plane_size = d.h * W;

  // Planes [p0, p1): second moments x², y², xy into stat_[2..4] (overwritten by the vertical pass),
  // horizontal pass of x, y, x², y², xy normalised per column, vertical pass normalised per row,
  // then the SSIM map and the masked, weighted sum of 1 − SSIM per row.
  auto run_planes = [&](int64_t p0, int64_t p1, bool parallel) {
    const int64_t e0 = p0 * plane_size, e1 = p1 * plane_size;
    const T* X = pred.data() + e0;
    const T* Y = target.data() + e0;
    T* xx = stat_[2].data() + e0;
    T* yy = stat_[3].data() + e0;
    T* xy = stat_[4].data() + e0;
#pragma omp parallel for simd schedule(static) if (parallel && e1 - e0 >= kParallelMin)
    for (int64_t e = 0; e < e1 - e0; ++e) {
      xx[e] = X[e] * X[e];
      yy[e] = Y[e] * Y[e];
      xy[e] = X[e] * Y[e];
    }
    const T* hsrc[5] = {X, Y, xx, yy, xy};
    T* hdst[5] = {tmp_[0].data() + e0, tmp_[1].data() + e0, tmp_[2].data() + e0, tmp_[3].data() + e0,
                  tmp_[4].data() + e0};
    horizontal_pass(hsrc, hdst, 5, (p1 - p0) * d.h, W, taps, r, izc, parallel);
    const T* vsrc[5] = {hdst[0], hdst[1], hdst[2], hdst[3], hdst[4]};
    T* vdst[5] = {stat_[0].data() + e0, stat_[1].data() + e0, stat_[2].data() + e0, stat_[3].data() + e0,
                  stat_[4].data() + e0};
    vertical_pass(vsrc, vdst, 5, p1 - p0, d.h, W, taps, r, inv_zr_.data(), parallel);

    const T* mx = stat_[0].data();
    const T* my = stat_[1].data();
    const T* sxx = stat_[2].data();
    const T* syy = stat_[3].data();
    const T* sxy = stat_[4].data();
    T* ssim = ssim_.data();
    const int64_t row0 = p0 * d.h, row1 = p1 * d.h;
#pragma omp parallel for schedule(static) if (parallel && (row1 - row0) * W >= kParallelMin)
    for (int64_t row = row0; row < row1; ++row) {
      const int64_t n = row / (d.c * d.h), c = (row / d.h) % d.c, h = row % d.h;
      const T* mr = m ? m + n * mb.n_stride + c * mb.c_stride + h * W : nullptr;
      const T* wr = wt ? wt + n * wb.n_stride + c * wb.c_stride + h * W : nullptr;
      double acc = 0.0;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t e = row * W + x;
        const T ux = mx[e], uy = my[e];
        const T A = T(2) * ux * uy + c1;
        const T B = T(2) * (sxy[e] - ux * uy) + c2;
        const T C = ux * ux + uy * uy + c1;
        const T D = (sxx[e] - ux * ux) + (syy[e] - uy * uy) + c2;
        const T s = (A * B) / (C * D);
        ssim[e] = s;
        acc += static_cast<double>((mr ? mr[x] : T(1)) * (wr ? wr[x] : T(1)) * (T(1) - s));
      }
      part[row] = acc;
    }
  };
  if (split_by_planes(planes, pred.numel())) {
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < planes; ++p) run_planes(p, p + 1, false);
  } else {
    run_planes(0, planes, true);
  }

  const double denom = loss_denominator(pred, weighting, mb);
  value_ = T(0);
  if (!(denom > 0.0)) return value_;
  double sum = 0.0;
  for (int64_t row = 0; row < rows; ++row) sum += part[row];
  value_ = static_cast<T>(static_cast<double>(weighting.scale) * sum / denom);
  return value_;
}

template <class T>
void SsimLossT<T>::backward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting,
                            T dL_dloss, TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget, TensorT<T>* dL_dmask) {
  if (!dL_dpred && !dL_dtarget && !dL_dmask) return;
  LossBroadcast mb, wb;
  check_loss_inputs<T>(*this, pred, target, weighting, mb, wb);
  if (ssim_.shape() != pred.shape())
    throw std::logic_error(name() + ": backward called without a forward on inputs of shape " + pred.shape().str());
  if (dL_dmask) {
    const T* ssim = ssim_.data();
    add_mask_gradient<T>(*this, pred.shape(), weighting, wb, loss_denominator(pred, weighting, mb), value_, dL_dloss,
                      [=](int64_t e) { return T(1) - ssim[e]; }, *dL_dmask);
  }
  if (!dL_dpred && !dL_dtarget) return;
  for (TensorT<T>* g : {dL_dpred, dL_dtarget})
    if (g && g->shape() != pred.shape())
      throw std::invalid_argument(name() + ": gradient buffer has shape " + g->shape().str() + ", expected " +
                                  pred.shape().str());
  const double denom = loss_denominator(pred, weighting, mb);
  if (!(denom > 0.0)) return;

  const Dims4 d = as4d(pred.shape());
  const int r = settings_.radius;
  const int64_t planes = d.n * d.c, W = d.w;
  for (auto& t : coef_) t.resize(pred.shape());

  // Per-pixel coefficient maps, pre-divided by both window normalisers (the transpose of the
  // renormalised filter), with g = dL_dloss · ∂L/∂SSIM = −dL_dloss · scale · m w / Σm.
  const T coef = static_cast<T>(-static_cast<double>(dL_dloss * weighting.scale) / denom);
  const T* mx = stat_[0].data();
  const T* my = stat_[1].data();
  const T* sxx = stat_[2].data();
  const T* syy = stat_[3].data();
  const T* sxy = stat_[4].data();
  const T* m = mb.present ? weighting.mask->data() : nullptr;
  const T* wt = wb.present ? weighting.weight->data() : nullptr;
  const T* izr = inv_zr_.data();
  const T* izc = inv_zc_.data();
  const T c1 = c1_, c2 = c2_;
  const T* X = pred.data();
  const T* Y = target.data();
  T* gx = dL_dpred ? dL_dpred->data() : nullptr;
  T* gy = dL_dtarget ? dL_dtarget->data() : nullptr;
  const int64_t plane_size = d.h * W;

  // Planes [p0, p1): coefficient maps a_x, a_y, b, c; the transposed window on them (vertical into
  // tmp_, horizontal back into coef_); then dL/dx = Gᵀa_x + 2x·Gᵀb + y·Gᵀc and likewise for y.
  auto run_planes = [&](int64_t p0, int64_t p1, bool parallel) {
    T* ax = coef_[0].data();
    T* ay = coef_[1].data();
    T* bb = coef_[2].data();
    T* cc = coef_[3].data();
    const int64_t row0 = p0 * d.h, row1 = p1 * d.h;
#pragma omp parallel for schedule(static) if (parallel && (row1 - row0) * W >= kParallelMin)
    for (int64_t row = row0; row < row1; ++row) {
      const int64_t n = row / (d.c * d.h), c = (row / d.h) % d.c, h = row % d.h;
      const T* mr = m ? m + n * mb.n_stride + c * mb.c_stride + h * W : nullptr;
      const T* wr = wt ? wt + n * wb.n_stride + c * wb.c_stride + h * W : nullptr;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t e = row * W + x;
        const T g = coef * (mr ? mr[x] : T(1)) * (wr ? wr[x] : T(1)) * izr[h] * izc[x];
        const T ux = mx[e], uy = my[e];
        const T A = T(2) * ux * uy + c1;
        const T B = T(2) * (sxy[e] - ux * uy) + c2;
        const T C = ux * ux + uy * uy + c1;
        const T D = (sxx[e] - ux * ux) + (syy[e] - uy * uy) + c2;
        const T inv_cd = T(1) / (C * D);
        const T s = A * B * inv_cd;
        const T k = s * (T(1) / C - T(1) / D);
        ax[e] = g * (T(2) * uy * (B - A) * inv_cd - T(2) * ux * k);
        ay[e] = g * (T(2) * ux * (B - A) * inv_cd - T(2) * uy * k);
        bb[e] = g * (-s / D);
        cc[e] = g * (T(2) * A * inv_cd);
      }
    }

    const int64_t e0 = p0 * plane_size, e1 = p1 * plane_size;
    const T* src[4] = {ax + e0, ay + e0, bb + e0, cc + e0};
    T* mid[4] = {tmp_[0].data() + e0, tmp_[1].data() + e0, tmp_[2].data() + e0, tmp_[3].data() + e0};
    vertical_pass(src, mid, 4, p1 - p0, d.h, W, taps_.data(), r, static_cast<const T*>(nullptr), parallel);
    const T* mid_c[4] = {mid[0], mid[1], mid[2], mid[3]};
    T* out[4] = {ax + e0, ay + e0, bb + e0, cc + e0};
    horizontal_pass(mid_c, out, 4, row1 - row0, W, taps_.data(), r, static_cast<const T*>(nullptr), parallel);

#pragma omp parallel for simd schedule(static) if (parallel && e1 - e0 >= kParallelMin)
    for (int64_t e = e0; e < e1; ++e) {
      if (gx) gx[e] += ax[e] + T(2) * X[e] * bb[e] + Y[e] * cc[e];
      if (gy) gy[e] += ay[e] + T(2) * Y[e] * bb[e] + X[e] * cc[e];
    }
  };
  if (split_by_planes(planes, pred.numel())) {
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < planes; ++p) run_planes(p, p + 1, false);
  } else {
    run_planes(0, planes, true);
  }
}

template class SsimLossT<float>;
template class SsimLossT<double>;

}  // namespace invgfx
