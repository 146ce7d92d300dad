// The loop's scene renderer: golden images (a sphere's coverage against the analytic disc, the
// background, upright orientation), central finite-difference checks of the backward for every
// SceneT field in both modes, the visibility gradient against the disc's analytic derivative,
// NaN-free output with the camera inside or in front of the mesh, and buffer reuse.
#include "render/scene_render.h"

#include "core/gradcheck.h"
#include "core/random.h"
#include "render/mesh_templates.h"
#include "tests/alloc_counter.h"

#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace invgfx {
namespace {

template <class T>
SceneT<T> sphere_scene(const MeshT<T>& m, LightModel light, uint64_t seed, bool colors = false) {
  Rng rng(seed);
  SceneT<T> s;
  s.positions = m.positions;
  s.texture.resize({3, 32, 64});
  rng.fill_uniform(s.texture, 0.1, 0.9);
  if (colors) {
    s.colors.resize({m.num_vertices(), 3});
    rng.fill_uniform(s.colors, 0.1, 0.9);
  }
  s.light.resize({light_size(light)});
  if (light == LightModel::kSphericalHarmonics) {
    rng.fill_uniform(s.light, -0.3, 0.3);
    for (int c = 0; c < 3; ++c) s.light[9 * c] = T(0.8);  // mostly constant, some directional terms
  } else {
    const double v[9] = {0.2, 0.25, 0.3, 0.4, 0.7, 0.9, 0.8, 0.7, 0.6};
    for (int i = 0; i < 9; ++i) s.light[i] = T(v[i]);
  }
  s.camera.resize({4});
  s.camera[0] = T(0.3), s.camera[1] = T(0.2), s.camera[2] = T(2.9), s.camera[3] = T(0.1);
  s.background.resize({3});
  s.background[0] = T(0.2), s.background[1] = T(0.5), s.background[2] = T(0.7);
  return s;
}

RenderOptions options(int size, RasterMode mode, LightModel light = LightModel::kSphericalHarmonics) {
  RenderOptions o;
  o.size = size;
  o.fov_y = M_PI / 3;
  o.mode = mode;
  o.light = light;
  o.sigma = 1e-3;  // about half a pixel at 32 px: gradients reach the neighbouring pixels
  o.gamma = 1e-4;
  return o;
}

double sum(const Tensor& t) {
  double s = 0;
  for (float v : t) s += v;
  return s;
}

TEST(SceneRender, ModeAndLightNamesRoundTrip) {
  EXPECT_EQ(raster_mode_from_string(to_string(RasterMode::kSoft)), RasterMode::kSoft);
  EXPECT_EQ(raster_mode_from_string(to_string(RasterMode::kHard)), RasterMode::kHard);
  EXPECT_EQ(light_model_from_string(to_string(LightModel::kAmbientDirectional)), LightModel::kAmbientDirectional);
  EXPECT_EQ(light_model_from_string(to_string(LightModel::kSphericalHarmonics)), LightModel::kSphericalHarmonics);
  EXPECT_THROW(raster_mode_from_string("wire"), std::invalid_argument);
  EXPECT_THROW(light_model_from_string("area"), std::invalid_argument);
  RenderOptions o;
  o.size = 8;
  EXPECT_THROW(o.check(), std::invalid_argument);
}

TEST(SceneRender, ZerosLikeKeepsAbsentFieldsAbsent) {
  Scene s;
  s.positions = Tensor({4, 3}, 1.f);
  s.texture = Tensor({3, 8, 8}, 0.5f);  // colours absent
  const Scene z = Scene::zeros_like(s);
  EXPECT_EQ(z.positions.shape(), s.positions.shape());
  EXPECT_EQ(z.texture.shape(), s.texture.shape());
  for (float v : z.texture) EXPECT_EQ(v, 0.f);
  EXPECT_TRUE(z.colors.empty());
  EXPECT_TRUE(z.light.empty());
}

TEST(SceneRender, BadSceneShapesNameTheField) {
  const Mesh m = make_scene_template(1);
  SceneRenderer r(m, options(32, RasterMode::kHard));
  Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 1);
  s.light.resize({9});
  Tensor rgb, alpha;
  try {
    r.forward(s, rgb, alpha);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("light"), std::string::npos) << e.what();
  }
}

