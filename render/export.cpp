// Implementation of render/export.h.
#include "render/export.h"

#include "core/srgb_transfer.h"
#include "render/texture.h"
#include "render/texture_image.h"

#include <tiny_gltf.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

std::ofstream open_for_writing(const std::string& path, const char* what, bool binary = false) {
  const fs::path p(path);
  if (p.has_parent_path() && !fs::is_directory(p.parent_path()))
    throw std::runtime_error(std::string(what) + ": cannot write '" + path + "': folder '" +
                             p.parent_path().string() + "' does not exist");
  std::ofstream f(path, binary ? std::ios::binary : std::ios::out);
  if (!f) throw std::runtime_error(std::string(what) + ": cannot write '" + path + "' (no permission?)");
  return f;
}

void finish(std::ofstream& f, const std::string& path, const char* what) {
  f.flush();
  if (!f) throw std::runtime_error(std::string(what) + ": writing '" + path + "' failed (disk full?)");
}

// Per-vertex linear colours for PLY: mesh colours, else the texture at the vertex's first UV.
template <class T>
std::vector<double> vertex_colors(const MeshT<T>& m) {
  const int64_t V = m.num_vertices();
  std::vector<double> c(static_cast<size_t>(3 * V), 0.5);
  if (m.has_colors()) {
    for (int64_t i = 0; i < 3 * V; ++i) c[static_cast<size_t>(i)] = static_cast<double>(m.colors[i]);
    return c;
  }
  if (!m.has_texture() || !m.has_uvs()) return c;
  TensorD uv({2, 1, V});
  std::vector<bool> seen(static_cast<size_t>(V), false);
  for (size_t k = 0; k < m.faces.size(); ++k) {
    const int32_t v = m.faces[k];
    if (seen[static_cast<size_t>(v)]) continue;
    seen[static_cast<size_t>(v)] = true;
    const int32_t t = m.uv_faces.empty() ? v : m.uv_faces[k];
    uv[v] = static_cast<double>(m.uvs.at(t, 0));
    uv[V + v] = static_cast<double>(m.uvs.at(t, 1));
  }
  TextureD tex(3, static_cast<int>(m.texture.dim(1)), static_cast<int>(m.texture.dim(2)));
  tex.texels.value = m.texture.template cast<double>();
  TensorD out;
  tex.forward(uv, out);
  for (int64_t v = 0; v < V; ++v)
    for (int k = 0; k < 3; ++k) c[static_cast<size_t>(3 * v + k)] = out[k * V + v];
  return c;
}

nlohmann::json matrix_json(const Eigen::MatrixXd& m) {
  nlohmann::json j = nlohmann::json::array();
  for (int r = 0; r < m.rows(); ++r) {
    nlohmann::json row = nlohmann::json::array();
    for (int c = 0; c < m.cols(); ++c) row.push_back(m(r, c));
    j.push_back(row);
  }
  return j;
}

}  // namespace

// ---- OBJ + MTL + PNG --------------------------------------------------------------------------------

