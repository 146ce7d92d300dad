// The scene model wired to the rasterizer: camera → rasterize → interpolate (UVs with their own
// index, normals) → texture → shading. Golden values (a sphere's silhouette against the analytic disc,
// image orientation, Lambert on a plane) and an end-to-end double-precision gradient check of the
// chain's interior (barycentric) gradients to every camera parameter and to the vertex positions.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/camera.h"
#include "render/interpolate.h"
#include "render/mesh_templates.h"
#include "render/rasterize.h"
#include "render/shading.h"
#include "render/texture.h"
#include "render/vertex_normals.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

// The benchmark scene (tests/bench/README.md): radius 1, 2.7 units in front of a 60° camera. A sphere's outline under a
// pinhole camera is a circle of angular radius asin(r/d) about the axis, i.e. of radius
// f·r/√(d² − r²) px on the image; the level-4 icosphere is inscribed, which loses ≈ 0.2% of the area.
TEST(ScenePipeline, SphereSilhouetteMatchesTheAnalyticDisc) {
  const int n = 128;
  Camera cam(CameraIntrinsics::from_vertical_fov(M_PI / 3, n, n));
  cam.set_orbit(0, 0, 2.7f);
  const Mesh m = make_icosphere(4);
  Tensor clip;
  cam.forward(m.positions, clip);
  Rasterizer rz;
  RasterOutput r;
  rz.forward(clip, m.faces, {n, n}, r);
  const double f = cam.focal.value[1];
  const double R = f / std::sqrt(2.7 * 2.7 - 1);
  EXPECT_NEAR(static_cast<double>(r.covered_pixels()), M_PI * R * R, 0.015 * M_PI * R * R);
}

TEST(ScenePipeline, ImageIsUprightAndNotMirrored) {
  const int n = 64;
  Camera cam(CameraIntrinsics::from_vertical_fov(M_PI / 3, n, n));
  cam.set_orbit(0, 0, 4);
  Mesh m = make_icosphere(3, 0.3f);
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    m.positions.at(i, 0) += 0.6f;  // right
    m.positions.at(i, 1) += 0.8f;  // up
  }
  Tensor clip, px;
  cam.forward(m.positions, clip);
  Rasterizer rz;
  RasterOutput r;
  rz.forward(clip, m.faces, {n, n}, r);
  double sx = 0, sy = 0;
  for (int32_t p : r.face_pixels) sx += p % n, sy += p / n;
  ASSERT_GT(r.covered_pixels(), 0);
  sx /= static_cast<double>(r.covered_pixels());
  sy /= static_cast<double>(r.covered_pixels());
  // The centre projects to (cx + f·0.6/4, cy − f·0.8/4); the disc's centroid sits within a pixel of it.
  Tensor centre({1, 3});
  centre.at(0, 0) = 0.6f;
  centre.at(0, 1) = 0.8f;
  centre.at(0, 2) = 0;
  cam.project_to_pixels(centre, px);
  EXPECT_GT(px.at(0, 0), 31.5);
  EXPECT_LT(px.at(0, 1), 31.5);
  EXPECT_NEAR(sx, px.at(0, 0), 1.0);
  EXPECT_NEAR(sy, px.at(0, 1), 1.0);
}

TEST(ScenePipeline, LambertOnAPlaneFacingTheCamera) {
  const int n = 64;
  Camera cam(CameraIntrinsics::from_vertical_fov(M_PI / 3, n, n));
  cam.set_orbit(0, 0, 3);
  const Mesh m = make_plane(2.f, 2.f);
  Tensor clip, normals_img, uv_img, albedo, out;
  cam.forward(m.positions, clip);
  Rasterizer rz;
  RasterOutput r;
  rz.forward(clip, m.faces, {n, n}, r);
  Interpolator ip;
  ip.forward(m.normals, m.faces, r, normals_img);
  ip.forward(m.uvs, m.faces, r, uv_img);
  Texture tex(3, 4, 4);
  tex.texels.value.fill(0.5f);
  tex.forward(uv_img, albedo);
  Shading shade;
  shade.ambient.value.fill(0.1f);
  shade.color.value.fill(0.8f);
  shade.direction.value[0] = 0;
  shade.direction.value[1] = 0;
  shade.direction.value[2] = 1;
  shade.forward({&albedo, &normals_img}, {&out});
  // The plane's half-width projects to f·1/3 px about the centre: a square of side 2f/3.
  const double side = 2 * cam.focal.value[0] / 3;
  EXPECT_NEAR(static_cast<double>(r.covered_pixels()), side * side, 2 * side + 4);
  for (int32_t p : r.face_pixels)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(out[c * n * n + p], 0.5 * (0.1 + 0.8), 1e-5);
  EXPECT_NEAR(out[0], 0.5 * 0.1, 1e-6);  // background: zero normal, ambient only
}

