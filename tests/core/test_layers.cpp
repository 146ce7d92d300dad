// Convolutional layers and the GEMM under them: GEMM against a triple loop, convolution (direct,
// threaded and per-image paths), transposed convolution (as conv2d's adjoint), upsampling, group
// normalisation and average pooling, each against reference formulas and central differences in
// double (tests/core/layer_checks.h states the tolerance).
#include "core/avg_pool.h"
#include "core/conv2d.h"
#include "core/conv_transpose2d.h"
#include "core/gemm.h"
#include "core/gradcheck.h"
#include "core/group_norm.h"
#include "core/random.h"
#include "core/upsample.h"
#include "tests/core/layer_checks.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

using namespace test;

// Direct cross-correlation, the definition the im2col path must reproduce.
TensorD naive_conv(const TensorD& x, Conv2dD& conv) {
  const Conv2dOptions& o = conv.options();
  const Shape ys = conv.output_shape(x.shape());
  TensorD y(ys);
  for (int64_t n = 0; n < ys[0]; ++n)
    for (int64_t co = 0; co < ys[1]; ++co)
      for (int64_t oy = 0; oy < ys[2]; ++oy)
        for (int64_t ox = 0; ox < ys[3]; ++ox) {
          double s = o.bias ? conv.bias().value[co] : 0.0;
          for (int64_t ci = 0; ci < o.in_channels; ++ci)
            for (int64_t ky = 0; ky < o.kernel_h; ++ky)
              for (int64_t kx = 0; kx < o.kernel_w; ++kx) {
                const int64_t iy = oy * o.stride_h - o.pad_h + ky, ix = ox * o.stride_w - o.pad_w + kx;
                if (iy < 0 || ix < 0 || iy >= x.dim(2) || ix >= x.dim(3)) continue;
                s += conv.weight().value.at(co, ci, ky, kx) * x.at(n, ci, iy, ix);
              }
          y.at(n, co, oy, ox) = s;
        }
  return y;
}

// The float kernel (AVX-512 tiles, packing, edge masks, depth blocking) and the double path against a
// plain triple loop, for every transpose combination, sizes that are not multiples of the tiles,
// depths beyond one block, row strides larger than the rows, and accumulation.
template <class T>
void check_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, bool accumulate, bool serial, double tol) {
  const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
  TensorD a({ta ? k : m, lda}), b({tb ? n : k, ldb}), c({m, ldc});
  Rng rng(m * 131 + n * 7 + k);
  rng.fill_uniform(a, -1, 1);
  rng.fill_uniform(b, -1, 1);
  rng.fill_uniform(c, -1, 1);
  TensorT<T> at = a.cast<T>(), bt = b.cast<T>(), ct = c.cast<T>();
  if (serial)
    gemm_serial<T>(ta, tb, m, n, k, at.data(), lda, bt.data(), ldb, ct.data(), ldc, accumulate);
  else
    gemm<T>(ta, tb, m, n, k, at.data(), lda, bt.data(), ldb, ct.data(), ldc, accumulate);
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = accumulate ? c[i * ldc + j] : 0.0;
      for (int64_t p = 0; p < k; ++p)
        s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      worst = std::max(worst, std::abs(s - static_cast<double>(ct[i * ldc + j])));
    }
  EXPECT_LT(worst, tol) << "trans " << ta << tb << " " << m << "×" << n << "×" << k << " acc " << accumulate;
  // Padding columns of C beyond n are untouched.
  for (int64_t i = 0; i < m; ++i) EXPECT_EQ(static_cast<double>(ct[i * ldc + n]), static_cast<double>(static_cast<T>(c[i * ldc + n])));
}

TEST(Gemm, MatchesTripleLoopForAllTransposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (bool acc : {false, true}) {
        // Float sums of ≤ 600 products of magnitude ≤ 1: error ≲ 600 · 6e-8 · √600-ish ≪ 1e-3.
        check_gemm<float>(ta, tb, 13, 50, 300, acc, false, 1e-3);
        check_gemm<float>(ta, tb, 37, 200, 600, acc, true, 1e-3);
        check_gemm<float>(ta, tb, 130, 17, 40, acc, false, 1e-3);
        check_gemm<double>(ta, tb, 13, 50, 300, acc, false, 1e-11);
      }
  check_gemm<float>(false, false, 3, 3100, 5, false, true, 1e-4);  // beyond one NC block of columns
}

