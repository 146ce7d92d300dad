// Per-pixel mip level of detail: the analytic uv footprint against finite differences of the
// rasterized, perspective-correct uv image (including a face the near plane clips), its gradient to
// the clip positions, texture lookups through a per-pixel lod map (finite differences in double for
// texels, uv and the lod itself; a constant map against options.lod), and what mipmapping is for: a
// minified checkerboard turns grey instead of aliasing.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/interpolate.h"
#include "render/rasterize.h"
#include "render/texture.h"
#include "render/texture_lod.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace invgfx {
namespace {

// A unit-uv quad (two faces) in eye space, receding from the camera: strong perspective, so the
// footprint changes across the image.
struct Quad {
  TensorD pos;
  std::vector<int32_t> faces = {0, 1, 2, 0, 2, 3};
  TensorD uvs{4, 2};
  explicit Quad(double near_z, double far_z, double near_plane = 0.5) {
    pos = raster_test::perspective<double>({-1.2, -1.0, near_z, 1.3, -0.9, near_z, 1.1, 1.0, far_z, -1.0, 1.1, far_z},
                                           1.2, 1.0, near_plane, 50);
    const double u[8] = {0, 0, 1, 0, 1, 1, 0, 1};
    std::copy(u, u + 8, uvs.data());
  }
};

// λ from finite differences of the interpolated uv image, against texture_lod, at pixels whose
// neighbours up to two pixels away lie on the same face. uv is a ratio of affine functions of the
// pixel position, so plain central differences are off by O(h²); Richardson's combination of the
// steps 1 and 2, (4·D₁ − D₂)/3, is O(h⁴). Returns the number of pixels compared.
int compare_with_finite_differences(const Quad& q, int S, int tw, int th, double tol) {
  RasterizerD rz;
  RasterOutputD r;
  rz.forward(q.pos, q.faces, {S, S}, r);
  InterpolatorD ip;
  TensorD uv_img, lod;
  ip.forward(q.uvs, q.faces, r, uv_img);
  TextureLodD().forward(q.pos, q.faces, q.uvs, q.faces, r, tw, th, lod);
  const int64_t P = int64_t(S) * S;
  int compared = 0;
  double worst = 0;
  for (int y = 2; y + 2 < S; ++y)
    for (int x = 2; x + 2 < S; ++x) {
      const int32_t f = r.face_at(x, y);
      bool interior = f >= 0;
      for (int d = -2; d <= 2; ++d) interior = interior && r.face_at(x + d, y) == f && r.face_at(x, y + d) == f;
      if (!interior) continue;
      auto at = [&](int c, int xx, int yy) { return uv_img[c * P + int64_t(yy) * S + xx]; };
      auto deriv = [&](int c, int dx, int dy) {
        const double d1 = (at(c, x + dx, y + dy) - at(c, x - dx, y - dy)) / 2;
        const double d2 = (at(c, x + 2 * dx, y + 2 * dy) - at(c, x - 2 * dx, y - 2 * dy)) / 4;
        return (4 * d1 - d2) / 3;
      };
      const double dux = deriv(0, 1, 0) * tw, dvx = deriv(1, 1, 0) * th;
      const double duy = deriv(0, 0, 1) * tw, dvy = deriv(1, 0, 1) * th;
      const double rho2 = std::max(dux * dux + dvx * dvx, duy * duy + dvy * dvy);
      const double expect = std::max(0.0, 0.5 * std::log2(rho2));
      worst = std::max(worst, std::abs(lod[int64_t(y) * S + x] - expect));
      ++compared;
    }
  EXPECT_LT(worst, tol) << "worst |λ − λ_fd| over " << compared << " pixels";
  for (int64_t p = 0; p < P; ++p) {
    if (r.face[static_cast<size_t>(p)] < 0) {
      EXPECT_EQ(lod[p], 0.0);
    }
  }
  return compared;
}

TEST(TextureLod, MatchesFiniteDifferencesOfTheInterpolatedUv) {
  // λ spans about three levels across the receding quad.
  Quad q(-1.5, -9.0);
  EXPECT_GT(compare_with_finite_differences(q, 64, 512, 256, 1e-3), 1000);
  RasterizerD rz;
  RasterOutputD r;
  rz.forward(q.pos, q.faces, {64, 64}, r);
  TensorD lod;
  TextureLodD tl;
  tl.forward(q.pos, q.faces, q.uvs, q.faces, r, 512, 256, lod);
  double lo = 1e9, hi = 0;
  for (int64_t p = 0; p < lod.numel(); ++p)
    if (r.face[static_cast<size_t>(p)] >= 0) lo = std::min(lo, lod[p]), hi = std::max(hi, lod[p]);
  EXPECT_GT(lo, 0.5);
  EXPECT_GT(hi - lo, 1.5);
  // The bias shifts every covered pixel (where λ stays above the clamp at 0).
  TensorD biased;
  tl.forward(q.pos, q.faces, q.uvs, q.faces, r, 512, 256, biased, 0.5);
  for (int64_t p = 0; p < lod.numel(); ++p)
    if (lod[p] > 0) {
      EXPECT_NEAR(biased[p], lod[p] + 0.5, 1e-9);
    }
}

TEST(TextureLod, FacesClippedByTheNearPlaneNeedNoSpecialCase) {
  // The near edge of the quad lies behind the camera (eye z = +0.5), so both faces are clipped.
  Quad q(0.5, -9.0, 0.3);
  EXPECT_GT(q.pos.at(0, 3), -1.0);
  EXPECT_LT(q.pos.at(0, 3), 0.0);  // w < 0: behind the camera
  EXPECT_GT(compare_with_finite_differences(q, 128, 512, 512, 1e-3), 1000);
}

// dλ/d(clip positions) against central differences, on the plain and on the clipped quad, with the
// faces under each pixel held fixed (λ is smooth in the positions there).
TEST(TextureLod, GradientsToClipPositionsMatchFiniteDifferences) {
  for (double near_z : {-1.5, 0.5}) {
    Quad q(near_z, -9.0, 0.3);
    const int S = 40;
    RasterizerD rz;
    RasterOutputD r;
    rz.forward(q.pos, q.faces, {S, S}, r);
    TensorD w({S, S});
    Rng rng(17);
    rng.fill_uniform(w, -1, 1);
    TextureLodD tl;
    TensorD lod;
    auto loss = [&] {
      tl.forward(q.pos, q.faces, q.uvs, q.faces, r, 256, 256, lod);
      double s = 0;
      for (int64_t i = 0; i < lod.numel(); ++i) s += w[i] * lod[i];
      return s;
    };
    loss();
    TensorD g;
    tl.backward(q.pos, q.faces, q.uvs, q.faces, r, 256, 256, w, &g);
    double z_grad = 0, norm = 0;
    for (int64_t v = 0; v < 4; ++v) z_grad += std::abs(g.at(v, 2)), norm += std::abs(g.at(v, 0)) + std::abs(g.at(v, 3));
    EXPECT_EQ(z_grad, 0);  // λ does not depend on the depth channel
    EXPECT_GT(norm, 1e-3);
    GradCheckOptions fd;
    fd.rtol = 1e-5, fd.atol = 1e-7;
    const GradCheckReport rep = check_gradient<double>("clip positions", q.pos.data(), q.pos.numel(), g.data(), loss, fd);
    EXPECT_TRUE(rep.ok) << "near z " << near_z << ": " << rep.message();
  }
}

// Lookups through a per-pixel lod map: double-precision finite differences for texels and uv, with
// lods on level boundaries, between levels, past the last level and invalid (negative, NaN).
TEST(TextureLod, LookupsThroughAMapMatchFiniteDifferences) {
  TextureOptions o;
  o.mip_levels = 0;  // 7×5 → 3×2 → 1×1
  TextureD tex(2, 5, 7, o);
  Rng rng(31);
  rng.fill_uniform(tex.texels.value, 0, 1);
  TensorD uv({2, 3, 4});
  rng.fill_uniform(uv, 0, 1);
  TensorD lod({3, 4});
  const double values[12] = {0, 0.3, 1, 1.5, 2, 2.7, 9, -1, std::nan(""), 0.5, 1.25, 0.9};
  std::copy(values, values + 12, lod.data());
  tex.set_lod_map(&lod);
  GradCheckOptions fd;
  fd.rtol = 1e-6, fd.atol = 1e-9;
  const GradCheckReport rep = check_node<double>(tex, {&uv}, fd);
  EXPECT_TRUE(rep.ok) << rep.message();
  EXPECT_EQ(rep.checked, 24 + 70);
  EXPECT_EQ(tex.num_built_levels(), 3);  // the lod of 9 reads the last level
  TensorD bad({2, 2});
  tex.set_lod_map(&bad);
  TensorD out;
  EXPECT_THROW(tex.forward(uv, out), std::invalid_argument);
}

TEST(TextureLod, LookupGradientToTheLodMatchesFiniteDifferences) {
  TextureOptions o;
  o.mip_levels = 0;  // 9×6 → 4×3 → 2×1 → 1×1
  TextureD tex(3, 6, 9, o);
  Rng rng(23);
  rng.fill_uniform(tex.texels.value, 0, 1);
  TensorD uv({2, 4, 5}), w({3, 4, 5}), lod({4, 5}), out, dlod;
  rng.fill_uniform(uv, 0, 1);
  rng.fill_uniform(w, -1, 1);
  rng.fill_uniform(lod, 0.05, 2.95);
  lod[0] = -0.5, lod[1] = 7;  // clamped: no gradient
  tex.set_lod_map(&lod, &dlod);
  auto loss = [&] {
    tex.forward(uv, out);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  };
  loss();
  tex.backward(uv, out, w, nullptr);
  EXPECT_EQ(dlod[0], 0);
  EXPECT_EQ(dlod[1], 0);
  double norm = 0;
  for (double v : dlod) norm += std::abs(v);
  EXPECT_GT(norm, 1e-2);
  GradCheckOptions fd;
  fd.rtol = 1e-6, fd.atol = 1e-9;
  const GradCheckReport rep = check_gradient<double>("lod", lod.data(), lod.numel(), dlod.data(), loss, fd);
  EXPECT_TRUE(rep.ok) << rep.message();
}

TEST(TextureLod, ConstantMapEqualsUniformLodAndLargeImagesAreDeterministic) {
  TextureOptions o;
  o.mip_levels = 0;
  o.lod = 1.625;  // exact in float, so the map holds the same value
  Texture a(3, 32, 32, o), b(3, 32, 32, o);
  Rng rng(5);
  rng.fill_uniform(a.texels.value, 0, 1);
  b.texels.value = a.texels.value;
  const int64_t S = 300;  // > 65536 pixels: the banded scatter
  Tensor uv({2, S, S}), g({3, S, S}), lod({S, S}, 1.625f), ya, yb;
  rng.fill_uniform(uv, 0, 1);
  rng.fill_uniform(g, -1, 1);
  b.set_lod_map(&lod);
  Tensor dua({2, S, S}, 0.f), dub({2, S, S}, 0.f);
  a.texels.zero_grad(), b.texels.zero_grad();
  a.forward(uv, ya), b.forward(uv, yb);
  a.backward(uv, ya, g, &dua), b.backward(uv, yb, g, &dub);
  auto same = [](const Tensor& x, const Tensor& y) {
    return x.shape() == y.shape() && std::memcmp(x.data(), y.data(), sizeof(float) * size_t(x.numel())) == 0;
  };
  EXPECT_TRUE(same(ya, yb));
  EXPECT_TRUE(same(dua, dub));
  EXPECT_TRUE(same(a.texels.grad, b.texels.grad));
  // A varying map over many levels: the banded scatter equals one band's (a 1-thread run).
  for (int64_t i = 0; i < lod.numel(); ++i) lod[i] = 4.5f * float(i % 997) / 997.f;
  b.texels.zero_grad();
  b.forward(uv, yb);
  b.backward(uv, yb, g, nullptr);
  const Tensor banded = b.texels.grad;
  double total = 0;
  for (float v : banded) total += std::abs(v);
  EXPECT_GT(total, 0);
  Texture c(3, 32, 32, o);
  c.texels.value = a.texels.value;
  c.set_lod_map(&lod);
  Tensor yc;
  c.texels.zero_grad();
  for (int64_t r0 = 0; r0 < S; r0 += 100) {  // 100-row slices take the single-band path
    Tensor uvs({2, 100, S}), gs({3, 100, S}), lods({100, S});
    for (int64_t i = 0; i < 100 * S; ++i) {
      for (int k = 0; k < 2; ++k) uvs[k * 100 * S + i] = uv[k * S * S + r0 * S + i];
      for (int k = 0; k < 3; ++k) gs[k * 100 * S + i] = g[k * S * S + r0 * S + i];
      lods[i] = lod[r0 * S + i];
    }
    c.set_lod_map(&lods);
    c.forward(uvs, yc);
    c.backward(uvs, yc, gs, nullptr);
  }
  for (int64_t i = 0; i < banded.numel(); ++i) EXPECT_NEAR(c.texels.grad[i], banded[i], 1e-4f);
}

TEST(TextureLod, MinifiedCheckerboardTurnsGreyInsteadOfAliasing) {
  // A 256×256 one-texel checkerboard on the receding quad at 48×48 px: several texels per pixel.
  const int S = 48, T = 256;
  Quad q(-1.5, -9.0);
  RasterizerD rz;
  RasterOutputD r;
  rz.forward(q.pos, q.faces, {S, S}, r);
  InterpolatorD ip;
  TensorD uv_img, lod, plain, mipped;
  ip.forward(q.uvs, q.faces, r, uv_img);
  TextureLodD().forward(q.pos, q.faces, q.uvs, q.faces, r, T, T, lod);
  TextureOptions o;
  o.mip_levels = 0;
  TextureD tex(1, T, T, o);
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) tex.texels.value.at(0, i, j) = (i + j) % 2;
  tex.forward(uv_img, plain);
  tex.set_lod_map(&lod);
  tex.forward(uv_img, mipped);
  double dev_plain = 0, dev_mipped = 0;
  int n = 0;
  for (int64_t p = 0; p < int64_t(S) * S; ++p) {
    if (r.face[static_cast<size_t>(p)] < 0 || lod[p] < 2) continue;  // at least 4 texels per pixel
    dev_plain += std::abs(plain[p] - 0.5), dev_mipped += std::abs(mipped[p] - 0.5);
    ++n;
  }
  ASSERT_GT(n, 300);
  EXPECT_LT(dev_mipped / n, 0.02) << dev_mipped / n;  // the box pyramid of a checkerboard is grey from level 1 up
  EXPECT_GT(dev_plain / n, 0.08);   // bilinear lookups of level 0 alias
}

}  // namespace
}  // namespace invgfx
