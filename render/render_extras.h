// What the renderer shows besides colour and coverage, for the GUI and tools (not differentiable):
// per-pixel unit world normals (zero on the background), NDC depth (0 on the background) and the id
// of the face seen (−1 on the background), from the last hard or soft rasterization of a mesh.
#pragma once

#include "render/rasterize.h"
#include "render/soft_rasterize.h"

#include <cstdint>
#include <vector>

namespace invgfx {

template <class T>
struct RenderExtrasT {
  TensorT<T> normals;          // 3×S×S
  TensorT<T> depth;            // 1×S×S
  std::vector<int32_t> face;   // S×S

  // Hard rasterization: `normals_image` is the interpolated vertex normals (3×S×S, not normalised).
  void from_hard(const RasterOutputT<T>& r, const TensorT<T>& normals_image, int size);
  // Soft rasterization: the nearest covering face's vertex normals (V×3 `vertex_normals` of `faces`),
  // interpolated with its weights at the pixel.
  void from_soft(const SoftRasterizerT<T>& soft, const TensorT<T>& vertex_normals, const std::vector<int32_t>& faces,
                 int size);
  // Zero normals and depth, no faces.
  void clear(int size);
};

extern template struct RenderExtrasT<float>;
extern template struct RenderExtrasT<double>;

}  // namespace invgfx
