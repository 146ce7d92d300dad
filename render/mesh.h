// Triangle mesh of the scene model: per-vertex attributes in tensors, faces as a flat index list.
// Faces are counter-clockwise when seen from outside (front faces), as the rasterizer expects.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace invgfx {

template <class T>
struct MeshT {
  TensorT<T> positions;         // V×3, world units (metres by convention)
  std::vector<int32_t> faces;   // F×3 flat, counter-clockwise front faces, indices into all V×k tensors
  TensorT<T> uvs;               // U×2, v up (OBJ/OpenGL convention), or empty; see uv_faces
  // UVs may have their own index so that a UV seam does not cut the surface (the icosphere's seam,
  // OBJ files): when uv_faces is not empty it is F×3 into uvs, otherwise uvs is V×2 indexed by faces.
  // split_uv_seams() turns the first form into the second for consumers that need one index.
  std::vector<int32_t> uv_faces;
  TensorT<T> normals;           // V×3 unit normals, or empty
  TensorT<T> colors;            // V×3 linear RGB in [0,1], or empty
  TensorT<T> texture;           // 3×H×W linear RGB albedo texture, or empty
  std::string name;             // free-form, used as the object/material name on export

  int64_t num_vertices() const { return positions.empty() ? 0 : positions.dim(0); }
  int64_t num_faces() const { return static_cast<int64_t>(faces.size() / 3); }
  bool has_uvs() const { return !uvs.empty(); }
  bool has_normals() const { return !normals.empty(); }
  bool has_colors() const { return !colors.empty(); }
  bool has_texture() const { return !texture.empty(); }

  // Throws std::invalid_argument naming `what` and the problem when shapes disagree or a face index
  // is out of range; every loader and template calls it on what it returns.
  void validate(const std::string& what = "mesh") const;

  template <class U>
  MeshT<U> cast() const {
    MeshT<U> m;
    m.positions = positions.template cast<U>();
    m.faces = faces;
    m.uv_faces = uv_faces;
    m.uvs = uvs.template cast<U>();
    m.normals = normals.template cast<U>();
    m.colors = colors.template cast<U>();
    m.texture = texture.template cast<U>();
    m.name = name;
    return m;
  }
};

// One index for everything: vertices whose UVs differ between faces are duplicated. source_vertex[i]
// is the original vertex of new vertex i, so gradients w.r.t. the split positions can be summed back.
template <class T>
MeshT<T> split_uv_seams(const MeshT<T>& mesh, std::vector<int32_t>* source_vertex = nullptr);

using Mesh = MeshT<float>;
using MeshD = MeshT<double>;

extern template struct MeshT<float>;
extern template struct MeshT<double>;

}  // namespace invgfx
