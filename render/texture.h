// Texture: a linear-RGB (any C) image sampled bilinearly at per-pixel UVs, with optional mipmaps.
//
// Convention: uv (0, 0) is the bottom-left corner of the image and (1, 1) the top-right (OBJ/glTF
// "v up" for OBJ; the glTF exporter flips v). Texel (row i, column j) — row 0 at the top, as image
// files are stored — has its centre at u = (j + ½)/W, v = 1 − (i + ½)/H. Sample point in texels:
// x = u·W − ½, y = (1 − v)·H − ½; the four taps around it are wrapped (repeat) or clamped per axis.
//
// Mipmaps: level k is the 2×2 box average of level k−1 (size ⌊h/2⌋ × ⌊w/2⌋, at least 1: an odd
// last row/column is left out, a dimension of 1 is averaged with itself), down to 1×1 or
// `mip_levels` levels; only the levels the lookups read are built. A lookup at level of detail λ is
// trilinear: bilinear in levels ⌊λ⌋ and ⌊λ⌋+1, blended by λ − ⌊λ⌋ (OpenGL's LINEAR_MIPMAP_LINEAR).
// λ is options.lod for the whole image, or per pixel from a map (set_lod_map), e.g. the one
// render/texture_lod.h derives from the uv footprint of each screen pixel. Gradients flow to the base
// texels through the box filters' adjoint; λ itself is not differentiated (a map is an input, as a
// constant lod is).
//
// Backward: dL/dtexels (scatter in a fixed number of row bands, the first straight into the
// gradient, the others into buffers added in band order: bit-identical at any thread count) and dL/duv:
//   ∂s/∂u = W·[(1−f_y)(t10 − t00) + f_y(t11 − t01)],  ∂s/∂v = −H·[(1−f_x)(t01 − t00) + f_x(t11 − t10)].
// Exactly on a texel centre (f = 0) the derivative is the one-sided one towards +x / +y.
#pragma once

#include "core/node.h"

#include <string>
#include <utility>
#include <vector>

namespace invgfx {

enum class WrapMode {
  kRepeat,  // u (or v) is taken modulo 1: tiling, and the icosphere's u seam
  kClamp,   // taps outside the image use the edge texel
};

struct TextureOptions {
  WrapMode wrap_u = WrapMode::kRepeat;  // horizontal wrap
  WrapMode wrap_v = WrapMode::kClamp;   // vertical wrap (clamp suits the poles of a sphere)
  int mip_levels = 1;                   // 1 = no mipmaps, 0 = full pyramid down to 1×1, else that many
  double lod = 0;                       // level of detail for sampling, ≥ 0, in levels (0 = base)
};

template <class T>
class TextureT : public UnaryNodeT<T> {
 public:
  // texels: C×H×W, linear values, group "texture".
  explicit TextureT(int channels = 3, int height = 256, int width = 256, const TextureOptions& options = {});
  std::string name() const override { return "texture"; }

  TextureOptions options;
  ParameterT<T> texels;

  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  // uv: 2×H'×W' (channel 0 = u, 1 = v) → out: C×H'×W'. Non-finite uv samples as (0, 0).
  void forward(const TensorT<T>& uv, TensorT<T>& out) override;
  void backward(const TensorT<T>& uv, const TensorT<T>& out, const TensorT<T>& dL_dout,
                TensorT<T>* dL_duv) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override { visit(texels); }

  // Per-pixel level of detail: H'×W' values (any shape with uv's H'·W' elements) in levels, used
  // instead of options.lod while set; negative or non-finite values read level 0. The map is read
  // by forward and backward, so it must stay alive and unchanged between them; nullptr goes back to
  // options.lod. With dL_dlod, backward also adds dL/dλ per pixel into it (resized like the map and
  // zeroed first if its shape differs): Σ_c dL/dout_c · (s_c(⌊λ⌋+1) − s_c(⌊λ⌋)) between two levels,
  // 0 where λ is clamped (below 0, at or past the last level) or an integer.
  void set_lod_map(const TensorT<T>* lod, TensorT<T>* dL_dlod = nullptr) { lod_map_ = lod, lod_grad_ = dL_dlod; }

  // Mip level l as built by the last forward (level 0 is texels.value; levels above the last one
  // the lookups read are not built).
  const TensorT<T>& level(int l) const;
  int num_built_levels() const { return static_cast<int>(levels_.size()); }

 private:
  int num_levels() const;
  // Checks the lod map against uv's pixels; returns the range of levels the lookups read.
  std::pair<int, int> levels_read(int64_t pixels) const;
  double lod_at(int64_t i) const;
  void build_pyramid(int top);
  const TensorT<T>* lod_map_ = nullptr;
  TensorT<T>* lod_grad_ = nullptr;
  std::vector<TensorT<T>> levels_, level_grads_;  // index 0 unused: level 0 is texels.value
  std::vector<TensorT<T>> band_grads_;  // per row band, for deterministic scatter
};

using Texture = TextureT<float>;
using TextureD = TextureT<double>;

extern template class TextureT<float>;
extern template class TextureT<double>;

}  // namespace invgfx
