// Soft rasterizer: finite-difference gradients (positions and colours, including pixels outside every
// triangle but within σ reach), the sharp limit against the hard rasterizer, and the softmax colour.
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/rasterize.h"
#include "render/soft_rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace invgfx {
namespace {

using raster_test::ndc;
using raster_test::perspective;

// Two overlapping triangles in perspective on a 14×12 image; σ = 3e-3 gives a reach of
// √(σ·ln(1/ε_d − 1)) ≈ 0.17 NDC ≈ 1.2 px, γ = 0.05 keeps the depth softmax smooth.
struct SoftScene {
  TensorD pos = perspective<double>({-1.3, -1.1, -3.0, 1.2, -0.9, -3.6, 0.1, 1.3, -3.2,  //
                                     -0.2, -0.6, -2.0, 0.9, 0.1, -2.4, -0.4, 0.8, -2.1},
                                    1.0, 14.0 / 12.0, 0.1, 10);
  std::vector<int32_t> faces = {0, 1, 2, 3, 4, 5};
  TensorD colors{6, 3};
  SoftRasterizeOptions opt;
  SoftScene() {
    Rng rng(9);
    rng.fill_uniform(colors, 0, 1);
    opt.width = 14, opt.height = 12, opt.sigma = 3e-3, opt.gamma = 0.05;
  }
};

// L = Σ w ⊙ out over colour and silhouette. The pipeline is smooth in the perturbed variables except
// on measure-zero sets (a face entering the cut-off, the closest edge switching, a barycentric
// crossing 0 in the clamp); with h = 1e-6 none is crossed at this configuration, so central
// differences are accurate to ~1e-9 relative; rtol 1e-5 allows for the stiff exp(z̃/γ) terms.
void check_soft_gradients(SoftScene& sc, const TensorD& w, const char* what) {
  SoftRasterizerD sr;
  TensorD out;
  auto loss = [&]() {
    sr.forward(sc.pos, sc.faces, sc.colors, sc.opt, out);
    double s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  };
  loss();
  TensorD dL_dpos, dL_dcolors;
  sr.backward(sc.pos, sc.faces, sc.colors, sc.opt, out, w, &dL_dpos, &dL_dcolors);
  double gnorm = 0;
  for (double g : dL_dpos) gnorm += g * g;
  EXPECT_GT(gnorm, 1e-8) << what;
  GradCheckOptions opt;
  auto rp = check_gradient<double>("clip positions", sc.pos.data(), sc.pos.numel(), dL_dpos.data(), loss, opt);
  EXPECT_TRUE(rp.ok) << what << ": " << rp.message();
  auto rc = check_gradient<double>("colours", sc.colors.data(), sc.colors.numel(), dL_dcolors.data(), loss, opt);
  EXPECT_TRUE(rc.ok) << what << ": " << rc.message();
}

TEST(RasterSoft, GradientsMatchFiniteDifferences) {
  SoftScene sc;
  TensorD w({4, 12, 14});
  Rng rng(4);
  rng.fill_uniform(w, -1, 1);
  check_soft_gradients(sc, w, "all pixels");
}

TEST(RasterSoft, PixelsOutsideTrianglesWithinReachGetGradients) {
  // The loss only sees pixels that no triangle covers; they still respond to the vertices (through
  // D of the nearby faces), and that response must match finite differences.
  SoftScene sc;
  SoftRasterizerD sr;
  TensorD out;
  sr.forward(sc.pos, sc.faces, sc.colors, sc.opt, out);
  TensorD w({4, 12, 14});
  Rng rng(6);
  rng.fill_uniform(w, -1, 1);
  int outside_lit = 0;
  for (int64_t p = 0; p < 12 * 14; ++p) {
    const bool outside = sr.nearest_face()[static_cast<size_t>(p)] < 0;
    if (outside && out[3 * 12 * 14 + p] > 1e-3) ++outside_lit;
    if (!outside)
      for (int c = 0; c < 4; ++c) w[c * 12 * 14 + p] = 0;
  }
  EXPECT_GT(outside_lit, 5);  // soft silhouette spills past the triangles
  check_soft_gradients(sc, w, "outside pixels only");
}

TEST(RasterSoft, SharpLimitMatchesHardCoverageAndColour) {
  // σ → 0: A becomes the hard coverage (Σ A within a perimeter's worth of pixels of the hard count,
  // as boundary pixels may sit at D ≈ ½) and a uniformly coloured single triangle shows its colour.
  const int W = 48, H = 40;
  Tensor pos = ndc<float>({-0.7, -0.6, 0.1, 0.65, -0.45, 0.1, 0.05, 0.7, 0.1});
  std::vector<int32_t> faces = {0, 1, 2};
  Tensor colors({3, 3});
  for (int i = 0; i < 3; ++i) colors.at(i, 0) = 0.2f, colors.at(i, 1) = 0.5f, colors.at(i, 2) = 0.9f;
  Rasterizer rz;
  RasterOutput r;
  rz.forward(pos, faces, {W, H}, r);
  SoftRasterizeOptions opt;
  opt.width = W, opt.height = H, opt.sigma = 1e-7;
  SoftRasterizer sr;
  Tensor out;
  sr.forward(pos, faces, colors, opt, out);
  double area = 0;
  const int64_t plane = int64_t(W) * H;
  for (int64_t p = 0; p < plane; ++p) area += out[3 * plane + p];
  EXPECT_NEAR(area, double(r.covered_pixels()), 0.5 * (W + H));
  for (int64_t p = 0; p < plane; ++p) {
    if (r.face[static_cast<size_t>(p)] < 0) continue;
    if (out[3 * plane + p] < 0.999f) continue;
    EXPECT_NEAR(out[p], 0.2f, 1e-4f);
    EXPECT_NEAR(out[plane + p], 0.5f, 1e-4f);
    EXPECT_NEAR(out[2 * plane + p], 0.9f, 1e-4f);
    EXPECT_EQ(sr.nearest_face()[static_cast<size_t>(p)], 0);
    EXPECT_NEAR(sr.depth()[p], 0.1f, 1e-5f);
  }
}

// The definition, evaluated naively: every face at every pixel, the cut-off, the K nearest in z̃ (ties
// keep face order), then the softmax and the silhouette; and the nearest covering face with its
// weights. In double, in screen space (w = 1 here).
// Returns the number of pixels with more than K faces in reach.
int soft_reference(const TensorD& pos, const std::vector<int32_t>& faces, const TensorD& colors,
                   const SoftRasterizeOptions& opt, TensorD& out, std::vector<int32_t>& nearest,
                   TensorD& weights) {
  const int W = opt.width, H = opt.height, K = opt.max_faces;
  const int64_t F = int64_t(faces.size() / 3), C = colors.dim(1), plane = int64_t(W) * H;
  const double cutoff = opt.sigma * std::log(1 / opt.dist_eps - 1);
  out.resize({C + 1, H, W});
  nearest.assign(size_t(plane), -1);
  weights.resize({3, H, W});
  weights.zero();
  struct Hit { double zt, D, lh[3]; bool inside; int32_t f; };
  int crowded = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const double fx = (2.0 * x + 1) / W - 1, fy = 1 - (2.0 * y + 1) / H;
      std::vector<Hit> hits;
      for (int32_t f = 0; f < F; ++f) {
        double q[3][2], zn[3];
        for (int i = 0; i < 3; ++i) {
          const int32_t v = faces[size_t(3 * f + i)];
          q[i][0] = pos.at(v, 0), q[i][1] = pos.at(v, 1), zn[i] = pos.at(v, 2);
        }
        double n[3], area = 0, d2 = 1e300;
        for (int i = 0; i < 3; ++i) {
          const double* a = q[(i + 1) % 3];
          const double* b = q[(i + 2) % 3];
          n[i] = (a[0] - fx) * (b[1] - fy) - (a[1] - fy) * (b[0] - fx);
          area += n[i];
          const double abx = b[0] - a[0], aby = b[1] - a[1];
          const double t = std::clamp(((fx - a[0]) * abx + (fy - a[1]) * aby) / (abx * abx + aby * aby), 0.0, 1.0);
          d2 = std::min(d2, std::pow(fx - a[0] - t * abx, 2) + std::pow(fy - a[1] - t * aby, 2));
        }
        Hit h{0, 0, {0, 0, 0}, true, f};
        double M = 0;
        for (int i = 0; i < 3; ++i) h.inside = h.inside && n[i] / area >= 0, M += std::max(n[i] / area, 0.0);
        if (!h.inside && d2 >= cutoff) continue;
        double z = 0;
        for (int i = 0; i < 3; ++i) h.lh[i] = std::max(n[i] / area, 0.0) / M, z += h.lh[i] * zn[i];
        h.zt = (1 - z) / 2;
        h.D = 1 / (1 + std::exp(-(h.inside ? d2 : -d2) / opt.sigma));
        hits.push_back(h);
      }
      std::stable_sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return a.zt > b.zt; });
      if (hits.size() > size_t(K)) hits.resize(size_t(K)), ++crowded;
      double zmax = opt.background_eps, keep = 1;
      for (const Hit& h : hits) zmax = std::max(zmax, h.zt);
      const double wb = std::exp((opt.background_eps - zmax) / opt.gamma);
      double wsum = wb;
      std::vector<double> acc(size_t(C), wb * opt.background);
      for (const Hit& h : hits) {
        const double w = h.D * std::exp((h.zt - zmax) / opt.gamma);
        wsum += w, keep *= 1 - h.D;
        for (int64_t c = 0; c < C; ++c)
          for (int i = 0; i < 3; ++i) acc[size_t(c)] += w * h.lh[i] * colors.at(faces[size_t(3 * h.f + i)], c);
        if (h.inside && nearest[size_t(y * W + x)] < 0) {
          nearest[size_t(y * W + x)] = h.f;
          for (int i = 0; i < 3; ++i) weights[i * plane + y * W + x] = h.lh[i];
        }
      }
      for (int64_t c = 0; c < C; ++c) out[c * plane + y * W + x] = acc[size_t(c)] / wsum;
      out[C * plane + y * W + x] = 1 - keep;
    }
  return crowded;
}

