// Same input → same gradients, bit for bit, at any thread count: the scene stages with parallel
// backward passes run at sizes above their parallel thresholds with 1 and 2 OpenMP threads.
#include "core/random.h"
#include "render/camera.h"
#include "render/mesh_templates.h"
#include "render/regularizers.h"
#include "render/shading.h"
#include "render/texture.h"
#include "render/vertex_normals.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <functional>

namespace invgfx {
namespace {

// Runs `f` with 1 and then 2 threads and expects identical output vectors.
void expect_thread_invariant(const char* what, const std::function<std::vector<float>()>& f) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<float> one = f();
  omp_set_num_threads(2);
  const std::vector<float> two = f();
  omp_set_num_threads(saved);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) ASSERT_EQ(one[i], two[i]) << what << " element " << i;
}

std::vector<float> flat(std::initializer_list<const Tensor*> ts) {
  std::vector<float> v;
  for (const Tensor* t : ts) v.insert(v.end(), t->begin(), t->end());
  return v;
}

TEST(SceneDeterminism, ShadingTextureNormalsCameraRegularizers) {
  const int n = 320;  // 102400 pixels: above every parallel threshold, four texture bands
  Rng rng(41);
  Tensor albedo({3, n, n}), normals({3, n, n}), view({3, n, n}), uv({2, n, n}), w({3, n, n});
  rng.fill_uniform(albedo, 0, 1);
  rng.fill_uniform(normals, -1, 1);
  rng.fill_uniform(view, -1, 1);
  rng.fill_uniform(uv, -0.5, 1.5);
  rng.fill_uniform(w, -1, 1);
  expect_thread_invariant("shading", [&] {
    ShadingOptions o;
    o.spherical_harmonics = o.specular = true;
    Shading s(o);
    s.sh.value.fill(0.1f);
    Tensor out, dA({3, n, n}, 0.f), dN({3, n, n}, 0.f), dV({3, n, n}, 0.f);
    s.forward({&albedo, &normals, &view}, {&out});
    s.backward({&albedo, &normals, &view}, {&out}, {&w}, {&dA, &dN, &dV});
    return flat({&out, &dA, &dN, &dV, &s.ambient.grad, &s.direction.grad, &s.color.grad, &s.sh.grad,
                 &s.specular_strength.grad, &s.shininess.grad});
  });
  expect_thread_invariant("texture", [&] {
    TextureOptions o;
    o.mip_levels = 0;
    o.lod = 0.7;
    Texture t(3, 64, 64, o);
    Rng r(42);
    r.fill_uniform(t.texels.value, 0, 1);
    Tensor out, duv({2, n, n}, 0.f);
    t.forward(uv, out);
    t.backward(uv, out, w, &duv);
    return flat({&out, &duv, &t.texels.grad});
  });
  const Mesh m = make_icosphere(5);  // 10242 vertices, 20480 faces
  expect_thread_invariant("mesh stages", [&] {
    VertexNormals vn(m.faces);
    Tensor nrm, g(m.positions.shape(), 0.5f), dp(m.positions.shape(), 0.f);
    vn.forward(m.positions, nrm);
    vn.backward(m.positions, nrm, g, &dp);
    Camera cam;
    Tensor clip, dclip, dpc(m.positions.shape(), 0.f);
    cam.forward(m.positions, clip);
    dclip.resize(clip.shape());
    Rng r(43);
    r.fill_uniform(dclip, -1, 1);
    cam.backward(m.positions, clip, dclip, &dpc);
    MeshRegularizer reg(m.faces, m.num_vertices());
    reg.set_mirror(m.positions);
    Tensor dr(m.positions.shape(), 0.f);
    Tensor val({4});
    val[0] = reg.laplacian(m.positions, &dr);
    val[1] = reg.edge_length(m.positions, &dr);
    val[2] = reg.normal_consistency(m.positions, &dr);
    val[3] = reg.symmetry(m.positions, &dr);
    return flat({&nrm, &dp, &clip, &dpc, &cam.orbit.grad, &cam.focal.grad, &dr, &val});
  });
}

}  // namespace
}  // namespace invgfx
