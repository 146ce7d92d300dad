#include "isp/area_resample.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace invgfx {
namespace {

// Overlaps of [a, b) with the unit cells [k, k + 1) of [0, n): first cell and lengths.
void cell_overlaps(double a, double b, int64_t n, int64_t& first, std::vector<double>& len) {
  len.clear();
  const double lo = std::max(a, 0.0), hi = std::min(b, static_cast<double>(n));
  if (!(hi > lo)) {
    first = 0;
    return;
  }
  first = static_cast<int64_t>(std::floor(lo));
  const int64_t last = std::min(n - 1, static_cast<int64_t>(std::ceil(hi)) - 1);
  for (int64_t k = first; k <= last; ++k) {
    const double l = std::min(hi, k + 1.0) - std::max(lo, static_cast<double>(k));
    len.push_back(l > 0 ? l : 0.0);
  }
}

}  // namespace

template <class T>
AreaResampleT<T>::AreaResampleT(const AreaResampleGeometry& g) : g_(g) {
  if (g.in_h < 1 || g.in_w < 1 || g.out_h < 1 || g.out_w < 1)
    throw std::invalid_argument("area_resample: sizes must be ≥ 1");
  if (g.flip < 0 || g.flip > 7) throw std::invalid_argument("area_resample: flip must be 0..7, got " + std::to_string(g.flip));
  if (!(g.scale_x > 0 && g.scale_y > 0) || !std::isfinite(g.scale_x) || !std::isfinite(g.scale_y) ||
      !std::isfinite(g.offset_x) || !std::isfinite(g.offset_y))
    throw std::invalid_argument("area_resample: scales must be positive and the map finite");
  const bool transpose = g.flip & 4;
  const int64_t ho = transpose ? g.in_w : g.in_h, wo = transpose ? g.in_h : g.in_w;  // oriented size
  const int64_t n_out = g.out_h * g.out_w;
  row_start_.assign(static_cast<size_t>(n_out + 1), 0);
  inside_.assign(static_cast<size_t>(n_out), 0);
  tap_index_.clear();
  tap_weight_.clear();
  std::vector<double> lx, ly;
  int64_t fx = 0, fy = 0;
  for (int64_t r = 0; r < g.out_h; ++r) {
    const double y0 = g.offset_y + g.scale_y * r, y1 = g.offset_y + g.scale_y * (r + 1);
    cell_overlaps(y0, y1, ho, fy, ly);
    for (int64_t c = 0; c < g.out_w; ++c) {
      const int64_t o = r * g.out_w + c;
      const double x0 = g.offset_x + g.scale_x * c, x1 = g.offset_x + g.scale_x * (c + 1);
      cell_overlaps(x0, x1, wo, fx, lx);
      double area = 0;
      for (double a : ly)
        for (double b : lx) area += a * b;
      constexpr double kEps = 1e-9;  // footprints computed from offsets that are exact in theory
      inside_[static_cast<size_t>(o)] = y0 > -kEps && x0 > -kEps && y1 < ho + kEps && x1 < wo + kEps;
      if (area > 0)
        for (size_t i = 0; i < ly.size(); ++i)
          for (size_t j = 0; j < lx.size(); ++j) {
            const double w = ly[i] * lx[j] / area;
            if (w <= 0) continue;
            // Oriented pixel (oi, oj) → input pixel, as orient_image reads it.
            const int64_t oi = fy + static_cast<int64_t>(i), oj = fx + static_cast<int64_t>(j);
            int64_t sr = transpose ? oj : oi, sc = transpose ? oi : oj;
            if (g.flip & 2) sr = g.in_h - 1 - sr;
            if (g.flip & 1) sc = g.in_w - 1 - sc;
            tap_index_.push_back(sr * g.in_w + sc);
            tap_weight_.push_back(static_cast<T>(w));
          }
      row_start_[static_cast<size_t>(o + 1)] = static_cast<int64_t>(tap_index_.size());
    }
  }
}

template <class T>
void AreaResampleT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = as4d(x.shape());
  if ((x.rank() != 3 && x.rank() != 4) || d.h != g_.in_h || d.w != g_.in_w)
    throw std::invalid_argument("area_resample: input must be C×" + std::to_string(g_.in_h) + "×" +
                                std::to_string(g_.in_w) + " (or N×C×…), got " + x.shape().str());
  if (x.rank() == 3) y.resize({d.c, g_.out_h, g_.out_w});
  else y.resize({d.n, d.c, g_.out_h, g_.out_w});
  const int64_t planes = d.n * d.c, in_plane = g_.in_h * g_.in_w, out_plane = g_.out_h * g_.out_w;
#pragma omp parallel for collapse(2) schedule(static) if (planes * out_plane >= (1 << 14))
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t o = 0; o < out_plane; ++o) {
      const T* src = x.data() + p * in_plane;
      T acc = T(0);
      for (int64_t k = row_start_[static_cast<size_t>(o)]; k < row_start_[static_cast<size_t>(o + 1)]; ++k)
        acc += tap_weight_[static_cast<size_t>(k)] * src[tap_index_[static_cast<size_t>(k)]];
      y[p * out_plane + o] = acc;
    }
}

template <class T>
void AreaResampleT<T>::backward(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  const Dims4 d = as4d(x.shape());
  const int64_t planes = d.n * d.c, in_plane = g_.in_h * g_.in_w, out_plane = g_.out_h * g_.out_w;
  // The adjoint scatters each output's gradient onto its taps; planes are independent, so parallel
  // over planes has no write conflicts and the sums keep their order at any thread count.
#pragma omp parallel for schedule(static) if (planes > 1 && planes * out_plane >= (1 << 14))
  for (int64_t p = 0; p < planes; ++p) {
    T* dst = dL_dx->data() + p * in_plane;
    const T* g = dL_dy.data() + p * out_plane;
    for (int64_t o = 0; o < out_plane; ++o)
      for (int64_t k = row_start_[static_cast<size_t>(o)]; k < row_start_[static_cast<size_t>(o + 1)]; ++k)
        dst[tap_index_[static_cast<size_t>(k)]] += tap_weight_[static_cast<size_t>(k)] * g[o];
  }
}

Tensor shrink_by(const Tensor& img, int m) {
  if (img.rank() != 3 || m < 1 || img.dim(1) < m || img.dim(2) < m)
    throw std::invalid_argument("shrink_by: need C×H×W with H, W ≥ m ≥ 1, got " + img.shape().str() + " and m = " +
                                std::to_string(m));
  const int64_t C = img.dim(0), H = img.dim(1), W = img.dim(2), h = H / m, w = W / m;
  Tensor out({C, h, w});
  const double inv = 1.0 / (static_cast<double>(m) * m);
#pragma omp parallel for collapse(2) schedule(static) if (C * h * w * m * m >= (1 << 16))
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double s = 0;
        for (int64_t dy = 0; dy < m; ++dy) {
          const float* row = img.data() + (c * H + y * m + dy) * W + x * m;
          for (int64_t dx = 0; dx < m; ++dx) s += row[dx];
        }
        out[(c * h + y) * w + x] = static_cast<float>(s * inv);
      }
  return out;
}

template class AreaResampleT<float>;
template class AreaResampleT<double>;

}  // namespace invgfx
