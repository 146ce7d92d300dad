// The image metrics every report uses, against hand-computed values: PSNR (with a border, and +∞ for
// identical images), SSIM (1 for identical images, lower for different ones) and mask IoU.
#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace invgfx {
namespace {

TEST(Metrics, PsnrMatchesHandComputedValues) {
  // 1×2×2 images differing by 0.1 in one pixel: MSE = 0.01 / 4 → PSNR = 10·log10(400) = 26.0206 dB.
  Tensor a({1, 2, 2}), b({1, 2, 2});
  b[3] = 0.1f;
  EXPECT_NEAR(psnr(a, b), 10 * std::log10(4.0 / (0.1f * 0.1f)), 1e-6);
  // Peak 2 adds 20·log10(2) dB.
  EXPECT_NEAR(psnr(a, b, 0, 2.0), psnr(a, b) + 20 * std::log10(2.0), 1e-9);
  // Identical images: +∞, one answer everywhere.
  EXPECT_EQ(psnr(a, a), std::numeric_limits<double>::infinity());
  // A border leaves the differing corner out: 3×3, error only on the edge.
  TensorD c({1, 3, 3}), d({1, 3, 3});
  d[0] = 0.5;
  EXPECT_EQ(psnr(c, d, 1), std::numeric_limits<double>::infinity());
  d[4] = 0.5;  // the centre: MSE 0.25 over the one interior pixel → 6.0206 dB
  EXPECT_NEAR(psnr(c, d, 1), 10 * std::log10(4.0), 1e-9);
  EXPECT_THROW(psnr(c, d, 2), std::invalid_argument);
  EXPECT_THROW(psnr(a, Tensor({1, 2, 3})), std::invalid_argument);
}

TEST(Metrics, SsimIsOneForIdenticalImagesAndLowerOtherwise) {
  Tensor a({3, 16, 16}), b({3, 16, 16});
  for (int64_t i = 0; i < a.numel(); ++i) {
    a[i] = 0.5f + 0.4f * std::sin(0.37f * static_cast<float>(i));
    b[i] = 0.5f;
  }
  EXPECT_NEAR(ssim(a, a), 1.0, 1e-6);
  EXPECT_LT(ssim(a, b), 0.5);
}

TEST(Metrics, MaskIouCountsPixelsAboveTheThreshold) {
  Tensor a({1, 1, 4}), b({1, 1, 4});
  const float av[4] = {1, 1, 0, 0.6f}, bv[4] = {1, 0, 0, 0.4f};
  for (int i = 0; i < 4; ++i) a[i] = av[i], b[i] = bv[i];
  EXPECT_DOUBLE_EQ(mask_iou(a, b), 1.0 / 3.0);  // ∩ = {0}, ∪ = {0, 1, 3}
  EXPECT_DOUBLE_EQ(mask_iou(Tensor({1, 1, 4}), Tensor({1, 1, 4})), 1.0);  // both empty: they agree
  EXPECT_THROW(mask_iou(a, Tensor({1, 1, 3})), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