// Radius 1, 2.7 units in front of a 60° camera: the outline is a circle of f·r/√(d² − r²) px; the
// level-3 icosphere is inscribed and loses ≈ 1% of that area.
TEST(SceneRender, SphereCoversTheAnalyticDiscInBothModes) {
  const int n = 96;
  const Mesh m = make_scene_template(3);
  Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 2);
  s.camera[0] = s.camera[1] = s.camera[3] = 0;
  s.camera[2] = 2.7f;
  const double f = 0.5 * n / std::tan(M_PI / 6);
  const double R = f / std::sqrt(2.7 * 2.7 - 1), disc = M_PI * R * R;
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    RenderOptions o = options(n, mode);
    o.sigma = 1e-5;
    SceneRenderer r(m, o);
    Tensor rgb, alpha;
    r.forward(s, rgb, alpha);
    EXPECT_NEAR(sum(alpha), disc, 0.025 * disc) << to_string(mode);
    // Nothing is drawn near the corners: exactly the background there.
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(rgb.at(c, 0, 0), s.background[c]) << to_string(mode);
      EXPECT_EQ(rgb.at(c, n - 1, n - 1), s.background[c]) << to_string(mode);
    }
    EXPECT_EQ(alpha.at(0, 0, 0), 0.f);
    // Hard: full coverage. Soft: 1 − Π(1 − D_j) stays a little below 1 near the interior edges.
    EXPECT_NEAR(alpha.at(0, n / 2, n / 2), 1.f, mode == RasterMode::kHard ? 1e-6 : 0.1);
    // Constant SH radiance 0.8 (plus small higher terms) on albedo ≤ 0.9: a lit, non-background centre.
    EXPECT_GT(rgb.at(0, n / 2, n / 2), 0.05f);
  }
}

// A small sphere moved up and right in the world lands in the upper-right quadrant of the image
// (row 0 at the top), and world +y of the sphere's own vertices points to the top of the image.
TEST(SceneRender, ImageIsUprightAndNotMirrored) {
  const int n = 64;
  const Mesh m = make_scene_template(2, 0.3f);
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 3);
    s.camera[0] = s.camera[1] = s.camera[3] = 0;
    s.camera[2] = 4;
    for (int64_t i = 0; i < m.num_vertices(); ++i) s.positions.at(i, 0) += 0.6f, s.positions.at(i, 1) += 0.8f;
    SceneRenderer r(m, options(n, mode));
    Tensor rgb, alpha;
    r.forward(s, rgb, alpha);
    double sx = 0, sy = 0, w = 0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) w += alpha.at(0, y, x), sx += x * alpha.at(0, y, x), sy += y * alpha.at(0, y, x);
    ASSERT_GT(w, 10);
    EXPECT_LT(sy / w, n / 2.0 - 5) << to_string(mode);
    EXPECT_GT(sx / w, n / 2.0 + 5) << to_string(mode);
    // The upper half of the sphere's own disc is nearer the top of the image: its north pole vertex
    // (world +y) shows in the face-id image above the disc's centre.
    if (mode == RasterMode::kHard) {
      const auto& ids = r.face_ids();
      int top = n, bottom = -1;
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          if (ids[static_cast<size_t>(y * n + x)] >= 0) top = std::min(top, y), bottom = std::max(bottom, y);
      EXPECT_NEAR(sy / w, 0.5 * (top + bottom), 1.0);
      // Normals: world +y up → the top rows of the disc have normals with positive y.
      EXPECT_GT(r.normals_image().at(1, top + 1, static_cast<int>(sx / w)), 0.2f);
      EXPECT_LT(r.normals_image().at(1, bottom - 1, static_cast<int>(sx / w)), -0.2f);
    }
  }
}

