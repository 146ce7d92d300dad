// Image losses: analytic values, finite-difference checks in double of every loss as a graph node
// (batch 2, with and without masks and weights; w.r.t. pred, target and mask), the awkward points (L1's kink,
// Charbonnier at equality, SSIM on flat patches, images smaller than the window), a brute-force
// reference for SSIM's windowed statistics, precision agreement and determinism, and bad input.
//
// Tolerances of the finite-difference checks: the defaults of core/gradcheck.h (h = 1e-6, rtol 1e-5,
// atol 1e-8). The losses are O(1) sums of smooth terms in double, so the central difference has
// truncation error ~h²·|L'''| ≈ 1e-12 and rounding error ~ε·|L|/h ≈ 1e-10, both far below atol, while
// per-element gradients are ~1/numel ≈ 1e-3: a wrong factor or index shows up as ratio ≫ 1.
#include "core/charbonnier_loss.h"
#include "core/gradcheck.h"
#include "core/graph.h"
#include "core/l1_loss.h"
#include "core/mse_loss.h"
#include "core/random.h"
#include "core/ssim_loss.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>

namespace invgfx {
namespace {

using test::random_tensor;

// The mask and weight variants every loss is checked with.
enum class Variant { kPlain, kSoftMaskPerImage, kBinaryMaskPerChannel, kSharedMaskAndWeight };

struct Case {
  Variant variant;
  const char* label;
};
constexpr Case kCases[] = {{Variant::kPlain, "plain"},
                           {Variant::kSoftMaskPerImage, "soft mask N×1×H×W"},
                           {Variant::kBinaryMaskPerChannel, "binary mask N×C×H×W"},
                           {Variant::kSharedMaskAndWeight, "shared mask 1×H×W + weight N×1×H×W + scale"}};

// Runs check_node on the loss wrapped as a LossNode, for pred, target and the mask (the weight is a
// constant and is not checked).
GradCheckReport check_loss(std::function<std::unique_ptr<LossD>()> make, TensorD pred, TensorD target,
                           Variant v, const GradCheckOptions& opt = {}) {
  const Dims4 d = as4d(pred.shape());
  TensorD mask, weight;
  std::vector<TensorD*> inputs = {&pred, &target};
  bool with_mask = false, with_weight = false;
  double scale = 1.0;
  switch (v) {
    case Variant::kPlain:
      break;
    case Variant::kSoftMaskPerImage:
      mask = random_tensor({d.n, 1, d.h, d.w}, 77, 0.0, 1.0);
      with_mask = true;
      break;
    case Variant::kBinaryMaskPerChannel:
      mask = random_tensor({d.n, d.c, d.h, d.w}, 78);
      for (double& m : mask) m = m > 0.4 ? 1.0 : 0.0;
      with_mask = true;
      break;
    case Variant::kSharedMaskAndWeight:
      mask = random_tensor({d.h, d.w}, 79);
      for (double& m : mask) m = m > 0.3 ? 1.0 : 0.0;
      weight = random_tensor({d.n, 1, d.h, d.w}, 80, 0.5, 2.0);
      with_mask = with_weight = true;
      scale = 0.7;
      break;
  }
  if (with_mask) inputs.push_back(&mask);
  if (with_weight) inputs.push_back(&weight);
  LossNodeD node(make(), with_mask, with_weight, scale);
  std::vector<bool> check(inputs.size(), false);
  check[0] = check[1] = true;
  if (with_mask) check[2] = true;
  return check_node<double>(node, inputs, opt, check);
}

// Target = pred + offset with |offset| in [0.05, 0.3] and random sign: far from L1's kink, so the
// ±1e-6 central difference never straddles it.
TensorD offset_target(const TensorD& pred, uint64_t seed) {
  TensorD t = pred;
  Rng rng(seed);
  for (double& v : t) {
    const double o = rng.uniform_d(0.05, 0.3);
    v += rng.uniform_d() < 0.5 ? -o : o;
  }
  return t;
}

const Shape kBatchShape{2, 3, 9, 11};

TEST(Losses, MseAndL1AnalyticValuesWithMaskWeightAndScale) {
  // pred − target = [1, −2, 3, −4] on a 1×1×2×2 image.
  TensorD pred({1, 1, 2, 2}), target({1, 1, 2, 2}, 0.0);
  pred[0] = 1, pred[1] = -2, pred[2] = 3, pred[3] = -4;
  MseLossD mse;
  L1LossD l1;
  TensorD g({1, 1, 2, 2}, 0.0);
  EXPECT_DOUBLE_EQ(mse.evaluate(pred, target, {}, &g), (1 + 4 + 9 + 16) / 4.0);
  // dL/dpred = 2 d / numel.
  EXPECT_DOUBLE_EQ(g[1], 2 * -2 / 4.0);
  EXPECT_DOUBLE_EQ(l1.forward(pred, target, {}), (1 + 2 + 3 + 4) / 4.0);

  // Mask [1, 0, 1, 0.5]: Σm = 2.5; weight 2 on element 2; scale 3.
  TensorD mask({1, 1, 2, 2}), weight({1, 1, 2, 2}, 1.0);
  mask[0] = 1, mask[1] = 0, mask[2] = 1, mask[3] = 0.5;
  weight[2] = 2;
  LossWeighting<double> w{&mask, &weight, 3.0};
  EXPECT_DOUBLE_EQ(l1.forward(pred, target, w), 3.0 * (1 + 2 * 3 + 0.5 * 4) / 2.5);
  TensorD gp({1, 1, 2, 2}, 0.0), gt({1, 1, 2, 2}, 0.0);
  l1.evaluate(pred, target, w, &gp, &gt);
  EXPECT_DOUBLE_EQ(gp[0], 3.0 / 2.5);
  EXPECT_DOUBLE_EQ(gp[1], 0.0);
  EXPECT_DOUBLE_EQ(gp[2], 3.0 * 2 / 2.5);
  EXPECT_DOUBLE_EQ(gp[3], -3.0 * 0.5 / 2.5);
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(gt[i], -gp[i]);
  // ∂L/∂m_j = (s w_j ℓ_j − L) / Σm with L = 3·9/2.5 = 10.8: masked-out pixels still learn whether
  // letting them in would raise or lower the mean.
  TensorD gm({1, 1, 2, 2}, 0.0);
  l1.evaluate(pred, target, w, nullptr, nullptr, &gm);
  EXPECT_NEAR(gm[0], (3 * 1 - 10.8) / 2.5, 1e-14);
  EXPECT_NEAR(gm[1], (3 * 2 - 10.8) / 2.5, 1e-14);
  EXPECT_NEAR(gm[2], (3 * 2 * 3 - 10.8) / 2.5, 1e-14);
  EXPECT_NEAR(gm[3], (3 * 4 - 10.8) / 2.5, 1e-14);
  EXPECT_THROW(l1.evaluate(pred, target, {}, nullptr, nullptr, &gm), std::invalid_argument);

  // A mask shared by a batch of 2 with 3 channels counts every pixel 6 times in the denominator.
  TensorD p2({2, 3, 2, 2}, 1.0), t2({2, 3, 2, 2}, 0.0), shared({2, 2}, 0.0);
  shared[0] = 1;
  EXPECT_DOUBLE_EQ(mse.forward(p2, t2, {&shared, nullptr, 1.0}), 1.0);
}

TEST(Losses, EmptyMaskGivesZeroNotNan) {
  const TensorD pred = random_tensor(kBatchShape, 1), target = random_tensor(kBatchShape, 2);
  TensorD mask({2, 1, 9, 11}, 0.0);
  std::unique_ptr<LossD> losses[] = {std::make_unique<L1LossD>(), std::make_unique<MseLossD>(),
                                     std::make_unique<CharbonnierLossD>(), std::make_unique<SsimLossD>()};
  for (auto& loss : losses) {
    TensorD g(kBatchShape, 0.0), gm(mask.shape(), 0.0);
    EXPECT_EQ(loss->evaluate(pred, target, {&mask, nullptr, 1.0}, &g, nullptr, &gm), 0.0) << loss->name();
    for (double v : g) ASSERT_EQ(v, 0.0) << loss->name();
    for (double v : gm) ASSERT_EQ(v, 0.0) << loss->name();
  }
}

TEST(Losses, L1GradientAwayFromKink) {
  const TensorD pred = random_tensor(kBatchShape, 3);
  const TensorD target = offset_target(pred, 4);
  for (const Case& c : kCases) {
    const GradCheckReport r = check_loss([] { return std::make_unique<L1LossD>(); }, pred, target, c.variant);
    EXPECT_TRUE(r.ok) << c.label << ": " << r.message();
  }
}

TEST(Losses, L1AtEqualityUsesSubgradientZero) {
  // At pred == target the subgradient chosen is 0; the central difference (|h| − |−h|)/2h is 0 as
  // well, so the check passes exactly there, and the analytic gradient is all zeros.
  const TensorD pred = random_tensor(kBatchShape, 5);
  for (const Case& c : kCases) {
    const GradCheckReport r = check_loss([] { return std::make_unique<L1LossD>(); }, pred, pred, c.variant);
    EXPECT_TRUE(r.ok) << c.label << ": " << r.message();
  }
  L1LossD l1;
  TensorD g(kBatchShape, 0.0);
  EXPECT_EQ(l1.evaluate(pred, pred, {}, &g), 0.0);
  for (double v : g) ASSERT_EQ(v, 0.0);
}

TEST(Losses, MseGradient) {
  const TensorD pred = random_tensor(kBatchShape, 6), target = random_tensor(kBatchShape, 7);
  for (const Case& c : kCases) {
    EXPECT_TRUE(check_loss([] { return std::make_unique<MseLossD>(); }, pred, target, c.variant).ok) << c.label;
    EXPECT_TRUE(check_loss([] { return std::make_unique<MseLossD>(); }, pred, pred, c.variant).ok) << c.label;
  }
}

TEST(Losses, CharbonnierGradientIncludingEqualityAndSmallDifferences) {
  const TensorD pred = random_tensor(kBatchShape, 8), target = random_tensor(kBatchShape, 9);
  // Differences of the order of ε = 1e-3, where the penalty bends from quadratic to linear.
  TensorD near = pred;
  Rng rng(10);
  for (double& v : near) v += rng.uniform_d(-3e-3, 3e-3);
  for (const Case& c : kCases) {
    auto make = [] { return std::make_unique<CharbonnierLossD>(1e-3); };
    GradCheckReport r = check_loss(make, pred, target, c.variant);
    EXPECT_TRUE(r.ok) << c.label << " far: " << r.message();
    // Smooth at d = 0: the curvature there is 1/ε = 1e3, so the h² truncation term is still
    // ~1e-12·1e3/numel, well inside atol.
    r = check_loss(make, pred, pred, c.variant);
    EXPECT_TRUE(r.ok) << c.label << " equal: " << r.message();
    r = check_loss(make, pred, near, c.variant);
    EXPECT_TRUE(r.ok) << c.label << " near: " << r.message();
  }
  // Value: √(d² + ε²) − ε, so 0 at equality and ≈ |d| − ε far away.
  CharbonnierLossD ch(1e-3);
  EXPECT_EQ(ch.forward(pred, pred, {}), 0.0);
  TensorD a({1, 1, 1, 1}, 0.5), b({1, 1, 1, 1}, 0.0);
  EXPECT_NEAR(ch.forward(a, b, {}), std::sqrt(0.25 + 1e-6) - 1e-3, 1e-15);
}

// SSIM's local statistics by brute force: the full 2-D truncated window renormalised per pixel.
double reference_ssim(const TensorD& x, const TensorD& y, int64_t plane, int64_t h, int64_t w, const Dims4& d) {
  const double c1 = 1e-4, c2 = 9e-4;
  double z = 0, mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
  for (int64_t i = std::max<int64_t>(0, h - 5); i <= std::min<int64_t>(d.h - 1, h + 5); ++i)
    for (int64_t j = std::max<int64_t>(0, w - 5); j <= std::min<int64_t>(d.w - 1, w + 5); ++j) {
      const double g = std::exp(-((i - h) * (i - h) + (j - w) * (j - w)) / (2 * 1.5 * 1.5));
      const double a = x[(plane * d.h + i) * d.w + j], b = y[(plane * d.h + i) * d.w + j];
      z += g, mx += g * a, my += g * b, sxx += g * a * a, syy += g * b * b, sxy += g * a * b;
    }
  mx /= z, my /= z, sxx /= z, syy /= z, sxy /= z;
  const double vx = sxx - mx * mx, vy = syy - my * my, cxy = sxy - mx * my;
  return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
}

TEST(Losses, SsimMatchesBruteForceWindow) {
  const Shape s{2, 2, 14, 17};
  const TensorD x = random_tensor(s, 11), y = random_tensor(s, 12);
  SsimLossD ssim;
  const double loss = ssim.forward(x, y, {});
  const Dims4 d = as4d(s);
  double mean = 0;
  for (int64_t p = 0; p < d.n * d.c; ++p)
    for (int64_t h = 0; h < d.h; ++h)
      for (int64_t w = 0; w < d.w; ++w) {
        const double ref = reference_ssim(x, y, p, h, w, d);
        ASSERT_NEAR(ssim.ssim_map()[(p * d.h + h) * d.w + w], ref, 1e-12) << p << "," << h << "," << w;
        mean += ref;
      }
  EXPECT_NEAR(loss, 1.0 - mean / static_cast<double>(x.numel()), 1e-12);
}

TEST(Losses, SsimAnalyticValues) {
  SsimLossD ssim;
  const TensorD x = random_tensor({2, 3, 12, 12}, 13);
  // Identical images: SSIM = 1 everywhere, loss 0, gradient 0 (a maximum).
  TensorD g(x.shape(), 0.0);
  EXPECT_NEAR(ssim.evaluate(x, x, {}, &g), 0.0, 1e-14);
  for (double v : g) ASSERT_NEAR(v, 0.0, 1e-14);
  // Constant images a and b: σ terms vanish, SSIM = (2ab + C1)/(a² + b² + C1) at every pixel.
  const TensorD a({1, 1, 12, 12}, 0.3), b({1, 1, 12, 12}, 0.7);
  const double expect = (2 * 0.3 * 0.7 + 1e-4) / (0.09 + 0.49 + 1e-4);
  EXPECT_NEAR(ssim.forward(a, b, {}), 1.0 - expect, 1e-12);
  // Inverted contrast around the same mean: SSIM < 0 possible, loss > 1.
  TensorD p({1, 1, 12, 12}), q({1, 1, 12, 12});
  for (int64_t i = 0; i < p.numel(); ++i) p[i] = 0.5 + ((i / 12 + i % 12) % 2 ? 0.4 : -0.4), q[i] = 1.0 - p[i];
  EXPECT_GT(ssim.forward(p, q, {}), 1.5);
}

TEST(Losses, SsimGradient) {
  const TensorD pred = random_tensor({2, 2, 13, 12}, 14), target = random_tensor({2, 2, 13, 12}, 15);
  for (const Case& c : kCases) {
    const GradCheckReport r = check_loss([] { return std::make_unique<SsimLossD>(); }, pred, target, c.variant);
    EXPECT_TRUE(r.ok) << c.label << ": " << r.message();
  }
}

TEST(Losses, SsimGradientOnFlatPatchesAndTinyImages) {
  // Flat patches: blocks of constant value in both images, so σx², σy², σxy are exactly 0 inside
  // them and only C2 keeps D away from 0. Also pred == target on a textured image, and an image
  // smaller than the 11×11 window (every window truncated on both sides).
  TensorD flat_p({2, 2, 12, 12}), flat_t({2, 2, 12, 12});
  for (int64_t i = 0; i < flat_p.numel(); ++i) {
    const int64_t h = (i / 12) % 12, w = i % 12, plane = i / 144;
    flat_p[i] = 0.2 + 0.1 * static_cast<double>(plane) + (h < 6 ? 0.0 : 0.4) + (w < 6 ? 0.0 : 0.1);
    flat_t[i] = 0.25 + 0.05 * static_cast<double>(plane) + (h < 6 ? 0.1 : 0.3);
  }
  for (const Case& c : kCases) {
    auto make = [] { return std::make_unique<SsimLossD>(); };
    GradCheckReport r = check_loss(make, flat_p, flat_t, c.variant);
    EXPECT_TRUE(r.ok) << c.label << " flat: " << r.message();
    const TensorD tex = random_tensor({2, 1, 10, 9}, 16);
    r = check_loss(make, tex, tex, c.variant);
    EXPECT_TRUE(r.ok) << c.label << " equal: " << r.message();
    r = check_loss(make, random_tensor({2, 3, 4, 5}, 17), random_tensor({2, 3, 4, 5}, 18), c.variant);
    EXPECT_TRUE(r.ok) << c.label << " tiny: " << r.message();
  }
  // A fully constant pair that matches: SSIM exactly 1 on the flat patch.
  SsimLossD ssim;
  const TensorD k({1, 1, 8, 8}, 0.4);
  EXPECT_NEAR(ssim.forward(k, k, {}), 0.0, 1e-15);
}

TEST(Losses, FloatMatchesDoubleAndIsDeterministic) {
  // 18432 elements: above the OpenMP thresholds of every loss, so the parallel paths run.
  const Shape s{2, 3, 48, 64};
  const TensorD pd = random_tensor(s, 19), td = random_tensor(s, 20);
  const Tensor pf = pd.cast<float>(), tf = td.cast<float>();
  TensorD md({2, 1, 48, 64});
  Rng rng(21);
  rng.fill_uniform(md, 0, 1);
  const Tensor mf = md.cast<float>();
  auto run = [&](auto& lf, auto& ld) {
    Tensor gf(s, 0.f), gf2(s, 0.f);
    TensorD gd(s, 0.0);
    // One thread, then two: per-row partial sums added in a fixed order make them agree bit for bit.
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const float vf = lf.evaluate(pf, tf, {&mf, nullptr, 1.f}, &gf);
    omp_set_num_threads(2);
    const float vf2 = lf.evaluate(pf, tf, {&mf, nullptr, 1.f}, &gf2);
    omp_set_num_threads(threads);
    const double vd = ld.evaluate(pd, td, {&md, nullptr, 1.0}, &gd);
    EXPECT_EQ(vf, vf2) << lf.name();
    double gmax = 0, err = 0;
    for (int64_t i = 0; i < gd.numel(); ++i) {
      ASSERT_EQ(gf[i], gf2[i]) << lf.name();
      gmax = std::max(gmax, std::abs(gd[i]));
      err = std::max(err, std::abs(static_cast<double>(gf[i]) - gd[i]));
    }
    // Float keeps ~7 digits; the windowed sums of SSIM lose about one more.
    EXPECT_NEAR(vf, vd, 1e-5 * std::max(1.0, std::abs(vd))) << lf.name();
    EXPECT_LT(err, 1e-4 * gmax) << lf.name();
  };
  L1Loss l1f;
  L1LossD l1d;
  MseLoss msef;
  MseLossD msed;
  CharbonnierLoss chf;
  CharbonnierLossD chd;
  SsimLoss sf;
  SsimLossD sd;
  run(l1f, l1d);
  run(msef, msed);
  run(chf, chd);
  run(sf, sd);
}

TEST(Losses, SsimPlaneAndRowSplitsAgreeBitForBit) {
  // Three planes: one thread splits the work by planes, two threads by rows (too few planes to
  // balance); the results must be identical, value, map and gradients.
  const Shape s{1, 3, 64, 72};
  Tensor p(s), t(s), mask({1, 1, 64, 72});
  Rng rng(22);
  rng.fill_uniform(p, 0, 1);
  rng.fill_uniform(t, 0, 1);
  rng.fill_uniform(mask, 0, 1);
  SsimLoss a, b;
  Tensor ga(s, 0.f), gb(s, 0.f), ta(s, 0.f), tb(s, 0.f), ma(mask.shape(), 0.f), mb(mask.shape(), 0.f);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const float va = a.evaluate(p, t, {&mask, nullptr, 1.f}, &ga, &ta, &ma);
  omp_set_num_threads(2);
  const float vb = b.evaluate(p, t, {&mask, nullptr, 1.f}, &gb, &tb, &mb);
  omp_set_num_threads(threads);
  EXPECT_EQ(va, vb);
  auto same = [](const Tensor& x, const Tensor& y) {
    return std::memcmp(x.data(), y.data(), sizeof(float) * static_cast<size_t>(x.numel())) == 0;
  };
  EXPECT_TRUE(same(a.ssim_map(), b.ssim_map()));
  EXPECT_TRUE(same(ga, gb));
  EXPECT_TRUE(same(ta, tb));
  EXPECT_TRUE(same(ma, mb));
}

TEST(Losses, LossNodeInAGraphWithMaskSlot) {
  GraphD g;
  const int pred = g.add_input("pred"), target = g.add_input("target"), mask = g.add_input("mask");
  LossNodeD node(std::make_unique<MseLossD>(), /*with_mask=*/true);
  const int out = g.add(&node, {pred, target, mask})[0];
  g.value(pred) = TensorD({1, 1, 1, 2}, 0.0);
  g.value(pred)[0] = 2, g.value(pred)[1] = 5;
  g.value(target) = TensorD({1, 1, 1, 2}, 1.0);
  g.value(mask) = TensorD({1, 1, 1, 2}, 1.0);
  g.value(mask)[1] = 0;
  g.forward();
  EXPECT_EQ(g.value(out).numel(), 1);
  EXPECT_DOUBLE_EQ(g.value(out)[0], 1.0);  // only element 0 counts: (2 − 1)² / 1
  g.backward(out);
  EXPECT_DOUBLE_EQ(g.grad(pred)[0], 2.0);
  EXPECT_DOUBLE_EQ(g.grad(pred)[1], 0.0);
  EXPECT_DOUBLE_EQ(g.grad(target)[0], -2.0);
  EXPECT_EQ(node.num_inputs(), 3);
  EXPECT_EQ(node.name(), "mse_loss");
}

TEST(Losses, BadInputsThrowWithClearMessages) {
  const Tensor a({2, 3, 8, 8}, 0.f), b({2, 3, 8, 7}, 0.f), m_bad({2, 2, 8, 8}, 1.f), m_ok({2, 1, 8, 8}, 1.f);
  L1Loss l1;
  SsimLoss ssim;
  try {
    l1.forward(a, b, {});
    FAIL() << "shape mismatch accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("l1_loss: pred has shape [2, 3, 8, 8] but target has [2, 3, 8, 7]"),
              std::string::npos)
        << e.what();
  }
  try {
    ssim.forward(a, a, {&m_bad, nullptr, 1.f});
    FAIL() << "bad mask accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ssim_loss: mask of shape [2, 2, 8, 8]"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(ssim.forward(a, a, {&m_ok, nullptr, 1.f}));
  Tensor g_bad({2, 3, 8, 7});
  EXPECT_THROW(l1.evaluate(a, a, {}, &g_bad), std::invalid_argument);
  EXPECT_THROW(CharbonnierLoss(0.f), std::invalid_argument);
  SsimSettings s;
  s.sigma = -1;
  EXPECT_THROW(SsimLoss{s}, std::invalid_argument);
  EXPECT_THROW(l1.forward(Tensor({5}), Tensor({5}), {}), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