TEST(RasterSoft, MatchesNaiveEvaluationOfTheDefinition) {
  // Many random overlapping triangles, so pixels have more candidates than K and the top-K selection,
  // the cut-off and the tile binning (several tiles) are all exercised.
  const int W = 53, H = 41;
  Rng rng(21);
  const int F = 240;
  std::vector<double> xyz;
  for (int f = 0; f < F; ++f) {
    const double cx = rng.uniform_d(-1.1, 1.1), cy = rng.uniform_d(-1.1, 1.1), z = rng.uniform_d(-0.9, 0.9);
    const double r = rng.uniform_d(0.05, 0.5);
    for (int i = 0; i < 3; ++i)
      xyz.insert(xyz.end(), {cx + rng.uniform_d(-r, r), cy + rng.uniform_d(-r, r), z + rng.uniform_d(-0.1, 0.1)});
  }
  TensorD pos = raster_test::ndc<double>(xyz);
  std::vector<int32_t> faces(size_t(3 * F));
  for (int i = 0; i < 3 * F; ++i) faces[size_t(i)] = i;
  TensorD colors({3 * F, 2});
  rng.fill_uniform(colors, 0, 1);
  for (int K : {1, 3, 8}) {
    SoftRasterizeOptions opt;
    opt.width = W, opt.height = H, opt.sigma = 2e-4, opt.gamma = 0.02, opt.background = 0.25, opt.max_faces = K;
    SoftRasterizerD sr;
    TensorD out, ref, weights;
    std::vector<int32_t> nearest;
    sr.forward(pos, faces, colors, opt, out);
    const int crowded = soft_reference(pos, faces, colors, opt, ref, nearest, weights);
    int differ = 0;
    for (int64_t i = 0; i < out.numel(); ++i) differ += std::abs(out[i] - ref[i]) > 1e-9;
    for (size_t p = 0; p < nearest.size(); ++p) differ += sr.nearest_face()[p] != nearest[p];
    for (int64_t i = 0; i < weights.numel(); ++i) differ += std::abs(sr.nearest_weights()[i] - weights[i]) > 1e-12;
    EXPECT_EQ(differ, 0) << "K = " << K;
    if (K < 8) {
      EXPECT_GT(crowded, W * H / 4) << "K = " << K;
    }
  }
}