template <class T>
void export_obj(const std::string& obj_path, const MeshT<T>& mesh, const std::string& texture_name) {
  mesh.validate("export_obj '" + obj_path + "'");
  const fs::path p(obj_path);
  const fs::path mtl = fs::path(obj_path).replace_extension(".mtl");
  const std::string material = mesh.name.empty() ? "material0" : mesh.name;
  {
    std::ofstream f = open_for_writing(obj_path, "export_obj");
    f.precision(9);
    f << "# invgfx scene export\nmtllib " << mtl.filename().string() << "\no "
      << (mesh.name.empty() ? "mesh" : mesh.name) << "\n";
    for (int64_t i = 0; i < mesh.num_vertices(); ++i) {
      f << "v " << mesh.positions.at(i, 0) << ' ' << mesh.positions.at(i, 1) << ' ' << mesh.positions.at(i, 2);
      if (mesh.has_colors())
        f << ' ' << mesh.colors.at(i, 0) << ' ' << mesh.colors.at(i, 1) << ' ' << mesh.colors.at(i, 2);
      f << '\n';
    }
    if (mesh.has_uvs())
      for (int64_t i = 0; i < mesh.uvs.dim(0); ++i) f << "vt " << mesh.uvs.at(i, 0) << ' ' << mesh.uvs.at(i, 1) << '\n';
    if (mesh.has_normals())
      for (int64_t i = 0; i < mesh.num_vertices(); ++i)
        f << "vn " << mesh.normals.at(i, 0) << ' ' << mesh.normals.at(i, 1) << ' ' << mesh.normals.at(i, 2) << '\n';
    f << "usemtl " << material << "\ns off\n";
    for (size_t k = 0; k < mesh.faces.size(); k += 3) {
      f << 'f';
      for (size_t j = k; j < k + 3; ++j) {
        const int32_t v = mesh.faces[j] + 1;
        f << ' ' << v;
        if (mesh.has_uvs()) f << '/' << (mesh.uv_faces.empty() ? v : mesh.uv_faces[j] + 1);
        if (mesh.has_normals()) f << (mesh.has_uvs() ? "/" : "//") << v;
      }
      f << '\n';
    }
    finish(f, obj_path, "export_obj");
  }
  {
    std::ofstream f = open_for_writing(mtl.string(), "export_obj");
    f << "# invgfx scene export\nnewmtl " << material << "\nKa 0 0 0\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\n";
    if (mesh.has_texture()) f << "map_Kd " << texture_name << '\n';
    finish(f, mtl.string(), "export_obj");
  }
  if (mesh.has_texture()) save_texture_png((p.parent_path() / texture_name).string(), mesh.texture);
}

// ---- binary glTF --------------------------------------------------------------------------------------

