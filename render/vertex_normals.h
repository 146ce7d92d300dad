// Vertex normals recomputed from positions, differentiably: the area-weighted mean of the adjacent
// face normals, normalised. Σ_f (p1 − p0) × (p2 − p0) over the faces at a vertex weights each face
// normal by twice its area without a separate area term (the "area-weighted" rule compared by Max 1999,
// "Weights for computing vertex normals from facet normals").
#pragma once

#include "core/node.h"
#include "render/raster_topology.h"

#include <cstdint>
#include <vector>

namespace invgfx {

template <class T>
class VertexNormalsT : public UnaryNodeT<T> {
 public:
  explicit VertexNormalsT(std::vector<int32_t> faces = {}) : faces_(std::move(faces)) {}
  std::string name() const override { return "vertex_normals"; }

  void set_faces(std::vector<int32_t> faces) { faces_ = std::move(faces); }
  const std::vector<int32_t>& faces() const { return faces_; }

  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;
  // positions V×3 → unit normals V×3. A vertex with no face, or whose faces cancel or are all
  // degenerate, gets the zero vector (never NaN) and no gradient.
  void forward(const TensorT<T>& positions, TensorT<T>& normals) override;
  // Through n = m/|m|: dL/dm = (I − n nᵀ)·dL/dn / |m|; then per face c = a × b (a = p1 − p0,
  // b = p2 − p0): dL/da = b × g, dL/db = g × a, dL/dp0 = −dL/da − dL/db, with g = Σ_corners dL/dm.
  void backward(const TensorT<T>& positions, const TensorT<T>& normals, const TensorT<T>& dL_dnormals,
                TensorT<T>* dL_dpositions) override;

 private:
  std::vector<int32_t> faces_;
  RasterTopology topology_;
  TensorT<T> face_cross_;     // F×3 unnormalised face normals
  TensorT<T> vertex_sum_;     // V×3 m, before normalisation
  std::vector<T> corner_;     // F×3×3 per-corner scratch for deterministic gathers
};

using VertexNormals = VertexNormalsT<float>;
using VertexNormalsD = VertexNormalsT<double>;

extern template class VertexNormalsT<float>;
extern template class VertexNormalsT<double>;

}  // namespace invgfx
