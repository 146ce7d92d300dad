// Implementation of render/mesh.h.
#include "render/mesh.h"

#include <stdexcept>
#include <unordered_map>

namespace invgfx {

template <class T>
void MeshT<T>::validate(const std::string& what) const {
  auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
  if (positions.empty()) {
    if (!faces.empty()) fail("faces given without positions");
    return;
  }
  if (positions.rank() != 2 || positions.dim(1) != 3)
    fail("positions must be V×3, got " + positions.shape().str());
  const int64_t v = positions.dim(0);
  if (faces.size() % 3 != 0) fail("face index count " + std::to_string(faces.size()) + " is not a multiple of 3");
  for (size_t i = 0; i < faces.size(); ++i)
    if (faces[i] < 0 || faces[i] >= v)
      fail("face index " + std::to_string(faces[i]) + " at " + std::to_string(i) + " outside [0, " +
           std::to_string(v) + ")");
  auto check_attr = [&](const TensorT<T>& t, int64_t cols, const char* name) {
    if (t.empty()) return;
    if (t.rank() != 2 || t.dim(0) != v || t.dim(1) != cols)
      fail(std::string(name) + " must be " + std::to_string(v) + "×" + std::to_string(cols) + ", got " +
           t.shape().str());
  };
  if (uv_faces.empty()) {
    check_attr(uvs, 2, "uvs");
  } else {
    if (uv_faces.size() != faces.size())
      fail("uv_faces has " + std::to_string(uv_faces.size()) + " indices, faces has " +
           std::to_string(faces.size()));
    if (uvs.rank() != 2 || uvs.dim(1) != 2) fail("uvs must be U×2 with uv_faces, got " + uvs.shape().str());
    for (size_t i = 0; i < uv_faces.size(); ++i)
      if (uv_faces[i] < 0 || uv_faces[i] >= uvs.dim(0))
        fail("uv index " + std::to_string(uv_faces[i]) + " at " + std::to_string(i) + " outside [0, " +
             std::to_string(uvs.dim(0)) + ")");
  }
  check_attr(normals, 3, "normals");
  check_attr(colors, 3, "colors");
  if (!texture.empty() && (texture.rank() != 3 || texture.dim(0) != 3))
    fail("texture must be 3×H×W, got " + texture.shape().str());
}

template <class T>
MeshT<T> split_uv_seams(const MeshT<T>& mesh, std::vector<int32_t>* source_vertex) {
  mesh.validate("split_uv_seams");
  if (mesh.uv_faces.empty()) {
    if (source_vertex) {
      source_vertex->resize(static_cast<size_t>(mesh.num_vertices()));
      for (size_t i = 0; i < source_vertex->size(); ++i) (*source_vertex)[i] = static_cast<int32_t>(i);
    }
    return mesh;
  }
  // One new vertex per distinct (position index, uv index) pair, in first-use order.
  std::unordered_map<int64_t, int32_t> slot;
  std::vector<int32_t> src, src_uv;
  MeshT<T> out;
  out.faces.resize(mesh.faces.size());
  for (size_t i = 0; i < mesh.faces.size(); ++i) {
    const int64_t key = static_cast<int64_t>(mesh.faces[i]) * (mesh.uvs.dim(0) + 1) + mesh.uv_faces[i];
    auto [it, inserted] = slot.emplace(key, static_cast<int32_t>(src.size()));
    if (inserted) {
      src.push_back(mesh.faces[i]);
      src_uv.push_back(mesh.uv_faces[i]);
    }
    out.faces[i] = it->second;
  }
  const int64_t n = static_cast<int64_t>(src.size());
  auto gather = [&](const TensorT<T>& in, const std::vector<int32_t>& idx, int64_t cols) {
    TensorT<T> r;
    if (in.empty()) return r;
    r.resize({n, cols});
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < cols; ++k) r.at(i, k) = in.at(idx[static_cast<size_t>(i)], k);
    return r;
  };
  out.positions = gather(mesh.positions, src, 3);
  out.normals = gather(mesh.normals, src, 3);
  out.colors = gather(mesh.colors, src, 3);
  out.uvs = gather(mesh.uvs, src_uv, 2);
  out.texture = mesh.texture;
  out.name = mesh.name;
  if (source_vertex) *source_vertex = src;
  return out;
}

template MeshT<float> split_uv_seams(const MeshT<float>&, std::vector<int32_t>*);
template MeshT<double> split_uv_seams(const MeshT<double>&, std::vector<int32_t>*);
template struct MeshT<float>;
template struct MeshT<double>;

}  // namespace invgfx