template <class T>
void export_glb(const std::string& path, const MeshT<T>& input) {
  input.validate("export_glb '" + path + "'");
  const MeshT<T> m = split_uv_seams(input);
  const int64_t V = m.num_vertices();
  tinygltf::Model model;
  model.asset.version = "2.0";
  model.asset.generator = "invgfx";
  model.buffers.resize(1);
  std::vector<unsigned char>& buf = model.buffers[0].data;

  // Appends a tightly packed bufferView (4-byte aligned) and returns its index.
  auto add_view = [&](const void* data, size_t bytes, int target) {
    while (buf.size() % 4) buf.push_back(0);
    tinygltf::BufferView bv;
    bv.buffer = 0;
    bv.byteOffset = buf.size();
    bv.byteLength = bytes;
    bv.target = target;
    buf.insert(buf.end(), static_cast<const unsigned char*>(data), static_cast<const unsigned char*>(data) + bytes);
    model.bufferViews.push_back(bv);
    return static_cast<int>(model.bufferViews.size() - 1);
  };
  auto add_accessor = [&](int view, int component, int type, size_t count, std::vector<double> mn = {},
                          std::vector<double> mx = {}) {
    tinygltf::Accessor a;
    a.bufferView = view;
    a.componentType = component;
    a.type = type;
    a.count = count;
    a.minValues = std::move(mn);
    a.maxValues = std::move(mx);
    model.accessors.push_back(a);
    return static_cast<int>(model.accessors.size() - 1);
  };

  tinygltf::Primitive prim;
  prim.mode = TINYGLTF_MODE_TRIANGLES;
  {
    std::vector<float> p(static_cast<size_t>(3 * V));
    std::vector<double> mn(3, std::numeric_limits<double>::infinity()), mx(3, -std::numeric_limits<double>::infinity());
    for (int64_t i = 0; i < 3 * V; ++i) {
      p[static_cast<size_t>(i)] = static_cast<float>(m.positions[i]);
      mn[static_cast<size_t>(i % 3)] = std::min(mn[static_cast<size_t>(i % 3)], static_cast<double>(p[static_cast<size_t>(i)]));
      mx[static_cast<size_t>(i % 3)] = std::max(mx[static_cast<size_t>(i % 3)], static_cast<double>(p[static_cast<size_t>(i)]));
    }
    if (V == 0) mn.assign(3, 0), mx.assign(3, 0);
    const int view = add_view(p.data(), p.size() * 4, TINYGLTF_TARGET_ARRAY_BUFFER);
    prim.attributes["POSITION"] =
        add_accessor(view, TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, static_cast<size_t>(V), mn, mx);
  }
  auto add_vec_attribute = [&](const char* name, const TensorT<T>& t, int dims, bool flip_v) {
    std::vector<float> d(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) d[static_cast<size_t>(i)] = static_cast<float>(t[i]);
    if (flip_v)
      for (int64_t i = 0; i < V; ++i) d[static_cast<size_t>(2 * i + 1)] = 1.0f - d[static_cast<size_t>(2 * i + 1)];
    const int view = add_view(d.data(), d.size() * 4, TINYGLTF_TARGET_ARRAY_BUFFER);
    prim.attributes[name] = add_accessor(view, TINYGLTF_COMPONENT_TYPE_FLOAT,
                                         dims == 2 ? TINYGLTF_TYPE_VEC2 : TINYGLTF_TYPE_VEC3, static_cast<size_t>(V));
  };
  if (m.has_normals()) add_vec_attribute("NORMAL", m.normals, 3, false);
  if (m.has_uvs()) add_vec_attribute("TEXCOORD_0", m.uvs, 2, true);
  if (m.has_colors()) add_vec_attribute("COLOR_0", m.colors, 3, false);
  {
    std::vector<uint32_t> idx(m.faces.begin(), m.faces.end());
    const int view = add_view(idx.data(), idx.size() * 4, TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER);
    prim.indices = add_accessor(view, TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT, TINYGLTF_TYPE_SCALAR, idx.size());
  }

  tinygltf::Material mat;
  mat.name = m.name.empty() ? "material0" : m.name;
  mat.pbrMetallicRoughness.metallicFactor = 0;
  mat.pbrMetallicRoughness.roughnessFactor = 1;
  mat.doubleSided = false;
  if (m.has_texture() && m.has_uvs()) {
    const std::vector<unsigned char> png = encode_texture_png(m.texture);
    tinygltf::Image img;
    img.name = "albedo";
    img.mimeType = "image/png";
    img.bufferView = add_view(png.data(), png.size(), 0);
    model.bufferViews.back().target = 0;  // image data is not a vertex buffer
    model.images.push_back(img);
    tinygltf::Sampler s;
    s.magFilter = TINYGLTF_TEXTURE_FILTER_LINEAR;
    s.minFilter = TINYGLTF_TEXTURE_FILTER_LINEAR_MIPMAP_LINEAR;
    s.wrapS = TINYGLTF_TEXTURE_WRAP_REPEAT;
    s.wrapT = TINYGLTF_TEXTURE_WRAP_CLAMP_TO_EDGE;
    model.samplers.push_back(s);
    tinygltf::Texture tex;
    tex.source = 0;
    tex.sampler = 0;
    model.textures.push_back(tex);
    mat.pbrMetallicRoughness.baseColorTexture.index = 0;
    mat.pbrMetallicRoughness.baseColorTexture.texCoord = 0;
  }
  model.materials.push_back(mat);
  prim.material = 0;
  tinygltf::Mesh gm;
  gm.name = m.name.empty() ? "mesh" : m.name;
  gm.primitives.push_back(prim);
  model.meshes.push_back(gm);
  tinygltf::Node node;
  node.mesh = 0;
  node.name = gm.name;
  model.nodes.push_back(node);
  tinygltf::Scene scene;
  scene.nodes.push_back(0);
  model.scenes.push_back(scene);
  model.defaultScene = 0;
  while (buf.size() % 4) buf.push_back(0);

  std::ofstream f = open_for_writing(path, "export_glb", true);
  tinygltf::TinyGLTF writer;
  if (!writer.WriteGltfSceneToStream(&model, f, false, true))
    throw std::runtime_error("export_glb: tinygltf could not write '" + path + "'");
  finish(f, path, "export_glb");
}