struct ConvCase {
  int64_t n, ci, co, h, w, kh, kw, sh, sw, ph, pw;
  bool bias;
};

Conv2dOptions conv_options(const ConvCase& c) {
  Conv2dOptions o;
  o.in_channels = c.ci;
  o.out_channels = c.co;
  o.kernel_h = c.kh;
  o.kernel_w = c.kw;
  o.stride_h = c.sh;
  o.stride_w = c.sw;
  o.pad_h = c.ph;
  o.pad_w = c.pw;
  o.bias = c.bias;
  return o;
}

const ConvCase kConvCases[] = {
    {2, 3, 4, 5, 7, 3, 3, 1, 1, 1, 1, true},   // batch 2, non-square, "same" padding
    {2, 2, 3, 6, 9, 4, 4, 2, 2, 1, 1, true},   // the encoder's 4×4 stride 2 pad 1
    {1, 2, 2, 7, 5, 2, 3, 2, 1, 0, 2, false},  // non-square kernel, mixed stride, padding ≥ kernel/2, no bias
    {3, 1, 2, 4, 4, 1, 1, 1, 1, 0, 0, true},   // 1×1 kernel
    {2, 2, 2, 5, 6, 3, 3, 3, 2, 2, 0, true},   // stride 3 leaves input rows unused
};

TEST(Conv2d, ForwardMatchesDirectConvolution) {
  for (const ConvCase& c : kConvCases) {
    Conv2dD conv(conv_options(c));
    randomize_params(conv, 11);
    TensorD x = layer_input({c.n, c.ci, c.h, c.w}, 12), y;
    conv.forward(x, y);
    EXPECT_LT(max_abs_diff(y, naive_conv(x, conv)), 1e-12) << "case kernel " << c.kh << "×" << c.kw;
  }
}

TEST(Conv2d, GradientsMatchFiniteDifferences) {
  for (const ConvCase& c : kConvCases) {
    Conv2dD conv(conv_options(c));
    randomize_params(conv, 21);
    TensorD x = layer_input({c.n, c.ci, c.h, c.w}, 22);
    expect_grads(conv, x);
  }
}

// Large enough that the products are split across threads and the batch goes through the
// channel-major path; float forward against the double reference, gradients sampled in double.
TEST(Conv2d, ThreadedPathMatchesReference) {
  const ConvCase c{3, 16, 24, 20, 18, 4, 4, 2, 2, 1, 1, true};
  Conv2dD convd(conv_options(c));
  randomize_params(convd, 31, 0.2);
  TensorD xd = layer_input({c.n, c.ci, c.h, c.w}, 32);
  const TensorD ref = naive_conv(xd, convd);
  Conv2d convf(conv_options(c));
  convf.weight().value = convd.weight().value.cast<float>();
  convf.bias().value = convd.bias().value.cast<float>();
  Tensor yf;
  convf.forward(xd.cast<float>(), yf);
  // float accumulation over K = 256 terms of size ≤ 0.2: error ≲ 256 · 6e-8 · 0.2 ≈ 3e-6.
  EXPECT_LT(max_abs_diff(yf.cast<double>(), ref), 2e-5);
  GradCheckOptions opt = tight();
  opt.max_elements = 40;
  expect_grads(convd, xd, opt);
}

// Outputs of ≥ 256 pixels with an even batch take the one-image-per-thread path.
TEST(Conv2d, PerImagePathMatchesReference) {
  const ConvCase c{2, 2, 3, 32, 34, 4, 4, 2, 2, 1, 1, true};  // 16×17 = 272 output pixels
  Conv2dD conv(conv_options(c));
  randomize_params(conv, 35);
  TensorD x = layer_input({c.n, c.ci, c.h, c.w}, 36), y;
  conv.forward(x, y);
  EXPECT_LT(max_abs_diff(y, naive_conv(x, conv)), 1e-12);
  GradCheckOptions opt = tight();
  opt.max_elements = 60;
  expect_grads(conv, x, opt);
  Conv2d convf(conv_options(c));
  convf.weight().value = conv.weight().value.cast<float>();
  convf.bias().value = conv.bias().value.cast<float>();
  Tensor yf;
  convf.forward(x.cast<float>(), yf);
  EXPECT_LT(max_abs_diff(yf.cast<double>(), y), 1e-5);
}