TEST(RasterSoft, ReusedRasterizerMatchesFreshOne) {
  // A rasterizer that rendered a small scene, then a much larger one (its store of kept faces must
  // grow mid-call), then a different size, gives the bits a fresh rasterizer gives for each.
  SoftScene small;
  TensorD big_pos = raster_test::ndc<double>({-0.9, -0.9, 0.2, 0.9, -0.9, 0.2, 0.0, 0.9, 0.2,  //
                                              -0.9, 0.9, -0.3, 0.9, 0.9, -0.3, 0.0, -0.9, -0.3});
  std::vector<int32_t> big_faces = {0, 1, 2, 3, 4, 5};
  SoftRasterizeOptions big_opt;
  big_opt.width = 150, big_opt.height = 140, big_opt.sigma = 1e-3, big_opt.gamma = 0.05;
  SoftRasterizeOptions mid_opt = big_opt;
  mid_opt.width = 70, mid_opt.height = 90;
  Rng rng(3);
  TensorD big_colors({6, 3});
  rng.fill_uniform(big_colors, 0, 1);
  SoftRasterizerD reused;
  auto run = [&](SoftRasterizerD& sr, const TensorD& pos, const std::vector<int32_t>& faces, const TensorD& colors,
                 const SoftRasterizeOptions& opt, TensorD& out, TensorD& gpos, TensorD& gcol) {
    sr.forward(pos, faces, colors, opt, out);
    TensorD w(out.shape());
    Rng wr(8);
    wr.fill_uniform(w, -1, 1);
    gpos = TensorD(), gcol = TensorD();
    sr.backward(pos, faces, colors, opt, out, w, &gpos, &gcol);
  };
  TensorD out, gpos, gcol, ref_out, ref_gpos, ref_gcol;
  run(reused, small.pos, small.faces, small.colors, small.opt, out, gpos, gcol);
  for (const SoftRasterizeOptions* opt : {&big_opt, &mid_opt}) {
    run(reused, big_pos, big_faces, big_colors, *opt, out, gpos, gcol);
    SoftRasterizerD fresh;
    run(fresh, big_pos, big_faces, big_colors, *opt, ref_out, ref_gpos, ref_gcol);
    ASSERT_EQ(out.shape(), ref_out.shape());
    EXPECT_EQ(0, std::memcmp(out.data(), ref_out.data(), sizeof(double) * size_t(out.numel())));
    EXPECT_EQ(0, std::memcmp(gpos.data(), ref_gpos.data(), sizeof(double) * size_t(gpos.numel())));
    EXPECT_EQ(0, std::memcmp(gcol.data(), ref_gcol.data(), sizeof(double) * size_t(gcol.numel())));
    double gnorm = 0;
    for (double g : gpos) gnorm += g * g;
    EXPECT_GT(gnorm, 0);
  }
  // A backward that does not match the last forward's size is refused, not read out of bounds.
  TensorD w_small({4, 12, 14});
  EXPECT_THROW(reused.backward(small.pos, small.faces, small.colors, small.opt, ref_out, ref_out, &gpos, &gcol),
               std::invalid_argument);
  EXPECT_THROW(reused.backward(small.pos, small.faces, small.colors, small.opt, w_small, w_small, &gpos, &gcol),
               std::invalid_argument);
}

