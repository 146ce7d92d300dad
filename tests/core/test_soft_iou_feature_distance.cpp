// The loop's silhouette and perceptual loss nodes: soft IoU and feature distance. Analytic values,
// the awkward cases (empty silhouettes, binary masks, a perfect match), and central finite differences
// in double as graph nodes, w.r.t. both inputs.
//
// Tolerances: core/gradcheck.h's defaults (h = 1e-6, rtol 1e-5, atol 1e-8). Both losses are smooth
// rational or quadratic functions of O(1) sums in double: truncation error ~h²·|L'''| ≈ 1e-12 and
// rounding ~ε·|L|/h ≈ 1e-10, far below atol, while per-element gradients are ~1/numel ≈ 1e-3.
#include "core/feature_distance_loss.h"
#include "core/gradcheck.h"
#include "core/soft_iou_loss.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

namespace invgfx {
namespace {

using test::random_tensor;

GradCheckReport check(std::unique_ptr<LossD> loss, TensorD a, TensorD b, bool with_weight = false) {
  TensorD w = random_tensor(a.shape(), 5, 0.5, 2.0);
  LossNodeD node(std::move(loss), false, with_weight, 0.7);
  std::vector<TensorD*> in = {&a, &b};
  if (with_weight) in.push_back(&w);
  std::vector<bool> which(in.size(), false);
  which[0] = which[1] = true;
  return check_node<double>(node, in, {}, which);
}

TEST(SoftIouLoss, AnalyticValueAndEmptyAndPerfectCases) {
  // a = [1, 0.5, 0, 0], b = [1, 1, 0, 1]: I = 1.5, U = (1+1−1) + (0.5+1−0.5) + 0 + 1 = 3.
  TensorD a({1, 1, 1, 4}), b({1, 1, 1, 4});
  const double av[] = {1, 0.5, 0, 0}, bv[] = {1, 1, 0, 1};
  for (int i = 0; i < 4; ++i) a[i] = av[i], b[i] = bv[i];
  SoftIouLossD loss;
  TensorD ga({1, 1, 1, 4}, 0.0), gb({1, 1, 1, 4}, 0.0);
  EXPECT_DOUBLE_EQ(loss.evaluate(a, b, {}, &ga, &gb), 1 - 1.5 / 3);
  // ∂L/∂a_1 = −(b_1 U − I (1 − b_1)) / U² = −3/9; ∂L/∂a_2 (b = 0) = I/U² = 1.5/9.
  EXPECT_DOUBLE_EQ(ga[1], -3.0 / 9);
  EXPECT_DOUBLE_EQ(ga[2], 1.5 / 9);
  EXPECT_DOUBLE_EQ(gb[3], -(0 * 3 - 1.5 * 1) / 9);
  // A perfect binary match costs 0; two empty silhouettes agree (0, no NaN).
  EXPECT_DOUBLE_EQ(loss.forward(b, b, {}), 0.0);
  TensorD z({1, 1, 1, 4}, 0.0), gz({1, 1, 1, 4}, 0.0);
  EXPECT_DOUBLE_EQ(loss.evaluate(z, z, {}, &gz), 0.0);
  for (double g : gz) EXPECT_EQ(g, 0.0);
  // A mask is refused (the weight is the way to weigh pixels).
  LossWeighting<double> masked;
  masked.mask = &b;
  EXPECT_THROW(loss.forward(a, b, masked), std::invalid_argument);
}

TEST(SoftIouLoss, GradientsMatchFiniteDifferences) {
  const Shape s{2, 1, 7, 9};
  // Soft silhouettes against a soft and a binary mask, with and without a weight.
  TensorD a = random_tensor(s, 1), soft = random_tensor(s, 2), binary = random_tensor(s, 3);
  for (double& v : binary) v = v > 0.5 ? 1.0 : 0.0;
  for (const TensorD* b : {&soft, &binary})
    for (bool weight : {false, true}) {
      const GradCheckReport r = check(std::make_unique<SoftIouLossD>(), a, *b, weight);
      EXPECT_TRUE(r.ok) << r.message();
      EXPECT_GT(r.checked, 0);
    }
}

TEST(FeatureDistanceLoss, BatchValueIsTheMeanOfTheItemShares) {
  // Two items of 1×1×2: item 0 differs by (1, 3) → d_0 = 5; item 1 by (2, 0) → d_1 = 2.
  TensorD a({2, 1, 1, 2}, 0.0), b({2, 1, 1, 2}, 0.0);
  a[0] = 1, a[1] = 3, a[2] = 2;
  FeatureDistanceLossD loss;
  LossWeighting<double> w;
  w.scale = 0.5;
  TensorD ga(a.shape(), 0.0), gb(a.shape(), 0.0);
  EXPECT_DOUBLE_EQ(loss.evaluate(a, b, w, &ga, &gb), 0.5 * (5 + 2) / 2);
  ASSERT_EQ(loss.item_values().size(), 2u);
  EXPECT_DOUBLE_EQ(loss.item_values()[0], 0.5 * 5);
  EXPECT_DOUBLE_EQ(loss.item_values()[1], 0.5 * 2);
  // ∂L/∂a = 2s(a − b)/(N·C·H·W) = −∂L/∂b.
  EXPECT_DOUBLE_EQ(ga[1], 2 * 0.5 * 3 / 4);
  EXPECT_DOUBLE_EQ(gb[1], -ga[1]);
  // Equal features: 0 for every item.
  EXPECT_DOUBLE_EQ(loss.forward(a, a, {}), 0.0);
  for (double v : loss.item_values()) EXPECT_EQ(v, 0.0);
  LossWeighting<double> weighted;
  weighted.weight = &a;
  EXPECT_THROW(loss.forward(a, b, weighted), std::invalid_argument);
}

TEST(FeatureDistanceLoss, GradientsMatchFiniteDifferences) {
  const Shape s{3, 4, 5, 6};
  const GradCheckReport r =
      check(std::make_unique<FeatureDistanceLossD>(), random_tensor(s, 11, -1, 1), random_tensor(s, 12, -1, 1));
  EXPECT_TRUE(r.ok) << r.message();
  EXPECT_GT(r.checked, 0);
}

}  // namespace
}  // namespace invgfx