// A frozen weight (requires_grad = false) still gives correct input and bias gradients on both the
// batched and the per-image paths, and leaves the weight gradient alone.
TEST(Conv2d, FrozenWeightStillGivesInputGradients) {
  for (const ConvCase& c : {kConvCases[1], ConvCase{2, 2, 3, 32, 34, 4, 4, 2, 2, 1, 1, true}}) {
    Conv2dD conv(conv_options(c));
    randomize_params(conv, 37);
    conv.weight().requires_grad = false;
    TensorD x = layer_input({c.n, c.ci, c.h, c.w}, 38);
    GradCheckOptions opt = tight();
    opt.max_elements = 60;
    expect_grads(conv, x, opt);
    for (double g : conv.weight().grad) EXPECT_EQ(g, 0.0);
  }
}

TEST(Conv2d, RejectsBadInput) {
  Conv2dD conv(Conv2dOptions::square(3, 4, 3));
  TensorD y, wrong_channels({1, 2, 8, 8}), too_small({1, 3, 2, 2});
  EXPECT_THROW(conv.forward(wrong_channels, y), std::invalid_argument);
  EXPECT_THROW(conv.forward(too_small, y), std::invalid_argument);
  EXPECT_THROW(Conv2dD(Conv2dOptions::square(3, 4, 0)), std::invalid_argument);
}

TEST(ConvTranspose2d, OutputShapeFollowsPyTorch) {
  // OH = (H − 1)·s − 2p + k + output_padding.
  ConvTranspose2dD up(ConvTranspose2dOptions::square(2, 3, 4, 2, 1, 0));
  EXPECT_EQ(up.output_shape(Shape{2, 2, 5, 7}), (Shape{2, 3, 10, 14}));
  ConvTranspose2dD up3(ConvTranspose2dOptions::square(2, 3, 3, 2, 1, 1));
  EXPECT_EQ(up3.output_shape(Shape{1, 2, 5, 7}), (Shape{1, 3, 10, 14}));
}

// ConvTranspose2d is the adjoint of Conv2d with the same weight: <convT(x), z> = <x, conv(z)>.
TEST(ConvTranspose2d, IsTheAdjointOfConv2d) {
  ConvTranspose2dOptions t = ConvTranspose2dOptions::square(3, 2, 3, 2, 1, 1, false);
  ConvTranspose2dD convt(t);
  Conv2dD conv(Conv2dOptions::square(2, 3, 3, 2, 1, false));  // maps C_out=2 back to C_in=3
  randomize_params(convt, 41);
  conv.weight().value.copy_from(convt.weight().value);  // both C_in(conv_t) × C_out(conv_t) × k × k
  TensorD x = layer_input({2, 3, 4, 5}, 42), y, cz;
  convt.forward(x, y);
  TensorD z = layer_input(y.shape(), 43);
  conv.forward(z, cz);
  ASSERT_EQ(cz.shape(), x.shape());
  double lhs = 0, rhs = 0;
  for (int64_t i = 0; i < y.numel(); ++i) lhs += y[i] * z[i];
  for (int64_t i = 0; i < x.numel(); ++i) rhs += x[i] * cz[i];
  EXPECT_NEAR(lhs, rhs, 1e-12 * std::max(1.0, std::abs(lhs)));
}

TEST(ConvTranspose2d, GradientsMatchFiniteDifferences) {
  const ConvTranspose2dOptions cases[] = {
      ConvTranspose2dOptions::square(3, 2, 4, 2, 1, 0, true),
      ConvTranspose2dOptions::square(2, 3, 3, 2, 1, 1, true),
      ConvTranspose2dOptions::square(2, 2, 3, 1, 0, 0, false),
  };
  for (const auto& o : cases) {
    ConvTranspose2dD convt(o);
    randomize_params(convt, 51);
    TensorD x = layer_input({2, o.in_channels, 3, 4}, 52);
    expect_grads(convt, x);
  }
}

