#include "core/im2col.h"

#include <algorithm>
#include <stdexcept>

namespace invgfx {

ConvGeometry ConvGeometry::make(const std::string& who, int64_t channels, int64_t in_h, int64_t in_w,
                                int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                                int64_t pad_h, int64_t pad_w) {
  if (channels < 1 || kernel_h < 1 || kernel_w < 1 || stride_h < 1 || stride_w < 1 || pad_h < 0 ||
      pad_w < 0)
    throw std::invalid_argument(who + ": kernel and stride must be ≥ 1, padding ≥ 0 and channels ≥ 1");
  ConvGeometry g;
  g.channels = channels;
  g.in_h = in_h;
  g.in_w = in_w;
  g.kernel_h = kernel_h;
  g.kernel_w = kernel_w;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.pad_h = pad_h;
  g.pad_w = pad_w;
  const int64_t eh = in_h + 2 * pad_h - kernel_h, ew = in_w + 2 * pad_w - kernel_w;
  if (in_h < 1 || in_w < 1 || eh < 0 || ew < 0)
    throw std::invalid_argument(who + ": input of " + std::to_string(in_h) + "×" + std::to_string(in_w) +
                                " is smaller than the " + std::to_string(kernel_h) + "×" +
                                std::to_string(kernel_w) + " kernel with padding " +
                                std::to_string(pad_h) + "," + std::to_string(pad_w));
  g.out_h = eh / stride_h + 1;
  g.out_w = ew / stride_w + 1;
  return g;
}

namespace {

// Output columns [lo, hi) whose input column ox·s − pad + k lies inside [0, in).
inline void valid_range(int64_t out, int64_t in, int64_t s, int64_t pad, int64_t k, int64_t& lo,
                        int64_t& hi) {
  const int64_t d = pad - k;
  lo = d <= 0 ? 0 : (d + s - 1) / s;
  const int64_t e = in - 1 + pad - k;
  hi = e < 0 ? 0 : std::min(out, e / s + 1);
  lo = std::min(lo, hi);
}

}  // namespace

template <class T>
void im2col_plane(const T* x, const ConvGeometry& g, T* col, int64_t ld) {
  const int64_t ow = g.out_w, sw = g.stride_w;
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    int64_t oy_lo, oy_hi;
    valid_range(g.out_h, g.in_h, g.stride_h, g.pad_h, ky, oy_lo, oy_hi);
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      T* row = col + (ky * g.kernel_w + kx) * ld;
      int64_t ox_lo, ox_hi;
      valid_range(ow, g.in_w, sw, g.pad_w, kx, ox_lo, ox_hi);
      std::fill(row, row + oy_lo * ow, T(0));
      for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
        T* r = row + oy * ow;
        const T* xr = x + (oy * g.stride_h - g.pad_h + ky) * g.in_w;
        const int64_t off = kx - g.pad_w;  // input column = ox·sw + off, ≥ 0 on [ox_lo, ox_hi)
        std::fill(r, r + ox_lo, T(0));
        if (sw == 1) {
          std::copy(xr + ox_lo + off, xr + ox_hi + off, r + ox_lo);
        } else {
#pragma omp simd
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) r[ox] = xr[ox * sw + off];
        }
        std::fill(r + ox_hi, r + ow, T(0));
      }
      std::fill(row + oy_hi * ow, row + g.out_h * ow, T(0));
    }
  }
}

template <class T>
void col2im_plane_add(const T* col, int64_t ld, const ConvGeometry& g, T* x) {
  const int64_t ow = g.out_w, sw = g.stride_w;
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    int64_t oy_lo, oy_hi;
    valid_range(g.out_h, g.in_h, g.stride_h, g.pad_h, ky, oy_lo, oy_hi);
    for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
      const T* row = col + (ky * g.kernel_w + kx) * ld;
      int64_t ox_lo, ox_hi;
      valid_range(ow, g.in_w, sw, g.pad_w, kx, ox_lo, ox_hi);
      for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
        const T* r = row + oy * ow;
        T* xr = x + (oy * g.stride_h - g.pad_h + ky) * g.in_w;
        const int64_t off = kx - g.pad_w;
        // Within one (ky, kx, oy) the targets ox·sw + off are distinct, so the loop vectorises.
#pragma omp simd
        for (int64_t ox = ox_lo; ox < ox_hi; ++ox) xr[ox * sw + off] += r[ox];
      }
    }
  }
}

template <class T>
void im2col_batch(const T* x, int64_t n, const ConvGeometry& g, T* col) {
  const int64_t c = g.channels, plane = g.in_h * g.in_w, p = g.pixels(), ld = n * p;
  const int64_t kk = g.kernel_h * g.kernel_w;
#pragma omp parallel for collapse(2) schedule(static) if (n * c * kk * p > 32768)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) im2col_plane(x + (i * c + ch) * plane, g, col + ch * kk * ld + i * p, ld);
}

template <class T>
void col2im_batch_add(const T* col, int64_t n, const ConvGeometry& g, T* x) {
  const int64_t c = g.channels, plane = g.in_h * g.in_w, p = g.pixels(), ld = n * p;
  const int64_t kk = g.kernel_h * g.kernel_w;
#pragma omp parallel for collapse(2) schedule(static) if (n * c * kk * p > 32768)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      col2im_plane_add(col + ch * kk * ld + i * p, ld, g, x + (i * c + ch) * plane);
}

template <class T>
void to_channel_major(const T* x, int64_t n, int64_t c, int64_t p, T* out) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * p > 65536)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) std::copy(x + (i * c + ch) * p, x + (i * c + ch + 1) * p, out + (ch * n + i) * p);
}

template <class T>
void from_channel_major(const T* in, int64_t n, int64_t c, int64_t p, const T* bias, T* x) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * p > 65536)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T* src = in + (ch * n + i) * p;
      T* dst = x + (i * c + ch) * p;
      const T b = bias ? bias[ch] : T(0);
#pragma omp simd
      for (int64_t j = 0; j < p; ++j) dst[j] = src[j] + b;
    }
}

template <class T>
void add_channel_sums(const T* dy, int64_t n, int64_t c, int64_t p, T* bias_grad) {
#pragma omp parallel for schedule(static) if (n * c * p > 65536)
  for (int64_t ch = 0; ch < c; ++ch) {
    T s = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T* src = dy + (i * c + ch) * p;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < p; ++j) s += src[j];
    }
    bias_grad[ch] += s;
  }
}

#define INVGFX_INSTANTIATE(T)                                                                  \
  template void im2col_plane<T>(const T*, const ConvGeometry&, T*, int64_t);                   \
  template void col2im_plane_add<T>(const T*, int64_t, const ConvGeometry&, T*);               \
  template void im2col_batch<T>(const T*, int64_t, const ConvGeometry&, T*);                   \
  template void col2im_batch_add<T>(const T*, int64_t, const ConvGeometry&, T*);               \
  template void to_channel_major<T>(const T*, int64_t, int64_t, int64_t, T*);                  \
  template void from_channel_major<T>(const T*, int64_t, int64_t, int64_t, const T*, T*);      \
  template void add_channel_sums<T>(const T*, int64_t, int64_t, int64_t, T*);
INVGFX_INSTANTIATE(float)
INVGFX_INSTANTIATE(double)
#undef INVGFX_INSTANTIATE

}  // namespace invgfx
