// Export round trips: OBJ + MTL + PNG read back with tinyobjloader (through load_obj), GLB read back
// with tinygltf, PLY parsed by hand, camera and light JSON; error messages naming the path.
#include "core/srgb_transfer.h"
#include "render/export.h"
#include "render/mesh_templates.h"
#include "render/obj_loader.h"
#include "render/texture.h"
#include "render/texture_image.h"

#include <gtest/gtest.h>

#include <tiny_gltf.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

fs::path out_dir(const std::string& name) {
  const fs::path d = fs::path(INVGFX_BINARY_DIR) / "test_scene_export" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A textured icosphere whose texture varies along both axes (red grows to the right, blue to the
// top), so any flip of u or v on the way out shows.
Mesh textured_sphere() {
  Mesh m = make_icosphere(2, 0.8f);
  m.texture.resize({3, 8, 16});
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 16; ++j) {
      m.texture.at(0, i, j) = static_cast<float>(j) / 15.f;
      m.texture.at(1, i, j) = 0.25f;
      m.texture.at(2, i, j) = 1.f - static_cast<float>(i) / 7.f;  // row 0 (top, v ≈ 1) is blue
    }
  m.name = "sphere";
  return m;
}

TEST(SceneExport, ObjMtlPngRoundTrip) {
  const fs::path d = out_dir("obj");
  const Mesh m = textured_sphere();
  export_obj((d / "mesh.obj").string(), m);
  ASSERT_TRUE(fs::exists(d / "mesh.mtl"));
  ASSERT_TRUE(fs::exists(d / "texture.png"));
  const Mesh back = load_obj<float>((d / "mesh.obj").string());
  ASSERT_EQ(back.num_vertices(), m.num_vertices());
  ASSERT_EQ(back.faces, m.faces);
  ASSERT_EQ(back.uv_faces, m.uv_faces);
  for (int64_t i = 0; i < m.positions.numel(); ++i) EXPECT_NEAR(back.positions[i], m.positions[i], 1e-6);
  for (int64_t i = 0; i < m.uvs.numel(); ++i) EXPECT_NEAR(back.uvs[i], m.uvs[i], 1e-6);
  ASSERT_EQ(back.texture.shape(), m.texture.shape());
  // 8-bit sRGB quantisation: at most half a code, i.e. < 0.004 in linear units on [0, 1].
  for (int64_t i = 0; i < m.texture.numel(); ++i) EXPECT_NEAR(back.texture[i], m.texture[i], 0.004);
  // Recomputed normals of the loaded sphere point outwards.
  for (int64_t i = 0; i < back.num_vertices(); ++i) {
    double dot = 0;
    for (int k = 0; k < 3; ++k) dot += back.normals.at(i, k) * back.positions.at(i, k);
    EXPECT_GT(dot, 0);
  }
  // The top texture row is blue in the PNG, where OBJ's v = 1 points.
  const TensorD png = load_texture_image<double>((d / "texture.png").string());
  EXPECT_NEAR(png.at(2, 0, 0), 1.0, 1e-9);
  EXPECT_NEAR(png.at(2, 7, 0), 0.0, 1e-9);
}

TEST(SceneExport, LoadsAHandWrittenObjWithQuadMaterialAndColours) {
  const fs::path d = out_dir("handwritten");
  TensorD tex({3, 2, 2}, 0.2);
  tex.at(0, 0, 1) = 1.0;  // top-right texel red
  save_texture_png((d / "tex.png").string(), tex);
  std::ofstream(d / "quad.mtl") << "newmtl m\nKd 1 1 1\nmap_Kd tex.png\n";
  std::ofstream(d / "quad.obj") << "mtllib quad.mtl\nv 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 1 1 0 0 0 1\nv 0 1 0 1 1 1\n"
                                   "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl m\nf 1/1 2/2 3/3 4/4\n";
  const MeshD m = load_obj<double>((d / "quad.obj").string());
  EXPECT_EQ(m.num_faces(), 2);
  ASSERT_TRUE(m.has_colors());
  EXPECT_EQ(m.colors.at(1, 1), 1.0);
  ASSERT_TRUE(m.has_texture());
  // Sampling at uv (1, 1) (top-right corner, clamped) gives the red texel.
  TextureOptions o;
  o.wrap_u = o.wrap_v = WrapMode::kClamp;
  TextureD t(3, 2, 2, o);
  t.texels.value = m.texture;
  TensorD uv({2, 1, 1}), out;
  uv[0] = 1;
  uv[1] = 1;
  t.forward(uv, out);
  EXPECT_NEAR(out[0], 1.0, 1e-9);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(m.normals.at(0, k), k == 2 ? 1.0 : 0.0, 1e-12);
}

TEST(SceneExport, GlbRoundTripWithEmbeddedTexture) {
  const fs::path d = out_dir("glb");
  const Mesh m = textured_sphere();
  const std::string path = (d / "scene.glb").string();
  export_glb(path, m);
  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string err, warn;
  ASSERT_TRUE(loader.LoadBinaryFromFile(&model, &err, &warn, path)) << err;
  ASSERT_EQ(model.meshes.size(), 1u);
  const tinygltf::Primitive& prim = model.meshes[0].primitives[0];
  const Mesh split = split_uv_seams(m);
  auto floats = [&](int accessor) {
    const tinygltf::Accessor& a = model.accessors[static_cast<size_t>(accessor)];
    const tinygltf::BufferView& v = model.bufferViews[static_cast<size_t>(a.bufferView)];
    const float* p = reinterpret_cast<const float*>(model.buffers[0].data.data() + v.byteOffset + a.byteOffset);
    return std::pair<const float*, size_t>(p, a.count);
  };
  auto [pos, nv] = floats(prim.attributes.at("POSITION"));
  ASSERT_EQ(static_cast<int64_t>(nv), split.num_vertices());
  for (int64_t i = 0; i < split.positions.numel(); ++i) EXPECT_EQ(pos[i], split.positions[i]);
  auto [uv, nuv] = floats(prim.attributes.at("TEXCOORD_0"));
  ASSERT_EQ(nuv, nv);
  for (int64_t i = 0; i < split.num_vertices(); ++i) {
    EXPECT_FLOAT_EQ(uv[2 * i], split.uvs.at(i, 0));
    EXPECT_FLOAT_EQ(uv[2 * i + 1], 1.f - split.uvs.at(i, 1));  // glTF's origin is the top-left
  }
  const tinygltf::Accessor& ia = model.accessors[static_cast<size_t>(prim.indices)];
  ASSERT_EQ(ia.componentType, TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT);
  const uint32_t* idx = reinterpret_cast<const uint32_t*>(
      model.buffers[0].data.data() + model.bufferViews[static_cast<size_t>(ia.bufferView)].byteOffset);
  for (size_t i = 0; i < split.faces.size(); ++i) EXPECT_EQ(static_cast<int32_t>(idx[i]), split.faces[i]);
  // The embedded image decodes to the texture, top row first: glTF texel (row, col) at
  // (v_gltf·H, u·W) is our texel at v = 1 − v_gltf.
  ASSERT_EQ(model.images.size(), 1u);
  const tinygltf::Image& img = model.images[0];
  ASSERT_EQ(img.width, 16);
  ASSERT_EQ(img.height, 8);
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 16; ++j)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(img.image[static_cast<size_t>((i * 16 + j) * img.component + c)], srgb_encode8(m.texture.at(c, i, j)));
  EXPECT_EQ(model.materials[0].pbrMetallicRoughness.baseColorTexture.index, 0);
}

