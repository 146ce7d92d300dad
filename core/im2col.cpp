// Implementation of core/im2col.h.
#include "core/im2col.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

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

// Both directions work row by row through "phase buffers": an input row is split into its stride_w
// phases, buf[φ][j] = x[(j − B)·s + φ] (zero outside the row), so that the kernel tap kx reads (or adds
// into) the contiguous run buf[(kx − pad) mod s][ox + ⌊(kx − pad)/s⌋ + B], ox = 0…OW−1. This turns the
// strided gathers/scatters of a strided convolution into unit-stride vector loops and removes all
// border tests from the inner loops.
namespace {

// Floor division and modulo for a possibly negative numerator and a positive divisor.
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

template <class T>
T* phase_scratch(int64_t n) {
  // Per thread, grown once: steady state does not allocate.
  thread_local std::vector<T> buf;
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

}  // namespace

template <class T>
void im2col_plane(const T* x, const ConvGeometry& g, T* col, int64_t ld) {
  const int64_t s = g.stride_w, ow = g.out_w, w = g.in_w, kw = g.kernel_w, pw = g.pad_w;
  const int64_t b = (pw + s - 1) / s, len = ow + (kw - 1) / s + b + 2;
  T* buf = phase_scratch<T>(s * len);
  // Output rows whose input row lies in the padding are zero.
  for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
    int64_t oy_lo, oy_hi;
    valid_range(g.out_h, g.in_h, g.stride_h, g.pad_h, ky, oy_lo, oy_hi);
    for (int64_t kx = 0; kx < kw; ++kx) {
      T* row = col + (ky * kw + kx) * ld;
      std::fill(row, row + oy_lo * ow, T(0));
      std::fill(row + oy_hi * ow, row + g.out_h * ow, T(0));
    }
  }
  for (int64_t iy = 0; iy < g.in_h; ++iy) {
    const T* xr = x + iy * w;
    // Deinterleave the row into its phases, with zero padding around it.
    std::fill(buf, buf + s * len, T(0));
    if (s == 1) {
      std::copy(xr, xr + w, buf + b);
    } else if (s == 2) {
      T* b0 = buf + b;
      T* b1 = buf + len + b;
      const int64_t half = w / 2;
#pragma omp simd
      for (int64_t j = 0; j < half; ++j) {
        b0[j] = xr[2 * j];
        b1[j] = xr[2 * j + 1];
      }
      if (w % 2) b0[half] = xr[w - 1];
    } else {
      for (int64_t p = 0; p < w; ++p) buf[(p % s) * len + p / s + b] = xr[p];
    }
    // Every (ky, oy) with oy·sh − ph + ky = iy reads this row.
    for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
      const int64_t t = iy + g.pad_h - ky;
      if (t < 0 || t % g.stride_h) continue;
      const int64_t oy = t / g.stride_h;
      if (oy >= g.out_h) continue;
      for (int64_t kx = 0; kx < kw; ++kx) {
        const int64_t q = kx - pw, phase = q - floor_div(q, s) * s, shift = floor_div(q, s);
        const T* src = buf + phase * len + shift + b;
        T* dst = col + (ky * kw + kx) * ld + oy * ow;
        // Rows are short (OW values): an inline vector loop beats a memmove call.
#pragma omp simd
        for (int64_t ox = 0; ox < ow; ++ox) dst[ox] = src[ox];
      }
    }
  }
}

template <class T>
void col2im_plane_add(const T* col, int64_t ld, const ConvGeometry& g, T* x) {
  const int64_t s = g.stride_w, ow = g.out_w, w = g.in_w, kw = g.kernel_w, pw = g.pad_w;
  const int64_t b = (pw + s - 1) / s, len = ow + (kw - 1) / s + b + 2;
  T* buf = phase_scratch<T>(s * len);
  for (int64_t iy = 0; iy < g.in_h; ++iy) {
    bool any = false;
    for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
      const int64_t t = iy + g.pad_h - ky;
      if (t < 0 || t % g.stride_h) continue;
      const int64_t oy = t / g.stride_h;
      if (oy >= g.out_h) continue;
      if (!any) std::fill(buf, buf + s * len, T(0));
      any = true;
      for (int64_t kx = 0; kx < kw; ++kx) {
        const int64_t q = kx - pw, phase = q - floor_div(q, s) * s, shift = floor_div(q, s);
        T* dst = buf + phase * len + shift + b;
        const T* src = col + (ky * kw + kx) * ld + oy * ow;
#pragma omp simd
        for (int64_t ox = 0; ox < ow; ++ox) dst[ox] += src[ox];
      }
    }
    if (!any) continue;
    // Interleave the phases back onto the row; entries that fell into the padding are dropped.
    T* xr = x + iy * w;
    if (s == 1) {
      const T* b0 = buf + b;
#pragma omp simd
      for (int64_t p = 0; p < w; ++p) xr[p] += b0[p];
    } else if (s == 2) {
      const T* b0 = buf + b;
      const T* b1 = buf + len + b;
      const int64_t half = w / 2;
#pragma omp simd
      for (int64_t j = 0; j < half; ++j) {
        xr[2 * j] += b0[j];
        xr[2 * j + 1] += b1[j];
      }
      if (w % 2) xr[w - 1] += b0[half];
    } else {
      for (int64_t p = 0; p < w; ++p) xr[p] += buf[(p % s) * len + p / s + b];
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
void to_channel_major_sum(const T* x, int64_t n, int64_t c, int64_t p, T* out, T* bias_grad) {
#pragma omp parallel for schedule(static) if (n * c * p > 65536)
  for (int64_t ch = 0; ch < c; ++ch) {
    T s = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T* src = x + (i * c + ch) * p;
      T* dst = out + (ch * n + i) * p;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < p; ++j) {
        dst[j] = src[j];
        s += src[j];
      }
    }
    if (bias_grad) bias_grad[ch] += s;
  }
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
  template void to_channel_major_sum<T>(const T*, int64_t, int64_t, int64_t, T*, T*);          \
  template void from_channel_major<T>(const T*, int64_t, int64_t, int64_t, const T*, T*);      \
  template void add_channel_sums<T>(const T*, int64_t, int64_t, int64_t, T*);
INVGFX_INSTANTIATE(float)
INVGFX_INSTANTIATE(double)
#undef INVGFX_INSTANTIATE

}  // namespace invgfx