// ---- PLY ----------------------------------------------------------------------------------------------

template <class T>
void export_ply(const std::string& path, const MeshT<T>& mesh) {
  mesh.validate("export_ply '" + path + "'");
  const std::vector<double> colors = vertex_colors(mesh);
  std::ofstream f = open_for_writing(path, "export_ply", true);
  f << "ply\nformat binary_little_endian 1.0\ncomment invgfx scene export\n"
    << "element vertex " << mesh.num_vertices() << "\nproperty float x\nproperty float y\nproperty float z\n"
    << "property uchar red\nproperty uchar green\nproperty uchar blue\n"
    << "element face " << mesh.num_faces() << "\nproperty list uchar int vertex_indices\nend_header\n";
  static_assert(std::endian::native == std::endian::little, "PLY writer assumes a little-endian host");
  for (int64_t i = 0; i < mesh.num_vertices(); ++i) {
    for (int k = 0; k < 3; ++k) {
      const float v = static_cast<float>(mesh.positions.at(i, k));
      f.write(reinterpret_cast<const char*>(&v), 4);
    }
    for (int k = 0; k < 3; ++k) {
      const uint8_t c = srgb_encode8(colors[static_cast<size_t>(3 * i + k)]);
      f.write(reinterpret_cast<const char*>(&c), 1);
    }
  }
  for (size_t k = 0; k < mesh.faces.size(); k += 3) {
    const uint8_t n = 3;
    f.write(reinterpret_cast<const char*>(&n), 1);
    f.write(reinterpret_cast<const char*>(&mesh.faces[k]), 12);
  }
  finish(f, path, "export_ply");
}

// ---- JSON ---------------------------------------------------------------------------------------------

template <class T>
nlohmann::json camera_to_json(const CameraT<T>& camera) {
  const CameraIntrinsics k = camera.intrinsics();
  Eigen::Matrix<T, 3, 3> Rt;
  Eigen::Matrix<T, 3, 1> tt;
  camera.cam_from_world(Rt, tt);
  const Eigen::Matrix3d R = Rt.template cast<double>();
  const Eigen::Vector3d t = tt.template cast<double>();
  Eigen::Matrix3d K;
  K << k.fx, 0, k.cx, 0, k.fy, k.cy, 0, 0, 1;
  nlohmann::json j;
  j["width"] = k.width;
  j["height"] = k.height;
  j["opencv"] = {{"K", matrix_json(K)},
                 {"R", matrix_json(R)},
                 {"t", {t.x(), t.y(), t.z()}},
                 {"distortion", nlohmann::json::array()},
                 {"convention", "x right, y down, z forward; X_cam = R·X_world + t; pixel centres at integers"}};
  j["opengl"] = {{"projection", matrix_json(gl_projection(k, camera.ndc_y_up))},
                 {"view", matrix_json(gl_view_from_cv(R, t))},
                 {"world_from_camera", matrix_json(gl_world_from_camera(R, t))},
                 {"near", k.near},
                 {"far", k.far},
                 {"fov_y_deg", k.vertical_fov() * 180 / std::numbers::pi},
                 {"ndc_y_up", camera.ndc_y_up},
                 {"convention", "x right, y up, z backward; clip = projection·view·X_world"}};
  const Eigen::Vector3d c = camera_center(R, t);
  j["center"] = {c.x(), c.y(), c.z()};
  if (camera.parameterization() == PoseParameterization::kOrbit) {
    j["parameterization"] = "orbit";
    j["orbit"] = {{"azimuth", camera.orbit.value[0]},
                  {"elevation", camera.orbit.value[1]},
                  {"distance", camera.orbit.value[2]},
                  {"roll", camera.orbit.value[3]},
                  {"target", {camera.target.value[0], camera.target.value[1], camera.target.value[2]}}};
  } else {
    j["parameterization"] = "axis_angle";
    j["axis_angle"] = {camera.rotation.value[0], camera.rotation.value[1], camera.rotation.value[2]};
  }
  return j;
}