TEST(SceneExport, PlyWithVertexColours) {
  const fs::path d = out_dir("ply");
  Mesh m = make_icosphere(1);
  m.colors.resize({m.num_vertices(), 3});
  for (int64_t i = 0; i < m.num_vertices(); ++i)
    for (int k = 0; k < 3; ++k) m.colors.at(i, k) = 0.5f * (m.positions.at(i, k) + 1.f);
  const std::string path = (d / "mesh.ply").string();
  export_ply(path, m);
  std::ifstream f(path, std::ios::binary);
  std::string line, header;
  int64_t nv = -1, nf = -1;
  while (std::getline(f, line) && line != "end_header") {
    std::istringstream s(line);
    std::string a, b;
    s >> a >> b;
    if (a == "element" && b == "vertex") s >> nv;
    if (a == "element" && b == "face") s >> nf;
    header += line + "\n";
  }
  EXPECT_NE(header.find("format binary_little_endian 1.0"), std::string::npos);
  ASSERT_EQ(nv, m.num_vertices());
  ASSERT_EQ(nf, m.num_faces());
  for (int64_t i = 0; i < nv; ++i) {
    float p[3];
    uint8_t c[3];
    f.read(reinterpret_cast<char*>(p), 12);
    f.read(reinterpret_cast<char*>(c), 3);
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(p[k], m.positions.at(i, k));
      EXPECT_EQ(c[k], srgb_encode8(m.colors.at(i, k)));
    }
  }
  for (int64_t i = 0; i < nf; ++i) {
    uint8_t n;
    int32_t t[3];
    f.read(reinterpret_cast<char*>(&n), 1);
    f.read(reinterpret_cast<char*>(t), 12);
    ASSERT_EQ(n, 3);
    for (int k = 0; k < 3; ++k) EXPECT_EQ(t[k], m.faces[static_cast<size_t>(3 * i + k)]);
  }
  EXPECT_TRUE(f.good());
  EXPECT_EQ(f.peek(), EOF);
}