// The normals image of the soft mode interpolates the nearest face's vertex normals with its weights
// at the pixel, so it agrees with the hard mode's perspective-correct interpolation to within the
// faces' small perspective, and it is as smooth: the largest angle between horizontal neighbours is
// the hard image's (curvature near the limb), not the ~8° between neighbouring faces that per-face
// normals would show at every face edge.
TEST(SceneRender, SoftNormalsImageIsSmoothAndMatchesTheHardOne) {
  const int n = 96;
  const Mesh m = make_scene_template(3);
  Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 5);
  Tensor rgb, alpha;
  SceneRenderer hard(m, options(n, RasterMode::kHard)), soft(m, options(n, RasterMode::kSoft));
  hard.forward(s, rgb, alpha);
  soft.forward(s, rgb, alpha);
  const int64_t P = int64_t(n) * n;
  auto covered = [&](const SceneRenderer& r, int64_t p) { return r.face_ids()[static_cast<size_t>(p)] >= 0; };
  // The largest angle (degrees) between horizontally neighbouring pixels both renderers cover.
  auto worst_step = [&](const SceneRenderer& r) {
    const Tensor& nm = r.normals_image();
    double worst = 0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x + 1 < n; ++x) {
        const int64_t p = int64_t(y) * n + x;
        if (!covered(hard, p) || !covered(soft, p) || !covered(hard, p + 1) || !covered(soft, p + 1)) continue;
        double dot = 0;
        for (int c = 0; c < 3; ++c) dot += nm[c * P + p] * nm[c * P + p + 1];
        worst = std::max(worst, std::acos(std::min(1.0, dot)) * 180 / M_PI);
      }
    return worst;
  };
  const Tensor& nh = hard.normals_image();
  const Tensor& ns = soft.normals_image();
  double diff = 0;
  int both = 0;
  for (int64_t p = 0; p < P; ++p) {
    if (!covered(hard, p) || !covered(soft, p)) continue;
    double len = 0;
    for (int c = 0; c < 3; ++c) diff += std::abs(nh[c * P + p] - ns[c * P + p]), len += ns[c * P + p] * ns[c * P + p];
    EXPECT_NEAR(len, 1.0, 1e-4);
    ++both;
  }
  ASSERT_GT(both, 2000);
  EXPECT_LT(diff / both, 0.005);  // measured 0.001 (L1 over the three components)
  const double hard_worst = worst_step(hard), soft_worst = worst_step(soft);
  EXPECT_GT(hard_worst, 1.0);
  EXPECT_LT(soft_worst, hard_worst + 1.0) << "hard " << hard_worst << "°";
  EXPECT_LT(soft_worst, 5.0);
}

// Double precision, L = Σ w_rgb ⊙ rgb + Σ w_a ⊙ alpha with fixed random weights. For h = 1e-6 no
// pixel centre changes face and no antialiasing blend changes side (the hard image is piecewise
// smooth in every variable, with silhouette blends continuous in the edge position); the soft image
// is smooth. So central differences see exactly the gradient backward computes, silhouette edges
// included (nvdiffrast-style check).
struct GradCase {
  RasterMode mode;
  MeshD mesh = make_icosphere<double>(2, 1.0);
  SceneD scene;
  SceneRendererD renderer;
  TensorD rgb, alpha, w_rgb, w_alpha;
  SceneD grad;

