// Shading and vertex normals: analytic values (Lambert at known normals, SH of a constant
// environment, sphere normals) and double-precision finite-difference checks of every input and
// every light parameter, including back-facing normals where Lambert clamps.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/mesh_templates.h"
#include "render/shading.h"
#include "render/vertex_normals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace invgfx {
namespace {

// Central differences in double with h = 1e-6 on smooth pieces agree to ~1e-9; rtol 1e-6 leaves
// margin for the pow/log terms of the specular lobe. Random normals avoid the n·l = 0 kink by far
// more than h.
GradCheckOptions fd_options() {
  GradCheckOptions o;
  o.rtol = 1e-6;
  o.atol = 1e-9;
  return o;
}

TensorD image(int64_t h, int64_t w, double lo, double hi, uint64_t seed) {
  TensorD t({3, h, w});
  Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}

void set_pixel(TensorD& t, int64_t i, double x, double y, double z) {
  const int64_t hw = t.dim(1) * t.dim(2);
  t[i] = x;
  t[hw + i] = y;
  t[2 * hw + i] = z;
}

TEST(SceneShading, LambertAtKnownNormals) {
  ShadingD shade;
  shade.ambient.value.fill(0.1);
  shade.color.value.fill(0.8);
  shade.direction.value[0] = 0;
  shade.direction.value[1] = 0;
  shade.direction.value[2] = 2;  // any length: normalised
  TensorD albedo({3, 1, 4}, 0.5), normals({3, 1, 4}), out;
  set_pixel(normals, 0, 0, 0, 3);                       // facing the light: 0.5·(0.1 + 0.8)
  set_pixel(normals, 1, 1, 0, 1);                       // 45°: 0.5·(0.1 + 0.8/√2)
  set_pixel(normals, 2, 1, 0, 0);                       // grazing: ambient only
  set_pixel(normals, 3, 0, 0.6, -0.8);                  // back-facing: clamped to ambient only
  shade.forward({&albedo, &normals}, {&out});
  EXPECT_NEAR(out[0], 0.45, 1e-12);
  EXPECT_NEAR(out[1], 0.5 * (0.1 + 0.8 / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(out[2], 0.05, 1e-12);
  EXPECT_NEAR(out[3], 0.05, 1e-12);
}

// A constant environment of radiance L has L00 = L·∫Y00 dω = L·0.282095·4π, and then E = c4·L00 = πL
// (R&H 2001 eq. 13), so the SH term alone shades to albedo·L at every normal; the constants are
// given to 6 digits in the paper, hence 1e-5.
TEST(SceneShading, ShOfAConstantEnvironmentIsTheEnvironment) {
  ShadingOptions o;
  o.ambient = o.directional = false;
  o.spherical_harmonics = true;
  ShadingD shade(o);
  const double L[3] = {0.2, 0.5, 1.5};
  for (int c = 0; c < 3; ++c) shade.sh.value[9 * c] = L[c] * 0.282095 * 4 * std::numbers::pi;
  TensorD albedo = image(3, 3, 0.1, 0.9, 1), normals = image(3, 3, -1, 1, 2), out;
  shade.forward({&albedo, &normals}, {&out});
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 9; ++i) EXPECT_NEAR(out[c * 9 + i], albedo[c * 9 + i] * L[c], 1e-5);
  // A linear (l = 1) environment L = z·k gives E(n) = 2c2·L10·z, largest facing +z.
  ShadingD lin(o);
  lin.sh.value[2] = 1;
  EXPECT_NEAR(ShadingD::irradiance(lin.sh.value.data(), 0, 0, 1), 2 * 0.511664, 1e-12);
  EXPECT_NEAR(ShadingD::irradiance(lin.sh.value.data(), 0, 0, -1), -2 * 0.511664, 1e-12);
}

TEST(SceneShading, ZeroNormalsGiveFiniteOutputAndNoGradient) {
  ShadingOptions o;
  o.spherical_harmonics = o.specular = true;
  ShadingD shade(o);
  TensorD albedo({3, 2, 2}, 0.5), normals({3, 2, 2}, 0.0), view({3, 2, 2}, 0.0), out;
  shade.forward({&albedo, &normals, &view}, {&out});
  for (double v : out) EXPECT_TRUE(std::isfinite(v));
  TensorD g({3, 2, 2}, 1.0), dN({3, 2, 2}, 0.0);
  shade.backward({&albedo, &normals, &view}, {&out}, {&g}, {nullptr, &dN, nullptr});
  for (double v : dN) EXPECT_EQ(v, 0.0);
}

TEST(SceneShading, GradientsLambertAmbientIncludingBackFacing) {
  ShadingD shade;
  TensorD albedo = image(3, 4, 0.1, 0.9, 3), normals = image(3, 4, -1, 1, 4);
  set_pixel(normals, 0, -0.3, -0.5, -1);  // surely back-facing for the default light
  const GradCheckReport r = check_node<double>(shade, {&albedo, &normals}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
  EXPECT_EQ(r.checked, 36 + 36 + 3 + 3 + 3);
}

TEST(SceneShading, GradientsAllTermsWithSpecularAndSh) {
  ShadingOptions o;
  o.spherical_harmonics = o.specular = true;
  ShadingD shade(o);
  Rng rng(5);
  rng.fill_uniform(shade.sh.value, -0.5, 0.5);
  shade.shininess.value[0] = 7.5;
  shade.specular_strength.value[0] = 0.6;
  TensorD albedo = image(3, 4, 0.1, 0.9, 6), normals = image(3, 4, -1, 1, 7), view = image(3, 4, -1, 1, 8);
  // Make several pixels face both the light and the eye so the specular lobe is exercised.
  for (int64_t i = 0; i < 6; ++i) {
    set_pixel(normals, i, 0.2 + 0.05 * i, 0.4, 1);
    set_pixel(view, i, 0.1, 0.3 - 0.1 * i, 1);
  }
  const GradCheckReport r = check_node<double>(shade, {&albedo, &normals, &view}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
  EXPECT_EQ(r.checked, 3 * 36 + 3 + 3 + 3 + 27 + 1 + 1);
}

TEST(SceneShading, SpecularNeedsTheViewInput) {
  ShadingOptions o;
  o.specular = true;
  ShadingD shade(o);
  TensorD albedo({3, 2, 2}, 0.5), normals({3, 2, 2}, 1.0), out;
  EXPECT_THROW(shade.forward({&albedo, &normals}, {&out}), std::invalid_argument);
}

TEST(SceneNormals, IcosphereNormalsAreNearlyRadial) {
  const MeshD m = make_icosphere<double>(3, 2.0);
  VertexNormalsD vn(m.faces);
  TensorD n;
  vn.forward(m.positions, n);
  double worst = 0;
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    double dot = 0;
    for (int k = 0; k < 3; ++k) dot += n.at(i, k) * m.normals.at(i, k);
    worst = std::max(worst, 1 - dot);
  }
  EXPECT_LT(worst, 1e-3);  // area-weighted facet normals of a level-3 sphere: within ~2.5° of radial
  // A flat grid: exactly +z everywhere.
  const MeshD g = make_grid<double>(3, 2);
  vn.set_faces(g.faces);
  vn.forward(g.positions, n);
  for (int64_t i = 0; i < g.num_vertices(); ++i) EXPECT_NEAR(n.at(i, 2), 1, 1e-15);
}

TEST(SceneNormals, GradientsOnAPerturbedMesh) {
  MeshD m = make_icosphere<double>(1);
  Rng rng(9);
  for (auto& v : m.positions) v += rng.uniform_d(-0.1, 0.1);
  VertexNormalsD vn(m.faces);
  const GradCheckReport r = check_node<double>(vn, {&m.positions}, fd_options());
  EXPECT_TRUE(r.ok) << r.message();
  EXPECT_EQ(r.checked, 42 * 3);
  // An isolated vertex (in no face) gets a zero normal, not NaN.
  TensorD p({4, 3}, 0.0), n;
  p.at(1, 0) = 1;
  p.at(2, 1) = 1;
  vn.set_faces({0, 1, 2});
  vn.forward(p, n);
  EXPECT_EQ(n.at(3, 0), 0.0);
  EXPECT_NEAR(n.at(0, 2), 1.0, 1e-15);
}

}  // namespace
}  // namespace invgfx
