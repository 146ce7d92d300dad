// The Large Steps parameterisation (render/large_steps.h): u ↔ v round trip, the backward against
// central finite differences in double, the matrix it applies (I + λL with the combinatorial
// Laplacian, checked on a single triangle by hand), and the smoothing of a gradient spike.
#include "render/large_steps.h"

#include "core/gradcheck.h"
#include "render/mesh_templates.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

namespace invgfx {
namespace {

TEST(LargeSteps, RoundTripRecoversThePositions) {
  const MeshD m = make_icosphere<double>(2, 1.0);
  const LargeStepsD ls(m.faces, m.num_vertices(), 20.0);
  TensorD u, v;
  ls.to_u(m.positions, u);
  ls.to_v(u, v);
  for (int64_t i = 0; i < v.numel(); ++i) ASSERT_NEAR(v[i], m.positions[i], 1e-10);
}

// One triangle, λ = 2: every vertex has degree 2, so (I + λL) = [[5, −2, −2], [−2, 5, −2], [−2, −2, 5]];
// v = (1, 0, 0) per coordinate gives u = (5, −2, −2).
TEST(LargeSteps, AppliesIdentityPlusLambdaTimesTheCombinatorialLaplacian) {
  const std::vector<int32_t> tri = {0, 1, 2};
  const LargeStepsD ls(tri, 3, 2.0);
  TensorD v({3, 3}, 0.0), u;
  v[0] = v[1] = v[2] = 1;  // vertex 0 = (1, 1, 1)
  ls.to_u(v, u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_DOUBLE_EQ(u[c], 5);
    EXPECT_DOUBLE_EQ(u[3 + c], -2);
    EXPECT_DOUBLE_EQ(u[6 + c], -2);
  }
  EXPECT_THROW(LargeStepsD(tri, 2, 1.0), std::invalid_argument);
  EXPECT_THROW(LargeStepsD(tri, 3, -1.0), std::invalid_argument);
}

// L = Σ w ⊙ v(u) with random w: dL/du from backward against central differences (h = 1e-6,
// rtol 1e-6, atol 1e-9: the map is linear, so only rounding separates them).
TEST(LargeSteps, BackwardMatchesFiniteDifferences) {
  const MeshD m = make_icosphere<double>(1, 1.0);
  for (double lambda : {0.0, 1.0, 25.0}) {
    const LargeStepsD ls(m.faces, m.num_vertices(), lambda);
    TensorD u = test::random_tensor({m.num_vertices(), 3}, 3, -1, 1);
    const TensorD w = test::random_tensor({m.num_vertices(), 3}, 4, -1, 1);
    TensorD v, g;
    auto loss = [&] {
      ls.to_v(u, v);
      double s = 0;
      for (int64_t i = 0; i < v.numel(); ++i) s += w[i] * v[i];
      return s;
    };
    ls.backward(w, g);
    GradCheckOptions o;
    o.rtol = 1e-6;
    o.atol = 1e-9;
    const GradCheckReport r = check_gradient<double>("u", u.data(), u.numel(), g.data(), loss, o);
    EXPECT_TRUE(r.ok) << "lambda " << lambda << ": " << r.message();
  }
}

// A gradient on one vertex alone reaches its neighbours through the solve (the diffusion that makes
// the steps smooth), with the largest share on the vertex itself.
TEST(LargeSteps, SpreadsASpikeOverTheNeighbourhood) {
  const MeshD m = make_icosphere<double>(2, 1.0);
  const LargeStepsD ls(m.faces, m.num_vertices(), 10.0);
  TensorD d({m.num_vertices(), 3}, 0.0), g;
  d[0] = 1;
  ls.backward(d, g);
  const int32_t nb = m.faces[0] == 0 ? m.faces[1] : m.faces[0];
  EXPECT_GT(g[0], g[3 * nb]);
  EXPECT_GT(g[3 * nb], 1e-3 * g[0]);
  double sum = 0;
  for (int64_t i = 0; i < m.num_vertices(); ++i) sum += g[3 * i];
  EXPECT_NEAR(sum, 1.0, 1e-9);  // the Laplacian's rows sum to 0, so (I + λL)⁻¹ keeps the total
}

}  // namespace
}  // namespace invgfx