  GradCase(RasterMode mode_, LightModel light, bool colors, int mip_levels = 1)
      : mode(mode_), renderer(mesh.cast<float>(), [&] {
          RenderOptions o = options(32, mode_, light);
          o.mip_levels = mip_levels;
          return o;
        }()) {
    Rng rng(41);
    for (auto& v : mesh.positions) v *= 1 + 0.05 * rng.uniform_d(-1, 1);
    scene = sphere_scene(mesh, light, 7, colors);
    w_rgb.resize({3, 32, 32});
    w_alpha.resize({1, 32, 32});
    rng.fill_uniform(w_rgb, -1, 1);
    rng.fill_uniform(w_alpha, -1, 1);
  }
  double loss() {
    renderer.forward(scene, rgb, alpha);
    double s = 0;
    for (int64_t i = 0; i < rgb.numel(); ++i) s += w_rgb[i] * rgb[i];
    for (int64_t i = 0; i < alpha.numel(); ++i) s += w_alpha[i] * alpha[i];
    return s;
  }
  GradCheckReport check() {
    loss();
    grad = SceneD::zeros_like(scene);
    renderer.backward(scene, w_rgb, w_alpha, grad);
    GradCheckOptions o;
    o.rtol = 1e-5;
    o.atol = 1e-8;
    // The soft image sums many overlapping faces, so L carries rounding noise of about 1e-14; at
    // h = 1e-6 that noise (≈ 1e-8 in the quotient) reaches atol, and code built without FMA landed
    // just past it. h = 3e-6 keeps the truncation error (∝ h²) far below the tolerance too
    // (measured worst ratios: 0.08 at 3e-6, 0.17 at 1e-5, 1.07 at 1e-6, 3.2 at 1e-7).
    if (mode == RasterMode::kSoft) o.step = 3e-6;
    auto l = [&] { return loss(); };
    GradCheckReport all;
    auto field = [&](const char* what, TensorD& x, TensorD& g, int max_elements) {
      if (x.empty()) return;
      GradCheckOptions oo = o;
      oo.max_elements = max_elements;
      all.merge(check_gradient<double>(what, x.data(), x.numel(), g.data(), l, oo));
    };
    field("positions", scene.positions, grad.positions, 160);
    field("texture", scene.texture, grad.texture, 96);
    field("colors", scene.colors, grad.colors, 96);
    field("light", scene.light, grad.light, 0);
    field("camera", scene.camera, grad.camera, 0);
    field("background", scene.background, grad.background, 0);
    return all;
  }
};

void expect_gradients(RasterMode mode, LightModel light, bool colors, int mip_levels = 1) {
  GradCase c(mode, light, colors, mip_levels);
  const GradCheckReport rep = c.check();
  EXPECT_TRUE(rep.ok) << to_string(mode) << " " << to_string(light) << (colors ? " colors: " : " texture: ")
                      << rep.message();
  // The gradients are not trivially zero: every field the image depends on gets some.
  auto norm = [](const TensorD& t) {
    double s = 0;
    for (double v : t) s += v * v;
    return s;
  };
  EXPECT_GT(norm(c.grad.positions), 1e-6);
  EXPECT_GT(norm(c.grad.camera), 1e-6);
  EXPECT_GT(norm(c.grad.light), 1e-6);
  EXPECT_GT(norm(c.grad.background), 1e-6);
  EXPECT_GT(norm(colors ? c.grad.colors : c.grad.texture), 1e-6);
}

TEST(SceneRender, HardGradientsShTexture) { expect_gradients(RasterMode::kHard, LightModel::kSphericalHarmonics, false); }
TEST(SceneRender, HardGradientsAmbientDirectionalColors) {
  expect_gradients(RasterMode::kHard, LightModel::kAmbientDirectional, true);
}
// A 32×64 texture on a ~15 px disc: the mip pyramid is sampled at a level of detail above 0.
TEST(SceneRender, HardGradientsThroughMipmaps) {
  expect_gradients(RasterMode::kHard, LightModel::kSphericalHarmonics, false, 0);
}
TEST(SceneRender, SoftGradientsShTexture) { expect_gradients(RasterMode::kSoft, LightModel::kSphericalHarmonics, false); }
TEST(SceneRender, SoftGradientsAmbientDirectionalColors) {
  expect_gradients(RasterMode::kSoft, LightModel::kAmbientDirectional, true);
}

// The visibility gradient: d(Σ alpha)/d(distance) against the derivative of the disc's area
// π R², R = f·r/√(d² − r²), i.e. dA/dd = −2π f² r² d/(d² − r²)². Only the antialiasing pass (hard)
// or the soft silhouette gives it.
TEST(SceneRender, CoverageGradientMatchesTheDiscAreaDerivative) {
  const int n = 96;
  const Mesh m = make_scene_template(3);
  const double d = 2.7, f = 0.5 * n / std::tan(M_PI / 6);
  const double expected = -2 * M_PI * f * f * d / ((d * d - 1) * (d * d - 1));
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    RenderOptions o = options(n, mode);
    o.sigma = 2e-5;
    SceneRenderer r(m, o);
    Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 4);
    s.camera[0] = s.camera[1] = s.camera[3] = 0;
    s.camera[2] = static_cast<float>(d);
    Tensor rgb, alpha, ones({1, n, n}, 1.f);
    r.forward(s, rgb, alpha);
    Scene g;
    r.backward(s, Tensor(), ones, g);
    EXPECT_NEAR(g.camera[2], expected, 0.1 * std::abs(expected)) << to_string(mode);
  }
}

