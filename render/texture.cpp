#include "render/texture.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace {

// The four taps and weights of one bilinear lookup.
struct Taps {
  int64_t x0, x1, y0, y1;
  double fx, fy;
};

inline int64_t wrap_index(int64_t i, int64_t n, WrapMode m) {
  if (m == WrapMode::kClamp) return std::clamp<int64_t>(i, 0, n - 1);
  i %= n;
  return i < 0 ? i + n : i;
}

template <class T>
Taps taps(T u, T v, int64_t W, int64_t H, const TextureOptions& o) {
  double x = std::isfinite(static_cast<double>(u)) ? static_cast<double>(u) * W - 0.5 : -0.5;
  double y = std::isfinite(static_cast<double>(v)) ? (1.0 - static_cast<double>(v)) * H - 0.5 : H - 0.5;
  // Keep huge coordinates in range before floor(): repeat folds by the period, clamp saturates.
  if (o.wrap_u == WrapMode::kRepeat) x -= W * std::floor(x / W);
  else x = std::clamp(x, -1.0, static_cast<double>(W));
  if (o.wrap_v == WrapMode::kRepeat) y -= H * std::floor(y / H);
  else y = std::clamp(y, -1.0, static_cast<double>(H));
  const double xf = std::floor(x), yf = std::floor(y);
  Taps t;
  t.fx = x - xf;
  t.fy = y - yf;
  t.x0 = wrap_index(static_cast<int64_t>(xf), W, o.wrap_u);
  t.x1 = wrap_index(static_cast<int64_t>(xf) + 1, W, o.wrap_u);
  t.y0 = wrap_index(static_cast<int64_t>(yf), H, o.wrap_v);
  t.y1 = wrap_index(static_cast<int64_t>(yf) + 1, H, o.wrap_v);
  return t;
}

}  // namespace

template <class T>
TextureT<T>::TextureT(int channels, int height, int width, const TextureOptions& o)
    : options(o), texels("texels", group::kTexture, Shape{channels, height, width}) {
  if (channels < 1 || height < 1 || width < 1)
    throw std::invalid_argument("Texture: channels, height and width must be ≥ 1");
  texels.value.fill(T(0.5));
}

template <class T>
void TextureT<T>::build_pyramid() {
  const TensorT<T>& base = texels.value;
  if (base.rank() != 3) throw std::invalid_argument("Texture: texels must be C×H×W, got " + base.shape().str());
  const int64_t C = base.dim(0);
  int max_levels = 1;
  for (int64_t h = base.dim(1), w = base.dim(2); h > 1 || w > 1; h = std::max<int64_t>(1, h / 2), w = std::max<int64_t>(1, w / 2))
    ++max_levels;
  const int n = options.mip_levels <= 0 ? max_levels : std::min(options.mip_levels, max_levels);
  levels_.resize(static_cast<size_t>(n));
  levels_[0].copy_from(base);
  for (int k = 1; k < n; ++k) {
    const TensorT<T>& a = levels_[static_cast<size_t>(k - 1)];
    const int64_t h = a.dim(1), w = a.dim(2), H = std::max<int64_t>(1, h / 2), W = std::max<int64_t>(1, w / 2);
    TensorT<T>& b = levels_[static_cast<size_t>(k)];
    b.resize({C, H, W});
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          const int64_t i0 = std::min(2 * i, h - 1), i1 = std::min(2 * i + 1, h - 1);
          const int64_t j0 = std::min(2 * j, w - 1), j1 = std::min(2 * j + 1, w - 1);
          b.at(c, i, j) = T(0.25) * (a.at(c, i0, j0) + a.at(c, i0, j1) + a.at(c, i1, j0) + a.at(c, i1, j1));
        }
  }
}