TEST(Upsample, NearestRepeatsAndBilinearInterpolates) {
  TensorD x({1, 1, 1, 2});
  x[0] = 0;
  x[1] = 1;
  TensorD y;
  UpsampleD nearest({2, UpsampleMode::kNearest});
  nearest.forward(x, y);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 4}));
  const double want_n[] = {0, 0, 1, 1};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], want_n[i]);
  // align_corners = false: samples at (o + ½)/2 − ½ = −¼ (clamped to 0), ¼, ¾, 1¼ (clamped to 1).
  UpsampleD bilinear({2, UpsampleMode::kBilinear});
  bilinear.forward(x, y);
  const double want_b[] = {0, 0.25, 0.75, 1};
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(y[i], want_b[i]);
  EXPECT_DOUBLE_EQ(y[4 + 1], 0.25);  // second row equals the first: one input row
}

TEST(Upsample, GradientsMatchFiniteDifferences) {
  for (auto mode : {UpsampleMode::kNearest, UpsampleMode::kBilinear})
    for (int64_t s : {2, 3}) {
      UpsampleD up({s, mode});
      TensorD x = layer_input({2, 2, 3, 5}, 61);
      expect_grads(up, x);
    }
}

TEST(GroupNorm, NormalisesEachGroup) {
  GroupNormD gn({2, 4, 1e-5, true});
  TensorD x = layer_input({2, 4, 3, 5}, 71, 3.0, 9.0), y;  // large offset: tests the centred variance
  gn.forward(x, y);
  const int64_t m = 2 * 15;  // values per group
  for (int64_t ng = 0; ng < 4; ++ng) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < m; ++i) s += y[ng * m + i];
    for (int64_t i = 0; i < m; ++i) s2 += y[ng * m + i] * y[ng * m + i];
    EXPECT_NEAR(s / m, 0.0, 1e-12);
    // var/(var + eps) with var ≈ 3 (uniform on a width-6 interval): 1 − ~3e-6.
    EXPECT_NEAR(s2 / m, 1.0, 1e-5);
  }
}

TEST(GroupNorm, GradientsMatchFiniteDifferences) {
  for (bool affine : {true, false})
    for (int64_t groups : {1, 2, 4}) {
      GroupNormD gn({groups, 4, 1e-5, affine});
      randomize_params(gn, 81);
      TensorD x = layer_input({2, 4, 3, 5}, 82);
      expect_grads(gn, x);
    }
}

TEST(GroupNorm, ConstantGroupGivesBetaNotNaN) {
  GroupNormD gn({1, 2, 1e-5, true});
  gn.bias().value[0] = 0.5;
  TensorD x({1, 2, 2, 2}, 3.0), y;
  gn.forward(x, y);
  for (int64_t i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(y[i], 0.5);
  expect_grads(gn, x);
}

TEST(AvgPool, AveragesWindowsIncludingPadding) {
  AvgPoolD pool({2, 2, 0});
  TensorD x({1, 1, 2, 4});
  for (int i = 0; i < 8; ++i) x[i] = i;
  TensorD y;
  pool.forward(x, y);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_DOUBLE_EQ(y[0], (0 + 1 + 4 + 5) / 4.0);
  EXPECT_DOUBLE_EQ(y[1], (2 + 3 + 6 + 7) / 4.0);
  AvgPoolD padded({3, 2, 1});
  padded.forward(x, y);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 2}));
  EXPECT_DOUBLE_EQ(y[0], (0 + 1 + 4 + 5) / 9.0);  // count_include_pad: the divisor stays 9
}

TEST(AvgPool, GradientsMatchFiniteDifferences) {
  const AvgPoolOptions cases[] = {{2, 2, 0}, {3, 2, 1}, {2, 1, 0}};
  for (const auto& o : cases) {
    AvgPoolD pool(o);
    TensorD x = layer_input({2, 3, 5, 6}, 91);
    expect_grads(pool, x);
  }
}

}  // namespace
}  // namespace invgfx