// Camera inside the sphere, and a mesh behind the camera: finite images and gradients.
TEST(SceneRender, NoNaNWithTheCameraInsideOrBehindTheMesh) {
  const Mesh m = make_scene_template(2);
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    for (int c = 0; c < 2; ++c) {
      Scene s = sphere_scene(m, LightModel::kAmbientDirectional, 5);
      if (c == 0) {
        s.camera[2] = 0.4f;  // inside the unit sphere
      } else {
        s.camera[0] = s.camera[1] = s.camera[3] = 0;
        s.camera[2] = 3;
        for (int64_t i = 0; i < m.num_vertices(); ++i) s.positions.at(i, 2) += 4.5f;  // behind the eye at z = 3
      }
      SceneRenderer r(m, options(32, mode, LightModel::kAmbientDirectional));
      Tensor rgb, alpha, ones3({3, 32, 32}, 1.f), ones1({1, 32, 32}, 1.f);
      r.forward(s, rgb, alpha);
      Scene out{rgb, Tensor(), Tensor(), Tensor(), Tensor(), alpha};
      EXPECT_TRUE(out.finite()) << to_string(mode) << " case " << c;
      Scene g;
      r.backward(s, ones3, ones1, g);
      EXPECT_TRUE(g.finite()) << to_string(mode) << " case " << c;
      if (c == 1) {
        EXPECT_EQ(sum(alpha), 0.0) << to_string(mode);
      }
      for (float v : r.depth_image()) EXPECT_TRUE(std::isfinite(v));
    }
  }
}

TEST(SceneRender, BitIdenticalAtOneAndTwoThreads) {
  const Mesh m = make_scene_template(3);
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 9);
    Rng rng(3);
    Tensor w3({3, 64, 64}), w1({1, 64, 64});
    rng.fill_uniform(w3, -1, 1);
    rng.fill_uniform(w1, -1, 1);
    Tensor rgb[2], alpha[2];
    Scene g[2];
    const int saved = omp_get_max_threads();
    for (int t = 0; t < 2; ++t) {
      omp_set_num_threads(t + 1);
      SceneRenderer r(m, options(64, mode));
      r.forward(s, rgb[t], alpha[t]);
      r.backward(s, w3, w1, g[t]);
    }
    omp_set_num_threads(saved);
    auto same = [](const Tensor& a, const Tensor& b) {
      return a.shape() == b.shape() && std::equal(a.begin(), a.end(), b.begin());
    };
    EXPECT_TRUE(same(rgb[0], rgb[1])) << to_string(mode);
    EXPECT_TRUE(same(alpha[0], alpha[1])) << to_string(mode);
    EXPECT_TRUE(same(g[0].positions, g[1].positions)) << to_string(mode);
    EXPECT_TRUE(same(g[0].texture, g[1].texture)) << to_string(mode);
    EXPECT_TRUE(same(g[0].light, g[1].light)) << to_string(mode);
    EXPECT_TRUE(same(g[0].camera, g[1].camera)) << to_string(mode);
  }
}

