// Implementation of render/texture.h.
#include "render/texture.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

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

// Levels used by a lookup at `lod` given `n` levels: l0 = ⌊lod⌋, l1 = l0 + 1 (both capped), and the
// weight of l1.
namespace {

struct LevelPair {
  int l0, l1, used;
  double w1;
};

LevelPair level_pair(double lod, int n) {
  LevelPair p;
  lod = std::min(lod, static_cast<double>(n - 1));
  p.l0 = static_cast<int>(lod);
  p.l1 = std::min(p.l0 + 1, n - 1);
  p.w1 = p.l0 == p.l1 ? 0.0 : lod - p.l0;
  p.used = p.w1 != 0.0 ? 2 : 1;
  return p;
}

}  // namespace

template <class T>
const TensorT<T>& TextureT<T>::level(int l) const {
  return l == 0 ? texels.value : levels_[static_cast<size_t>(l)];
}

template <class T>
int TextureT<T>::num_levels() const {
  const TensorT<T>& base = texels.value;
  int max_levels = 1;
  for (int64_t h = base.dim(1), w = base.dim(2); h > 1 || w > 1;
       h = std::max<int64_t>(1, h / 2), w = std::max<int64_t>(1, w / 2))
    ++max_levels;
  return options.mip_levels <= 0 ? max_levels : std::min(options.mip_levels, max_levels);
}

template <class T>
double TextureT<T>::lod_at(int64_t i) const {
  if (!lod_map_) return options.lod;
  const double v = static_cast<double>((*lod_map_)[i]);
  return v >= 0 && std::isfinite(v) ? v : 0.0;
}

template <class T>
std::pair<int, int> TextureT<T>::levels_read(int64_t pixels) const {
  if (!(options.lod >= 0)) throw std::invalid_argument("Texture: options.lod must be ≥ 0");
  const int n = num_levels();
  if (!lod_map_) {
    const LevelPair lp = level_pair(options.lod, n);
    return {lp.l0, lp.used == 2 ? lp.l1 : lp.l0};
  }
  if (lod_map_->numel() != pixels)
    throw std::invalid_argument("Texture: the lod map has " + std::to_string(lod_map_->numel()) +
                                " values, uv has " + std::to_string(pixels) + " pixels");
  if (pixels == 0) return {0, 0};
  int lo = n - 1, hi = 0;
  for (int64_t i = 0; i < pixels; ++i) {
    const LevelPair lp = level_pair(lod_at(i), n);
    lo = std::min(lo, lp.l0), hi = std::max(hi, lp.used == 2 ? lp.l1 : lp.l0);
  }
  return {lo, hi};
}

// Levels 1..top are built (level 0 is texels.value itself).
template <class T>
void TextureT<T>::build_pyramid(int top) {
  const TensorT<T>& base = texels.value;
  if (base.rank() != 3) throw std::invalid_argument("Texture: texels must be C×H×W, got " + base.shape().str());
  const int64_t C = base.dim(0);
  levels_.resize(static_cast<size_t>(top + 1));
  for (int k = 1; k <= top; ++k) {
    const TensorT<T>& a = level(k - 1);
    const int64_t h = a.dim(1), w = a.dim(2), H = std::max<int64_t>(1, h / 2), W = std::max<int64_t>(1, w / 2);
    TensorT<T>& b = levels_[static_cast<size_t>(k)];
    b.resize({C, H, W});
#pragma omp parallel for collapse(2) schedule(static) if (C * H * W > 16384)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i) {
        const int64_t i0 = std::min(2 * i, h - 1), i1 = std::min(2 * i + 1, h - 1);
        for (int64_t j = 0; j < W; ++j) {
          const int64_t j0 = std::min(2 * j, w - 1), j1 = std::min(2 * j + 1, w - 1);
          b.at(c, i, j) = T(0.25) * (a.at(c, i0, j0) + a.at(c, i0, j1) + a.at(c, i1, j0) + a.at(c, i1, j1));
        }
      }
  }
}