// Everything in double; loss = Σ w·shade(texture(uv), normals). Coverage is piecewise constant, so
// for h = 1e-6 no pixel changes face (checked: the same pixel count after every probe would be
// needed otherwise) and central differences see exactly the interior gradient the chain computes.
struct Chain {
  MeshD mesh = make_icosphere<double>(1, 1.0);
  CameraD camera{CameraIntrinsics::from_vertical_fov(M_PI / 3, 24, 24)};
  VertexNormalsD normals_node;
  RasterizerD rz;
  InterpolatorD ip;
  TextureD texture{3, 8, 16};
  ShadingD shading{[] {
    ShadingOptions o;
    o.spherical_harmonics = true;
    return o;
  }()};
  TensorD w;
  // Forward state.
  TensorD normals, clip, uv_img, n_img, albedo, out;
  RasterOutputD r;

  Chain() {
    Rng rng(31);
    for (auto& v : mesh.positions) v *= 1 + 0.05 * rng.uniform_d(-1, 1);
    camera.set_orbit(0.3, 0.2, 2.9, 0.1, Eigen::Vector3d(0.05, -0.02, 0.0));
    normals_node.set_faces(mesh.faces);
    rng.fill_uniform(texture.texels.value, 0, 1);
    rng.fill_uniform(shading.sh.value, -0.3, 0.3);
    w.resize({3, 24, 24});
    rng.fill_uniform(w, -1, 1);
  }
  double loss() {
    normals_node.forward(mesh.positions, normals);
    camera.forward(mesh.positions, clip);
    rz.forward(clip, mesh.faces, {24, 24}, r);
    ip.forward(mesh.uvs, mesh.uv_faces, r, uv_img);
    ip.forward(normals, mesh.faces, r, n_img);
    texture.forward(uv_img, albedo);
    shading.forward({&albedo, &n_img}, {&out});
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  }
  void backward(TensorD& dL_dworld) {
    TensorD d_albedo(albedo.shape(), 0.0), d_nimg(n_img.shape(), 0.0), d_uv(uv_img.shape(), 0.0);
    shading.backward({&albedo, &n_img}, {&out}, {&w}, {&d_albedo, &d_nimg});
    texture.backward(uv_img, albedo, d_albedo, &d_uv);
    TensorD d_rast({4, 24, 24}, 0.0), d_normals(normals.shape(), 0.0), d_clip(clip.shape(), 0.0);
    ip.backward(mesh.uvs, mesh.uv_faces, r, d_uv, nullptr, &d_rast);
    ip.backward(normals, mesh.faces, r, d_nimg, &d_normals, &d_rast);
    rz.backward(clip, mesh.faces, r, d_rast, d_clip);
    dL_dworld.resize(mesh.positions.shape());
    dL_dworld.zero();
    camera.backward(mesh.positions, clip, d_clip, &dL_dworld);
    normals_node.backward(mesh.positions, normals, d_normals, &dL_dworld);
  }
};

TEST(ScenePipeline, EndToEndGradientsToCameraAndPositions) {
  Chain c;
  const double l0 = c.loss();
  const int64_t covered = c.r.covered_pixels();
  ASSERT_GT(covered, 100);
  for (ParameterD* p : collect_parameters<double>(c.camera)) p->zero_grad();
  TensorD dL_dworld;
  c.backward(dL_dworld);
  // Double precision, h = 1e-6, smooth interior: agreement to ~1e-8; rtol 1e-5 for margin over
  // the long chain.
  GradCheckOptions o;
  o.rtol = 1e-5;
  o.atol = 1e-8;
  GradCheckReport all;
  for (ParameterD* p : collect_parameters<double>(c.camera))
    all.merge(check_gradient<double>("camera." + p->name, p->value.data(), p->value.numel(), p->grad.data(),
                                     [&] { return c.loss(); }, o));
  all.merge(check_gradient<double>("positions", c.mesh.positions.data(), c.mesh.positions.numel(), dL_dworld.data(),
                                   [&] { return c.loss(); }, o));
  EXPECT_NEAR(c.loss(), l0, 1e-12);
  EXPECT_EQ(c.r.covered_pixels(), covered);
  EXPECT_TRUE(all.ok) << all.message();
  EXPECT_EQ(all.checked, 2 + 2 + 4 + 3 + 42 * 3);
}

}  // namespace
}  // namespace invgfx