TEST(SceneRender, SteadyStateReusesBuffers) {
  const Mesh m = make_scene_template(2);
  // mip_levels 0: per-pixel mip levels (hard), one level for the whole mesh (soft).
  const std::pair<RasterMode, int> cases[] = {
      {RasterMode::kHard, 1}, {RasterMode::kSoft, 1}, {RasterMode::kHard, 0}, {RasterMode::kSoft, 0}};
  for (const auto& [mode, mips] : cases) {
    RenderOptions o = options(32, mode);
    o.mip_levels = mips;
    SceneRenderer r(m, o);
    Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 6);
    Tensor rgb, alpha, w3({3, 32, 32}, 0.5f), w1({1, 32, 32}, 0.5f);
    Scene g;
    r.forward(s, rgb, alpha);
    r.backward(s, w3, w1, g);
    const float* prgb = rgb.data();
    const float* palpha = alpha.data();
    const float* pg = g.positions.data();
    const float* pt = g.texture.data();
    const float* pn = r.normals_image().data();
    const Tensor rgb0 = rgb;
    const Scene g0 = g;
    g.zero();
    test::CountAllocations allocations;
    for (int k = 0; k < 3; ++k) {
      s.camera[0] += 1e-3f;
      r.forward(s, rgb, alpha);
      r.backward(s, w3, w1, g);
    }
    EXPECT_EQ(allocations.stop(), 0) << to_string(mode) << ", mip_levels " << mips;
    EXPECT_EQ(rgb.data(), prgb);
    EXPECT_EQ(alpha.data(), palpha);
    EXPECT_EQ(g.positions.data(), pg);
    EXPECT_EQ(g.texture.data(), pt);
    EXPECT_EQ(r.normals_image().data(), pn);
    // Backward adds: the gradient after three calls is about three times one call's.
    EXPECT_NEAR(g.background[0], 3 * g0.background[0], 0.05 * std::abs(3 * g0.background[0]) + 1e-3);
  }
}

TEST(SceneRender, MeshOfKeepsTemplateTopologyAndSceneValues) {
  const Mesh m = make_scene_template(1);
  SceneRenderer r(m, options(32, RasterMode::kHard));
  Scene s = sphere_scene(m, LightModel::kSphericalHarmonics, 8);
  for (auto& v : s.positions) v *= 1.5f;
  const Mesh out = r.mesh_of(s);
  EXPECT_EQ(out.faces, m.faces);
  EXPECT_EQ(out.uv_faces, m.uv_faces);
  ASSERT_EQ(out.positions.shape(), s.positions.shape());
  EXPECT_EQ(out.positions[5], s.positions[5]);
  EXPECT_EQ(out.texture.shape(), s.texture.shape());
  ASSERT_EQ(out.normals.shape(), s.positions.shape());
  EXPECT_NEAR(out.normals.at(0, 0) * out.normals.at(0, 0) + out.normals.at(0, 1) * out.normals.at(0, 1) +
                  out.normals.at(0, 2) * out.normals.at(0, 2),
              1.0, 1e-5);
  EXPECT_NO_THROW(out.validate("mesh_of"));
}

// A template whose UVs share the position index (no uv_faces): a 2×2 quad 3 units in front of the
// camera covers a square of side 2f/3 px, textured with a constant albedo lit by a constant SH light.
TEST(SceneRender, PlaneTemplateWithPerVertexUvs) {
  const int n = 64;
  const Mesh m = make_plane(2.f, 2.f);
  ASSERT_TRUE(m.uv_faces.empty());
  Scene s;
  s.positions = m.positions;
  s.texture = Tensor({3, 4, 4}, 0.5f);
  s.light = Tensor({27}, 0.f);
  for (int c = 0; c < 3; ++c) s.light[9 * c] = 0.8f;
  s.camera = Tensor({4}, 0.f);
  s.camera[2] = 3;
  s.background = Tensor({3}, 0.f);
  const double side = 2 * (0.5 * n / std::tan(M_PI / 6)) / 3;
  for (RasterMode mode : {RasterMode::kHard, RasterMode::kSoft}) {
    RenderOptions o = options(n, mode);
    o.sigma = 1e-5;
    SceneRenderer r(m, o);
    Tensor rgb, alpha;
    r.forward(s, rgb, alpha);
    EXPECT_NEAR(sum(alpha), side * side, 2 * side) << to_string(mode);
    // Coefficient L00 of a constant environment is L·2√π: radiance 0.8·Y00, Y00 = 1/(2√π).
    EXPECT_NEAR(rgb.at(1, n / 2, n / 2), 0.5 * 0.8 * 0.5 / std::sqrt(M_PI), 1e-5) << to_string(mode);
  }
}

TEST(SceneRender, TemplateFromMissingObjNamesTheFile) {
  try {
    make_scene_template(2, 1.f, "/nonexistent/shape.obj");
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("shape.obj"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace invgfx