TEST(RasterSoft, SoftmaxPrefersNearerSurface) {
  // Two coplanar-in-screen triangles at different depths, small γ: the colour is the nearer one's.
  Tensor pos = ndc<float>({-0.8, -0.8, 0.5, 0.8, -0.8, 0.5, 0.0, 0.8, 0.5,  //
                           -0.8, -0.8, -0.5, 0.8, -0.8, -0.5, 0.0, 0.8, -0.5});
  Tensor colors({6, 1});
  for (int i = 0; i < 6; ++i) colors[i] = i < 3 ? 1.f : 0.f;
  SoftRasterizeOptions opt;
  opt.width = 16, opt.height = 16;
  SoftRasterizer sr;
  Tensor out;
  sr.forward(pos, {0, 1, 2, 3, 4, 5}, colors, opt, out);
  EXPECT_NEAR(out.at(0, 8, 8), 0.f, 1e-5f);
  EXPECT_NEAR(out.at(1, 8, 8), 1.f, 1e-5f);
  sr.forward(pos, {3, 4, 5, 0, 1, 2}, colors, opt, out);
  EXPECT_NEAR(out.at(0, 8, 8), 0.f, 1e-5f);
  SoftRasterizeOptions bad = opt;
  bad.sigma = 0;
  EXPECT_THROW(sr.forward(pos, {0, 1, 2}, colors, bad, out), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
