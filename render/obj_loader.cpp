// Implementation of render/obj_loader.h.
#include "render/obj_loader.h"

#include "render/texture_image.h"
#include "render/vertex_normals.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <tiny_obj_loader.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace invgfx {

template <class T>
MeshT<T> load_obj(const std::string& path) {
  tinyobj::ObjReaderConfig config;
  config.triangulate = true;
  config.vertex_color = true;
  config.mtl_search_path = std::filesystem::path(path).parent_path().string();
  tinyobj::ObjReader reader;
  // Only a regular file (a FIFO would block the parser), of at most the OBJ limit.
  const std::string problem = regular_file_problem(path, limits::kMaxObjFileBytes);
  if (!problem.empty()) throw std::runtime_error("load_obj: '" + path + "': " + problem);
  if (!reader.ParseFromFile(path, config) || !reader.Valid())
    throw std::runtime_error("load_obj: cannot parse '" + path + "': " + reader.Error());
  const tinyobj::attrib_t& a = reader.GetAttrib();
  MeshT<T> m;
  m.name = std::filesystem::path(path).stem().string();
  const int64_t V = static_cast<int64_t>(a.vertices.size() / 3);
  m.positions.resize({V, 3});
  for (int64_t i = 0; i < 3 * V; ++i) m.positions[i] = static_cast<T>(a.vertices[static_cast<size_t>(i)]);

  bool any_uv = false, all_uv = true;
  for (const auto& s : reader.GetShapes())
    for (const auto& idx : s.mesh.indices) {
      m.faces.push_back(idx.vertex_index);
      m.uv_faces.push_back(idx.texcoord_index);
      if (idx.texcoord_index >= 0) any_uv = true;
      else all_uv = false;
    }
  if (m.faces.size() % 3 != 0) throw std::runtime_error("load_obj: '" + path + "' has a non-triangular face");
  if (any_uv && !a.texcoords.empty()) {
    const int64_t U = static_cast<int64_t>(a.texcoords.size() / 2);
    m.uvs.resize({U + (all_uv ? 0 : 1), 2});
    m.uvs.zero();  // the extra last entry (0, 0) stands in for corners without vt
    for (int64_t i = 0; i < 2 * U; ++i) m.uvs[i] = static_cast<T>(a.texcoords[static_cast<size_t>(i)]);
    for (auto& i : m.uv_faces)
      if (i < 0) i = static_cast<int32_t>(U);
  } else {
    m.uv_faces.clear();
  }
  // tinyobjloader fills absent vertex colours with 1; keep them only if the file set any.
  if (a.colors.size() == a.vertices.size()) {
    bool set = false;
    for (double c : a.colors) set |= c != 1.0;
    if (set) {
      m.colors.resize({V, 3});
      for (int64_t i = 0; i < 3 * V; ++i) m.colors[i] = static_cast<T>(a.colors[static_cast<size_t>(i)]);
    }
  }
  for (const auto& mat : reader.GetMaterials())
    if (!mat.diffuse_texname.empty()) {
      std::filesystem::path tex = mat.diffuse_texname;
      if (tex.is_relative()) tex = std::filesystem::path(config.mtl_search_path) / tex;
      try {
        m.texture = load_texture_image<T>(tex.string());
      } catch (const std::exception& e) {
        throw std::runtime_error("load_obj: '" + path + "': texture of material '" + mat.name + "': " + e.what());
      }
      break;
    }
  // A coordinate such as 1e39 overflows to infinity and would end every fit in NaN: refuse it here.
  auto require_finite = [&](const TensorT<T>& t, int64_t cols, const char* what, const char* record) {
    for (int64_t i = 0; i < t.numel(); ++i)
      if (!std::isfinite(static_cast<double>(t[i])))
        throw std::runtime_error("load_obj: '" + path + "': " + what + " " + std::to_string(i / cols + 1) + " ('" +
                                 record + "' line) has a non-finite or out-of-range coordinate");
  };
  require_finite(m.positions, 3, "vertex", "v");
  require_finite(m.uvs, 2, "texture coordinate", "vt");
  require_finite(m.colors, 3, "vertex colour of vertex", "v");
  m.validate("load_obj '" + path + "'");
  VertexNormalsT<T> vn(m.faces);
  vn.forward(m.positions, m.normals);
  return m;
}

template MeshT<float> load_obj<float>(const std::string&);
template MeshT<double> load_obj<double>(const std::string&);

}  // namespace invgfx