TEST(SceneExport, CameraAndLightJsonRoundTrip) {
  CameraIntrinsics k = CameraIntrinsics::from_vertical_fov(0.9, 320, 240, 0.1, 50);
  CameraD cam(k);
  cam.set_orbit(0.4, 0.2, 3, 0.1, Eigen::Vector3d(0.1, 0, -0.2));
  const nlohmann::json j = nlohmann::json::parse(camera_to_json(cam).dump());  // through text
  EXPECT_EQ(j["parameterization"], "orbit");
  EXPECT_NEAR(j["opengl"]["fov_y_deg"].get<double>(), 0.9 * 180 / M_PI, 1e-9);
  CameraD back;
  camera_from_json(j, back);
  Eigen::Matrix3d R0, R1;
  Eigen::Vector3d t0, t1;
  cam.cam_from_world(R0, t0);
  back.cam_from_world(R1, t1);
  EXPECT_NEAR((R0 - R1).norm(), 0, 1e-12);
  EXPECT_NEAR((t0 - t1).norm(), 0, 1e-12);
  EXPECT_NEAR(back.focal.value[1], k.fy, 1e-12);
  EXPECT_NEAR(back.principal.value[0], k.cx, 1e-12);
  // The OpenGL matrices describe the same projection as the OpenCV part.
  Eigen::Matrix4d P, V;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      P(r, c) = j["opengl"]["projection"][r][c];
      V(r, c) = j["opengl"]["view"][r][c];
    }
  TensorD X({1, 3}), clip;
  X.at(0, 0) = 0.3;
  X.at(0, 1) = -0.2;
  X.at(0, 2) = 0.5;
  cam.forward(X, clip);
  const Eigen::Vector4d c = P * V * Eigen::Vector4d(0.3, -0.2, 0.5, 1);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(clip[i], c(i), 1e-9);

  ShadingD shade;
  shade.direction.value[0] = 0;
  shade.direction.value[1] = 3;
  shade.direction.value[2] = 4;
  const nlohmann::json l = lights_to_json(shade);
  EXPECT_NEAR(l["directional"]["direction"][1].get<double>(), 0.6, 1e-12);
  EXPECT_EQ(l["sh"]["coefficients"].size(), 3u);
  EXPECT_EQ(l["sh"]["coefficients"][0].size(), 9u);
  const fs::path d = out_dir("json");
  write_json((d / "scene.json").string(), {{"camera", j}, {"lights", l}});
  std::ifstream f(d / "scene.json");
  EXPECT_EQ(nlohmann::json::parse(f)["lights"]["directional"]["color"].size(), 3u);
}

TEST(SceneExport, ErrorsNameThePath) {
  const Mesh m = textured_sphere();
  const std::string missing = (fs::path(INVGFX_BINARY_DIR) / "no_such_folder_xyz" / "mesh.obj").string();
  for (auto write : std::vector<std::function<void()>>{[&] { export_obj(missing, m); },
                                                       [&] { export_glb(missing, m); },
                                                       [&] { export_ply(missing, m); },
                                                       [&] { write_json(missing, nlohmann::json::object()); }}) {
    try {
      write();
      ADD_FAILURE() << "expected an exception";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("no_such_folder_xyz"), std::string::npos) << e.what();
    }
  }
  try {
    load_obj<float>("/nonexistent/thing.obj");
    ADD_FAILURE() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/thing.obj"), std::string::npos);
  }
}

}  // namespace
}  // namespace invgfx
