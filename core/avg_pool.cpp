// Implementation of core/avg_pool.h.
#include "core/avg_pool.h"
#include "core/shape_of.h"

#include <algorithm>
#include <stdexcept>

namespace invgfx {

template <class T>
AvgPoolT<T>::AvgPoolT(const AvgPoolOptions& opt) : opt_(opt) {
  if (opt_.stride == 0) opt_.stride = opt_.kernel;
  if (opt_.kernel < 1 || opt_.stride < 1 || opt_.padding < 0 || opt_.padding > opt_.kernel / 2)
    throw std::invalid_argument("AvgPoolOptions: need kernel ≥ 1, stride ≥ 1 and 0 ≤ padding ≤ kernel/2");
}

template <class T>
ConvGeometry AvgPoolT<T>::geometry(const Shape& x) const {
  if (x.rank() != 4) throw std::invalid_argument("avg_pool: input " + x.str() + " is not N×C×H×W");
  return ConvGeometry::make("avg_pool", 1, x[2], x[3], opt_.kernel, opt_.kernel, opt_.stride, opt_.stride,
                            opt_.padding, opt_.padding);
}

template <class T>
void AvgPoolT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  const ConvGeometry g = geometry(x.shape());
  const int64_t nc = x.dim(0) * x.dim(1), h = g.in_h, w = g.in_w, oh = g.out_h, ow = g.out_w, k = opt_.kernel;
  const T scale = T(1) / static_cast<T>(k * k);
  y.resize(shape_of({x.dim(0), x.dim(1), oh, ow}));
  const T* xs = x.data();
  T* ys = y.data();
#pragma omp parallel for schedule(static) if (nc * oh * ow * k * k > 65536)
  for (int64_t p = 0; p < nc; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
        T s = 0;
        for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + k, h); ++iy)
          for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + k, w); ++ix) s += xs[(p * h + iy) * w + ix];
        ys[(p * oh + oy) * ow + ox] = s * scale;
      }
}

template <class T>
void AvgPoolT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  const ConvGeometry g = geometry(x.shape());
  const int64_t nc = x.dim(0) * x.dim(1), h = g.in_h, w = g.in_w, oh = g.out_h, ow = g.out_w, k = opt_.kernel;
  if (dL_dy.numel() != nc * oh * ow) throw std::invalid_argument("avg_pool: dL_dy does not match the output");
  const T scale = T(1) / static_cast<T>(k * k);
  const T* gs = dL_dy.data();
  T* d = dL_dx->data();
  // Parallel over planes: overlapping windows (stride < kernel) only overlap within a plane.
#pragma omp parallel for schedule(static) if (nc * oh * ow * k * k > 65536)
  for (int64_t p = 0; p < nc; ++p)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t y0 = oy * g.stride_h - g.pad_h, x0 = ox * g.stride_w - g.pad_w;
        const T v = gs[(p * oh + oy) * ow + ox] * scale;
        for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + k, h); ++iy)
          for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + k, w); ++ix) d[(p * h + iy) * w + ix] += v;
      }
}

template class AvgPoolT<float>;
template class AvgPoolT<double>;

}  // namespace invgfx