template <class T>
void TextureT<T>::forward(const TensorT<T>& uv, TensorT<T>& out) {
  if (uv.rank() != 3 || uv.dim(0) != 2)
    throw std::invalid_argument("Texture: uv must be 2×H×W, got " + uv.shape().str());
  if (!(options.lod >= 0)) throw std::invalid_argument("Texture: options.lod must be ≥ 0");
  build_pyramid();
  const int64_t C = texels.value.dim(0), H = uv.dim(1), W = uv.dim(2), HW = H * W;
  out.resize({C, H, W});
  const int nl = static_cast<int>(levels_.size());
  const int l0 = std::min(static_cast<int>(options.lod), nl - 1), l1 = std::min(l0 + 1, nl - 1);
  const T wl = l0 == l1 ? T(0) : static_cast<T>(options.lod - l0);  // weight of level l1
  const int used_levels = (l1 != l0 && wl != T(0)) ? 2 : 1;
  const T* U = uv.data();
  T* Y = out.data();
#pragma omp parallel for schedule(static) if (HW > 4096)
  for (int64_t i = 0; i < HW; ++i) {
    for (int64_t c = 0; c < C; ++c) Y[c * HW + i] = T(0);
    for (int k = 0; k < used_levels; ++k) {
      const int l = k == 0 ? l0 : l1;
      const T wlev = k == 0 ? T(1) - wl : wl;
      const TensorT<T>& tex = levels_[static_cast<size_t>(l)];
      const Taps t = taps(U[i], U[HW + i], tex.dim(2), tex.dim(1), options);
      const T fx = static_cast<T>(t.fx), fy = static_cast<T>(t.fy);
      for (int64_t c = 0; c < C; ++c) {
        const T s = (T(1) - fx) * (T(1) - fy) * tex.at(c, t.y0, t.x0) + fx * (T(1) - fy) * tex.at(c, t.y0, t.x1) +
                    (T(1) - fx) * fy * tex.at(c, t.y1, t.x0) + fx * fy * tex.at(c, t.y1, t.x1);
        Y[c * HW + i] += wlev * s;
      }
    }
  }
}