template <class T>
void TextureT<T>::forward(const TensorT<T>& uv, TensorT<T>& out) {
  if (uv.rank() != 3 || uv.dim(0) != 2)
    throw std::invalid_argument("Texture: uv must be 2×H×W, got " + uv.shape().str());
  const int64_t H = uv.dim(1), W = uv.dim(2), HW = H * W;
  build_pyramid(levels_read(HW).second);
  const int64_t C = texels.value.dim(0);
  out.resize({C, H, W});
  const int n = num_levels();
  const LevelPair uniform = level_pair(options.lod, n);
  const T* U = uv.data();
  T* Y = out.data();
#pragma omp parallel for schedule(static) if (HW > 4096)
  for (int64_t i = 0; i < HW; ++i) {
    const LevelPair lp = lod_map_ ? level_pair(lod_at(i), n) : uniform;
    for (int64_t c = 0; c < C; ++c) Y[c * HW + i] = T(0);
    for (int k = 0; k < lp.used; ++k) {
      const T wlev = static_cast<T>(k == 0 ? 1 - lp.w1 : lp.w1);
      const TensorT<T>& tex = level(k == 0 ? lp.l0 : lp.l1);
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
  // Plain variables, not a structured binding: the lambdas below capture them, which clang before 16
  // refuses for bindings (the sanitizer and fuzz builds use clang).
  const std::pair<int, int> read = levels_read(HW);
  const int lo = read.first, top = read.second;
  const int n = num_levels(), nl = top - lo + 1;
  const LevelPair uniform = level_pair(options.lod, n);
  const bool want_tex = texels.requires_grad;
  // Destinations: level 0's gradient is texels.grad itself; levels 1..top get zeroed buffers whose
  // sums are pushed down the pyramid below. Band 0 scatters straight into the destination, bands
  // 1.. into their own buffers (one per level read), added afterwards in band order: bit-identical
  // at any thread count.
  const int bands = HW > 65536 ? 4 : 1;
  auto dest = [&](int l) -> TensorT<T>& { return l == 0 ? texels.grad : level_grads_[static_cast<size_t>(l)]; };
  if (want_tex) {
    texels.grad.resize(texels.value.shape());
    level_grads_.resize(static_cast<size_t>(top + 1));
    for (int l = 1; l <= top; ++l) {
      level_grads_[static_cast<size_t>(l)].resize(level(l).shape());
      level_grads_[static_cast<size_t>(l)].zero();
    }
    band_grads_.resize(static_cast<size_t>((bands - 1) * nl));
    for (int b = 1; b < bands; ++b)
      for (int l = lo; l <= top; ++l) {
        TensorT<T>& g = band_grads_[static_cast<size_t>((b - 1) * nl + l - lo)];
        g.resize(level(l).shape());
        g.zero();
      }
  }
  T* dlod = nullptr;
  if (lod_map_ && lod_grad_) {
    if (lod_grad_->shape() != lod_map_->shape()) lod_grad_->resize(lod_map_->shape()), lod_grad_->zero();
    dlod = lod_grad_->data();
  }
  const T* U = uv.data();
  const T* G = dL_dout.data();
#pragma omp parallel for schedule(static) if (bands > 1)
  for (int b = 0; b < bands; ++b) {
    const int64_t r0 = H * b / bands, r1 = H * (b + 1) / bands;
    for (int64_t i = r0 * W; i < r1 * W; ++i) {
      const LevelPair lp = lod_map_ ? level_pair(lod_at(i), n) : uniform;
      T du = 0, dv = 0, dl = 0;
      for (int k = 0; k < lp.used; ++k) {
        const T wlev = static_cast<T>(k == 0 ? 1 - lp.w1 : lp.w1);
        const int l = k == 0 ? lp.l0 : lp.l1;
        const TensorT<T>& tex = level(l);
        const int64_t tw = tex.dim(2), th = tex.dim(1);
        const Taps t = taps(U[i], U[HW + i], tw, th, options);
        const T fx = static_cast<T>(t.fx), fy = static_cast<T>(t.fy);
        TensorT<T>* g = !want_tex ? nullptr
                        : b == 0  ? &dest(l)
                                  : &band_grads_[static_cast<size_t>((b - 1) * nl + l - lo)];
        for (int64_t c = 0; c < C; ++c) {
          const T gc = wlev * G[c * HW + i];
          if (gc == T(0)) continue;
          const T t00 = tex.at(c, t.y0, t.x0), t10 = tex.at(c, t.y0, t.x1);
          const T t01 = tex.at(c, t.y1, t.x0), t11 = tex.at(c, t.y1, t.x1);
          du += gc * T(tw) * ((T(1) - fy) * (t10 - t00) + fy * (t11 - t01));
          dv -= gc * T(th) * ((T(1) - fx) * (t01 - t00) + fx * (t11 - t10));
          if (dlod) {
            const T sample = (T(1) - fx) * (T(1) - fy) * t00 + fx * (T(1) - fy) * t10 + (T(1) - fx) * fy * t01 + fx * fy * t11;
            dl += (k == 0 ? -G[c * HW + i] : G[c * HW + i]) * sample;
          }
          if (g) {
            g->at(c, t.y0, t.x0) += gc * (T(1) - fx) * (T(1) - fy);
            g->at(c, t.y0, t.x1) += gc * fx * (T(1) - fy);
            g->at(c, t.y1, t.x0) += gc * (T(1) - fx) * fy;
            g->at(c, t.y1, t.x1) += gc * fx * fy;
          }
        }
      }
      if (dlod && lp.used == 2) dlod[i] += dl;
      if (dL_duv && std::isfinite(static_cast<double>(U[i])) && std::isfinite(static_cast<double>(U[HW + i]))) {
        (*dL_duv)[i] += du;
        (*dL_duv)[HW + i] += dv;
      }
    }
  }
  if (!want_tex) return;

  for (int l = lo; l <= top && bands > 1; ++l) {
    TensorT<T>& d = dest(l);
    const int64_t m = d.numel();
#pragma omp parallel for schedule(static) if (m > 65536)
    for (int64_t i = 0; i < m; ++i)
      for (int b = 1; b < bands; ++b) d[i] += band_grads_[static_cast<size_t>((b - 1) * nl + l - lo)][i];
  }
  // Push each level's gradient down through the adjoint of the 2×2 box filter (each parent texel's
  // gradient spread ¼ to its children). Parent rows own disjoint child rows, so rows run in parallel.
  for (int l = top; l >= 1; --l) {
    const TensorT<T>& gb = level_grads_[static_cast<size_t>(l)];
    TensorT<T>& ga = l == 1 ? texels.grad : level_grads_[static_cast<size_t>(l - 1)];
    const int64_t h = ga.dim(1), w = ga.dim(2), PH = gb.dim(1), PW = gb.dim(2);
#pragma omp parallel for collapse(2) schedule(static) if (C * PH * PW > 16384)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < PH; ++i) {
        const int64_t i0 = std::min(2 * i, h - 1), i1 = std::min(2 * i + 1, h - 1);
        for (int64_t j = 0; j < PW; ++j) {
          const T q = T(0.25) * gb.at(c, i, j);
          const int64_t j0 = std::min(2 * j, w - 1), j1 = std::min(2 * j + 1, w - 1);
          ga.at(c, i0, j0) += q;
          ga.at(c, i0, j1) += q;
          ga.at(c, i1, j0) += q;
          ga.at(c, i1, j1) += q;
        }
      }
  }
}

template class TextureT<float>;
template class TextureT<double>;

}  // namespace invgfx
