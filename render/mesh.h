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
  TensorT<T> uvs;               // V×2 in [0,1], v up (OpenGL/OBJ convention), or empty
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
    m.uvs = uvs.template cast<U>();
    m.normals = normals.template cast<U>();
    m.colors = colors.template cast<U>();
    m.texture = texture.template cast<U>();
    m.name = name;
    return m;
  }
};

using Mesh = MeshT<float>;
using MeshD = MeshT<double>;

extern template struct MeshT<float>;
extern template struct MeshT<double>;

}  // namespace invgfx
