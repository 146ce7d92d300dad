// Mesh regularizers: analytic values on small meshes and double-precision finite-difference checks
// of every term on a randomly perturbed icosphere.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/mesh_templates.h"
#include "render/regularizers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace invgfx {
namespace {

// All four losses are smooth (polynomial, or rational through normalisation) where no edge or face
// is degenerate; double central differences with h = 1e-6 agree to ~1e-9 relative.
GradCheckOptions fd_options() {
  GradCheckOptions o;
  o.rtol = 1e-6;
  o.atol = 1e-10;
  return o;
}

using Term = std::function<double(const TensorD&, TensorD*)>;

GradCheckReport check_term(const std::string& what, TensorD p, const Term& term) {
  TensorD grad(p.shape(), 0.0);
  term(p, &grad);
  return check_gradient<double>(what, p.data(), p.numel(), grad.data(), [&] { return term(p, nullptr); }, fd_options());
}

MeshD perturbed_sphere(uint64_t seed) {
  MeshD m = make_icosphere<double>(1);
  Rng rng(seed);
  for (auto& v : m.positions) v += rng.uniform_d(-0.08, 0.08);
  return m;
}

TEST(SceneRegularizers, AnalyticValues) {
  // Unit-square-ish plane 2×2: four sides of length 2 and one diagonal of 2√2:
  // mean squared length (4·4 + 8)/5 = 4.8; with target 2, only the diagonal counts: (2√2 − 2)²/5.
  const MeshD plane = make_plane<double>(2, 2);
  MeshRegularizerD reg(plane.faces, plane.num_vertices());
  EXPECT_EQ(reg.num_edges(), 5);
  EXPECT_NEAR(reg.edge_length(plane.positions, nullptr), 4.8, 1e-12);
  EXPECT_NEAR(reg.edge_length(plane.positions, nullptr, 1, 2), std::pow(2 * std::sqrt(2.0) - 2, 2) / 5, 1e-12);
  EXPECT_NEAR(reg.normal_consistency(plane.positions, nullptr), 0, 1e-15);
  // Fold the plane 90° along its diagonal bl–tr (through the origin): move br (vertex 3, only in the
  // second face) to (0, 0, √2), so that face lies in the plane spanned by the diagonal and z.
  // One face pair, 1 − cos 90° = 1, times the weight 3.
  MeshD folded = plane;
  folded.positions.at(3, 0) = 0;
  folded.positions.at(3, 1) = 0;
  folded.positions.at(3, 2) = std::sqrt(2.0);
  EXPECT_NEAR(reg.normal_consistency(folded.positions, nullptr, 3.0), 3.0, 1e-12);
  // Uniform Laplacian scales with the square of the size.
  const MeshD s1 = make_icosphere<double>(2, 1.0), s2 = make_icosphere<double>(2, 2.5);
  MeshRegularizerD rs(s1.faces, s1.num_vertices());
  const double l1 = rs.laplacian(s1.positions, nullptr);
  EXPECT_GT(l1, 0);
  EXPECT_NEAR(rs.laplacian(s2.positions, nullptr), 6.25 * l1, 1e-12);
}

TEST(SceneRegularizers, SymmetryOfTheIcosphereTemplate) {
  const MeshD m = make_icosphere<double>(3);
  MeshRegularizerD reg(m.faces, m.num_vertices());
  reg.set_mirror(m.positions);
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    const int32_t j = reg.mirror()[static_cast<size_t>(i)];
    EXPECT_NEAR(m.positions.at(j, 0), -m.positions.at(i, 0), 1e-12);
  }
  EXPECT_NEAR(reg.symmetry(m.positions, nullptr), 0, 1e-24);
  // Shift by 0.1 in x: every pair is off by 0.2, so L = 0.04.
  TensorD shifted = m.positions;
  for (int64_t i = 0; i < m.num_vertices(); ++i) shifted.at(i, 0) += 0.1;
  EXPECT_NEAR(reg.symmetry(shifted, nullptr), 0.04, 1e-12);
  // A lopsided reference has no mirror.
  TensorD lop = m.positions;
  lop.at(5, 0) += 0.3;
  EXPECT_THROW(reg.set_mirror(lop), std::invalid_argument);
}

TEST(SceneRegularizers, GradientsOfEveryTerm) {
  const MeshD ref = make_icosphere<double>(1);
  const MeshD m = perturbed_sphere(21);
  MeshRegularizerD reg(m.faces, m.num_vertices());
  reg.set_mirror(ref.positions);
  const std::pair<const char*, Term> terms[] = {
      {"laplacian", [&](const TensorD& p, TensorD* g) { return reg.laplacian(p, g, 1.7); }},
      {"edge_length", [&](const TensorD& p, TensorD* g) { return reg.edge_length(p, g, 0.5); }},
      {"edge_length_target", [&](const TensorD& p, TensorD* g) { return reg.edge_length(p, g, 0.5, 0.6); }},
      {"normal_consistency", [&](const TensorD& p, TensorD* g) { return reg.normal_consistency(p, g, 2.0); }},
      {"symmetry", [&](const TensorD& p, TensorD* g) { return reg.symmetry(p, g, 1.3); }},
  };
  for (const auto& [name, term] : terms) {
    const GradCheckReport r = check_term(name, m.positions, term);
    EXPECT_TRUE(r.ok) << name << ": " << r.message();
    EXPECT_EQ(r.checked, 42 * 3) << name;
  }
}

TEST(SceneRegularizers, GradientsAccumulateAndShapesAreChecked) {
  const MeshD m = perturbed_sphere(22);
  MeshRegularizerD reg(m.faces, m.num_vertices());
  TensorD g1(m.positions.shape(), 0.0), g2(m.positions.shape(), 0.0);
  reg.laplacian(m.positions, &g1);
  reg.laplacian(m.positions, &g2);
  reg.laplacian(m.positions, &g2);
  for (int64_t i = 0; i < g1.numel(); ++i) EXPECT_NEAR(g2[i], 2 * g1[i], 1e-15);
  TensorD bad({3, 3});
  EXPECT_THROW(reg.laplacian(bad, nullptr), std::invalid_argument);
  EXPECT_THROW(reg.symmetry(m.positions, nullptr), std::logic_error);
  EXPECT_THROW(MeshRegularizerD({0, 1, 9}, 3), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
