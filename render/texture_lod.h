// Per-pixel level of detail for mipmapped texture lookups (OpenGL 4.6 §8.14.1, eq. 8.7; nvdiffrast's
// texture op in mip mode with uv derivatives from interpolate): the lookup's footprint on the
// texture is the screen pixel mapped through the uv Jacobian, and
//   λ = log2 max(‖∂(u·W_t, v·H_t)/∂x‖, ‖∂(u·W_t, v·H_t)/∂y‖) + bias,   clamped to λ ≥ 0,
// with x, y in pixels and W_t × H_t the base texture size. One level per doubling of texels per pixel.
//
// The Jacobian is exact per pixel, from the face the rasterizer put there, with 2D homogeneous
// barycentrics (Olano & Greer 1997, "Triangle Scan Conversion using 2D Homogeneous Coordinates"):
// for the face's clip-space columns c_k = (x_k, y_k, w_k), e_i = (c_j × c_k)·(x_ndc, y_ndc, 1) (i, j, k
// cyclic) are the perspective-correct barycentrics up to a common factor, so uv = Σ e_i uv_i / Σ e_i
// and ∂uv/∂x_ndc = (Σ ∂e_i·uv_i − uv Σ ∂e_i)/Σ e_i. No division by w appears, so faces the near plane
// clips (a vertex behind the camera) need no special case.
//
// Backward (as nvdiffrast's gradients through uv_da): with dL/dλ from the texture lookup
// (TextureT::set_lod_map), dλ/dc by hand through the same steps — J² = max(‖∂t/∂x‖², ‖∂t/∂y‖²),
// ∂t/∂x = (Σ E_i.x t_i − t Σ E_i.x)/Σ e_i, and E_i = c_j × c_k — to the clip positions' x, y and w.
// λ is constant where it is clamped (λ = 0), and the uvs are treated as constants. Per-face sums over
// the face's pixels (the rasterizer's fixed pixel order), then a fixed-order gather per vertex:
// bit-identical at any thread count.
#pragma once

#include "core/tensor.h"
#include "render/raster_topology.h"
#include "render/rasterize.h"

#include <cstdint>
#include <vector>

namespace invgfx {

template <class T>
class TextureLodT {
 public:
  // clip_pos V×4 and faces as rasterized into r; uvs U×2 indexed by uv_faces (F×3, the uv corners
  // of each face). lod: H×W, 0 on the background. Throws std::invalid_argument on shape mismatches.
  void forward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& uvs,
               const std::vector<int32_t>& uv_faces, const RasterOutputT<T>& r, int texture_width,
               int texture_height, TensorT<T>& lod, double bias = 0) const;

  // dL_dlod H×W. Adds into *dL_dclip (V×4; resized and zeroed first if its shape differs).
  void backward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& uvs,
                const std::vector<int32_t>& uv_faces, const RasterOutputT<T>& r, int texture_width,
                int texture_height, const TensorT<T>& dL_dlod, TensorT<T>* dL_dclip, double bias = 0);

 private:
  std::vector<T> corner_grad_;  // F×3×4
  RasterTopology topology_;
};

using TextureLod = TextureLodT<float>;
using TextureLodD = TextureLodT<double>;

}  // namespace invgfx
