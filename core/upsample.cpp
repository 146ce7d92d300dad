// Implementation of core/upsample.h.
#include "core/upsample.h"
#include "core/shape_of.h"

#include <algorithm>
#include <stdexcept>

namespace invgfx {

template <class T>
UpsampleT<T>::UpsampleT(const UpsampleOptions& opt) : opt_(opt) {
  if (opt.scale < 1) throw std::invalid_argument("UpsampleOptions: scale must be ≥ 1");
}

template <class T>
void UpsampleT<T>::make_taps(int64_t in, std::vector<Tap>& taps) const {
  const int64_t s = opt_.scale, out = in * s;
  taps.resize(static_cast<size_t>(out));  // allocates only when the size grows
  for (int64_t o = 0; o < out; ++o) {
    Tap& t = taps[static_cast<size_t>(o)];
    if (opt_.mode == UpsampleMode::kNearest) {
      t = {o / s, o / s, T(0)};
      continue;
    }
    const double src = std::max(0.0, (o + 0.5) / static_cast<double>(s) - 0.5);
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const int64_t i1 = std::min(i0 + 1, in - 1);
    t = {i0, i1, static_cast<T>(src - static_cast<double>(i0))};
  }
}

template <class T>
void UpsampleT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  if (x.rank() != 4) throw std::invalid_argument(name() + ": input " + x.shape().str() + " is not N×C×H×W");
  const int64_t nc = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), s = opt_.scale;
  const int64_t oh = h * s, ow = w * s;
  make_taps(h, ty_);
  make_taps(w, tx_);
  y.resize(shape_of({x.dim(0), x.dim(1), oh, ow}));
  const T* xs = x.data();
  T* ys = y.data();
#pragma omp parallel for schedule(static) if (nc * oh * ow > 65536)
  for (int64_t p = 0; p < nc; ++p) {
    const T* xp = xs + p * h * w;
    T* yp = ys + p * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const Tap& a = ty_[static_cast<size_t>(oy)];
      const T* r0 = xp + a.i0 * w;
      const T* r1 = xp + a.i1 * w;
      T* yr = yp + oy * ow;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const Tap& b = tx_[static_cast<size_t>(ox)];
        const T top = r0[b.i0] + b.f * (r0[b.i1] - r0[b.i0]);
        const T bot = r1[b.i0] + b.f * (r1[b.i1] - r1[b.i0]);
        yr[ox] = top + a.f * (bot - top);
      }
    }
  }
}

template <class T>
void UpsampleT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  const int64_t nc = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), s = opt_.scale;
  const int64_t oh = h * s, ow = w * s;
  if (dL_dy.numel() != nc * oh * ow) throw std::invalid_argument(name() + ": dL_dy does not match the output");
  const T* g = dL_dy.data();
  T* d = dL_dx->data();
  // Each thread owns whole planes of dL/dx, so the scattered adds never race.
#pragma omp parallel for schedule(static) if (nc * oh * ow > 65536)
  for (int64_t p = 0; p < nc; ++p) {
    const T* gp = g + p * oh * ow;
    T* dp = d + p * h * w;
    for (int64_t oy = 0; oy < oh; ++oy) {
      const Tap& a = ty_[static_cast<size_t>(oy)];
      T* r0 = dp + a.i0 * w;
      T* r1 = dp + a.i1 * w;
      const T* gr = gp + oy * ow;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const Tap& b = tx_[static_cast<size_t>(ox)];
        const T top = gr[ox] * (T(1) - a.f), bot = gr[ox] * a.f;
        r0[b.i0] += top * (T(1) - b.f);
        r0[b.i1] += top * b.f;
        r1[b.i0] += bot * (T(1) - b.f);
        r1[b.i1] += bot * b.f;
      }
    }
  }
}

template class UpsampleT<float>;
template class UpsampleT<double>;

}  // namespace invgfx