template <class T>
void camera_from_json(const nlohmann::json& j, CameraT<T>& camera) {
  try {
    const auto& cv = j.at("opencv");
    CameraIntrinsics k;
    k.width = j.at("width").get<int>();
    k.height = j.at("height").get<int>();
    k.fx = cv.at("K").at(0).at(0).get<double>();
    k.cx = cv.at("K").at(0).at(2).get<double>();
    k.fy = cv.at("K").at(1).at(1).get<double>();
    k.cy = cv.at("K").at(1).at(2).get<double>();
    if (j.contains("opengl")) {
      k.near = j["opengl"].at("near").get<double>();
      k.far = j["opengl"].at("far").get<double>();
      camera.ndc_y_up = j["opengl"].value("ndc_y_up", true);
    }
    camera.set_intrinsics(k);
    Eigen::Matrix<T, 3, 3> R;
    Eigen::Matrix<T, 3, 1> t;
    for (int r = 0; r < 3; ++r) {
      t(r) = cv.at("t").at(r).get<T>();
      for (int c = 0; c < 3; ++c) R(r, c) = cv.at("R").at(r).at(c).get<T>();
    }
    camera.set_cam_from_world(R, t);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("camera_from_json: ") + e.what());
  }
}

template <class T>
nlohmann::json lights_to_json(const ShadingT<T>& s) {
  auto vec = [](const ParameterT<T>& p) {
    nlohmann::json a = nlohmann::json::array();
    for (T v : p.value) a.push_back(static_cast<double>(v));
    return a;
  };
  Eigen::Vector3d d(s.direction.value[0], s.direction.value[1], s.direction.value[2]);
  if (d.norm() > 0) d.normalize();
  nlohmann::json sh = nlohmann::json::array();
  for (int c = 0; c < 3; ++c) {
    nlohmann::json row = nlohmann::json::array();
    for (int k = 0; k < 9; ++k) row.push_back(static_cast<double>(s.sh.value[9 * c + k]));
    sh.push_back(row);
  }
  return {{"space", "linear RGB; directions in world coordinates, pointing towards the light"},
          {"ambient", {{"enabled", s.options.ambient}, {"color", vec(s.ambient)}}},
          {"directional",
           {{"enabled", s.options.directional}, {"direction", {d.x(), d.y(), d.z()}}, {"color", vec(s.color)}}},
          {"sh",
           {{"enabled", s.options.spherical_harmonics},
            {"order", {"L00", "L1-1", "L10", "L11", "L2-2", "L2-1", "L20", "L21", "L22"}},
            {"normalization", "radiance coefficients; shading = albedo·E(n)/π, Ramamoorthi & Hanrahan 2001"},
            {"coefficients", sh}}},
          {"specular",
           {{"enabled", s.options.specular},
            {"model", "Blinn-Phong"},
            {"strength", static_cast<double>(s.specular_strength.value[0])},
            {"shininess", static_cast<double>(s.shininess.value[0])}}}};
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream f = open_for_writing(path, "write_json");
  f << j.dump(2) << '\n';
  finish(f, path, "write_json");
}

template void export_obj<float>(const std::string&, const MeshT<float>&, const std::string&);
template void export_obj<double>(const std::string&, const MeshT<double>&, const std::string&);
template void export_glb<float>(const std::string&, const MeshT<float>&);
template void export_glb<double>(const std::string&, const MeshT<double>&);
template void export_ply<float>(const std::string&, const MeshT<float>&);
template void export_ply<double>(const std::string&, const MeshT<double>&);
template nlohmann::json camera_to_json<float>(const CameraT<float>&);
template nlohmann::json camera_to_json<double>(const CameraT<double>&);
template void camera_from_json<float>(const nlohmann::json&, CameraT<float>&);
template void camera_from_json<double>(const nlohmann::json&, CameraT<double>&);
template nlohmann::json lights_to_json<float>(const ShadingT<float>&);
template nlohmann::json lights_to_json<double>(const ShadingT<double>&);

}  // namespace invgfx