template <class T>
void TextureT<T>::backward(const TensorT<T>& uv, const TensorT<T>& /*out*/, const TensorT<T>& dL_dout,
                           TensorT<T>* dL_duv) {
  const int64_t C = texels.value.dim(0), H = uv.dim(1), W = uv.dim(2), HW = H * W;
  if (dL_dout.rank() != 3 || dL_dout.dim(0) != C || dL_dout.dim(1) != H || dL_dout.dim(2) != W)
    throw std::invalid_argument("Texture::backward: dL_dout must be " + std::to_string(C) + "×H×W like the output");
  const int nl = static_cast<int>(levels_.size());
  const int l0 = std::min(static_cast<int>(options.lod), nl - 1), l1 = std::min(l0 + 1, nl - 1);
  const T wl = l0 == l1 ? T(0) : static_cast<T>(options.lod - l0);
  const bool want_tex = texels.requires_grad;
  // Fixed row bands: one gradient buffer per band and level used, summed in band order afterwards.
  const int bands = HW > 65536 ? 4 : 1;
  const int used_levels = (l1 != l0 && wl != T(0)) ? 2 : 1;
  if (want_tex) {
    band_grads_.resize(static_cast<size_t>(bands * used_levels));
    for (int b = 0; b < bands; ++b)
      for (int k = 0; k < used_levels; ++k) {
        TensorT<T>& g = band_grads_[static_cast<size_t>(b * used_levels + k)];
        g.resize(levels_[static_cast<size_t>(k == 0 ? l0 : l1)].shape());
        g.zero();
      }
  }
  const T* U = uv.data();
  const T* G = dL_dout.data();
#pragma omp parallel for schedule(static) if (bands > 1)
  for (int b = 0; b < bands; ++b) {
    const int64_t r0 = H * b / bands, r1 = H * (b + 1) / bands;
    for (int64_t i = r0 * W; i < r1 * W; ++i) {
      T du = 0, dv = 0;
      for (int k = 0; k < used_levels; ++k) {
        const int l = k == 0 ? l0 : l1;
        const T wlev = k == 0 ? T(1) - wl : wl;
        const TensorT<T>& tex = levels_[static_cast<size_t>(l)];
        const int64_t tw = tex.dim(2), th = tex.dim(1);
        const Taps t = taps(U[i], U[HW + i], tw, th, options);
        const T fx = static_cast<T>(t.fx), fy = static_cast<T>(t.fy);
        TensorT<T>* g = want_tex ? &band_grads_[static_cast<size_t>(b * used_levels + k)] : nullptr;
        for (int64_t c = 0; c < C; ++c) {
          const T gc = wlev * G[c * HW + i];
          if (gc == T(0)) continue;
          const T t00 = tex.at(c, t.y0, t.x0), t10 = tex.at(c, t.y0, t.x1);
          const T t01 = tex.at(c, t.y1, t.x0), t11 = tex.at(c, t.y1, t.x1);
          du += gc * T(tw) * ((T(1) - fy) * (t10 - t00) + fy * (t11 - t01));
          dv -= gc * T(th) * ((T(1) - fx) * (t01 - t00) + fx * (t11 - t10));
          if (g) {
            g->at(c, t.y0, t.x0) += gc * (T(1) - fx) * (T(1) - fy);
            g->at(c, t.y0, t.x1) += gc * fx * (T(1) - fy);
            g->at(c, t.y1, t.x0) += gc * (T(1) - fx) * fy;
            g->at(c, t.y1, t.x1) += gc * fx * fy;
          }
        }
      }
      if (dL_duv && std::isfinite(static_cast<double>(U[i])) && std::isfinite(static_cast<double>(U[HW + i]))) {
        (*dL_duv)[i] += du;
        (*dL_duv)[HW + i] += dv;
      }
    }
  }
  if (!want_tex) return;

  // Sum the bands per level, then push each level's gradient down the pyramid through the adjoint
  // of the 2×2 box filter (each parent texel's gradient spread ¼ to its four children).
  level_grads_.resize(levels_.size());
  for (int l = 0; l <= l1; ++l) {
    level_grads_[static_cast<size_t>(l)].resize(levels_[static_cast<size_t>(l)].shape());
    level_grads_[static_cast<size_t>(l)].zero();
  }
  for (int k = 0; k < used_levels; ++k) {
    TensorT<T>& dst = level_grads_[static_cast<size_t>(k == 0 ? l0 : l1)];
    for (int b = 0; b < bands; ++b) {
      const TensorT<T>& src = band_grads_[static_cast<size_t>(b * used_levels + k)];
      for (int64_t i = 0; i < dst.numel(); ++i) dst[i] += src[i];
    }
  }
  for (int l = l1; l >= 1; --l) {
    const TensorT<T>& gb = level_grads_[static_cast<size_t>(l)];
    TensorT<T>& ga = level_grads_[static_cast<size_t>(l - 1)];
    const int64_t h = ga.dim(1), w = ga.dim(2);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < gb.dim(1); ++i)
        for (int64_t j = 0; j < gb.dim(2); ++j) {
          const T q = T(0.25) * gb.at(c, i, j);
          const int64_t i0 = std::min(2 * i, h - 1), i1 = std::min(2 * i + 1, h - 1);
          const int64_t j0 = std::min(2 * j, w - 1), j1 = std::min(2 * j + 1, w - 1);
          ga.at(c, i0, j0) += q;
          ga.at(c, i0, j1) += q;
          ga.at(c, i1, j0) += q;
          ga.at(c, i1, j1) += q;
        }
  }
  texels.grad.resize(texels.value.shape());
  const TensorT<T>& g0 = level_grads_[0];
  for (int64_t i = 0; i < g0.numel(); ++i) texels.grad[i] += g0[i];
}

template class TextureT<float>;
template class TextureT<double>;

}  // namespace invgfx
