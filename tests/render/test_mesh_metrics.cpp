// Mesh comparison (render/mesh_metrics.h) against values computed by hand: a mesh against itself, a
// sphere against a concentric one of another radius (every distance is the radius difference), and a
// shifted copy beyond the F-score threshold.
#include "render/mesh_metrics.h"

#include "render/mesh_templates.h"

#include <gtest/gtest.h>

namespace invgfx {
namespace {

TEST(MeshMetrics, IdenticalMeshesScorePerfectly) {
  const Mesh m = make_icosphere<float>(3, 1.f);
  const MeshComparison c = compare_meshes(m, m, 4000);
  EXPECT_NEAR(c.radius, 1.0, 1e-6);
  // Sampling only: the mean distance to the nearest of ρ uniform random points per unit area is
  // 1/(2√ρ); ρ = 40 000/4π gives 0.0089.
  EXPECT_LT(c.chamfer_l1, 0.0095);
  EXPECT_GT(c.chamfer_l1, 0.0080);
  EXPECT_GT(c.fscore, 0.999);
  EXPECT_GT(c.normal_consistency, 0.99);
}

// Spheres of radius 1 (truth) and 1.1: every reconstruction sample is ≈ 0.1 from the truth surface
// and vice versa (the flat faces of a level-4 icosphere sit within 0.3% of the sphere), so the Chamfer
// distance is ≈ 0.1 radii plus the sampling spacing, and nothing lies within 0.05 radii.
TEST(MeshMetrics, ConcentricSpheresAreTheirRadiusDifferenceApart) {
  const Mesh truth = make_icosphere<float>(4, 1.f), rec = make_icosphere<float>(4, 1.1f);
  const MeshComparison c = compare_meshes(rec, truth, 4000);
  EXPECT_NEAR(c.chamfer_l1, 0.1, 0.012);
  EXPECT_GE(c.chamfer_l1, 0.095);
  EXPECT_DOUBLE_EQ(c.fscore, 0.0);
  EXPECT_GT(c.normal_consistency, 0.98);
  // Twice the threshold reaches every sample.
  EXPECT_DOUBLE_EQ(compare_meshes(rec, truth, 4000, 0.2).fscore, 1.0);
}

TEST(MeshMetrics, ScaleFreeInUnitsOfTheTruthRadius) {
  Mesh a = make_icosphere<float>(3, 1.f), b = make_icosphere<float>(3, 1.2f);
  const double c1 = compare_meshes(b, a, 3000).chamfer_l1;
  for (float& v : a.positions) v *= 10;
  for (float& v : b.positions) v *= 10;
  EXPECT_NEAR(compare_meshes(b, a, 3000).chamfer_l1, c1, 1e-6);  // float positions
}

}  // namespace
}  // namespace invgfx
