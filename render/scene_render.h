// Renders one SceneT to a linear-RGB image and a silhouette, forward and backward, with either of the
// two rasterizers of render/ (the rasterizer node of the loop):
//   hard: camera → clip → rasterize → interpolate (uv, vertex normals) → texture → shading →
//         composite over the background → antialias (colour and alpha together)   [nvdiffrast style]
//   soft: camera → clip → per-vertex colour (texture at the vertex UV, shaded with the vertex normal)
//         → soft rasterize (colour + silhouette over the background)              [SoftRas style]
// Vertex normals are recomputed from the positions, differentiably. The template's UV seams are split
// once at construction; gradients of split vertices are summed back to the template's vertices.
//
// One renderer renders one image at a time and keeps what its backward needs; the loop keeps one
// renderer per batch slot. Buffers are reused, so steady state does not allocate.
#pragma once

#include "render/rasterize.h"
#include "render/render_options.h"
#include "render/scene.h"

#include <memory>

namespace invgfx {

template <class T>
class SceneRendererT {
 public:
  // `tmpl`: positions define V (scene.positions must be V×3), faces and UVs are used as they are.
  SceneRendererT(const Mesh& tmpl, const RenderOptions& options);
  ~SceneRendererT();
  SceneRendererT(SceneRendererT&&) noexcept;
  SceneRendererT& operator=(SceneRendererT&&) noexcept;

  const RenderOptions& options() const;
  void set_options(const RenderOptions& options);  // mode, σ/γ, size may change between calls

  // rgb: 3×S×S linear (background included), alpha: 1×S×S coverage in [0, 1].
  void forward(const SceneT<T>& scene, TensorT<T>& rgb, TensorT<T>& alpha);
  // After forward with the same scene: ADDS dL/d(scene) into `grad` (shapes as the scene; resized and
  // zeroed first if they differ). Either dL_drgb or dL_dalpha may be empty (no gradient from it).
  void backward(const SceneT<T>& scene, const TensorT<T>& dL_drgb, const TensorT<T>& dL_dalpha,
                SceneT<T>& grad);

  // Display extras of the last forward (not differentiable): 3×S×S world normals (zero on the
  // background), 1×S×S NDC depth (0 on the background), S×S face id (−1 background).
  const TensorT<T>& normals_image() const;
  const TensorT<T>& depth_image() const;
  const std::vector<int32_t>& face_ids() const;

  // The mesh of `scene` for export: split-seam-free template topology with the scene's positions,
  // the template's UVs and the scene's texture.
  MeshT<T> mesh_of(const SceneT<T>& scene) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using SceneRenderer = SceneRendererT<float>;
using SceneRendererD = SceneRendererT<double>;

extern template class SceneRendererT<float>;
extern template class SceneRendererT<double>;

}  // namespace invgfx
