// Scene decoder heads: a fresh network decodes the sensible scene of scene_decoder.h, symmetric
// offsets are exactly mirror-symmetric, backward matches central differences in double w.r.t. the
// code and every head's parameters, and the learn_* / frozen / group options do what they say.
#include "app/nets/scene_decoder.h"

#include "render/scene_render.h"
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/mesh_templates.h"
#include "render/regularizers.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <map>
#include <set>

namespace invgfx {
namespace {

template <class T>
TensorT<T> random_code(int64_t b, int64_t z, uint64_t seed, double sd = 1.0) {
  TensorT<T> c({b, z});
  Rng rng(seed);
  rng.fill_normal(c, 0.0, sd);
  return c;
}

// The scene's fields in a fixed order, so a test can treat a scene as a list of tensors.
template <class T>
std::vector<TensorT<T>*> fields(SceneT<T>& s) {
  return {&s.positions, &s.texture, &s.colors, &s.light, &s.camera, &s.background};
}

// L = Σ_scenes Σ_fields Σ w·value with fixed random weights (one per element), and dL/dscene = w.
struct LinearLoss {
  std::vector<SceneD> w;
  void init(std::vector<SceneD>& scenes, uint64_t seed) {
    Rng rng(seed);
    w.resize(scenes.size());
    for (size_t b = 0; b < scenes.size(); ++b) {
      auto src = fields(scenes[b]);
      auto dst = fields(w[b]);
      for (size_t k = 0; k < src.size(); ++k) {
        dst[k]->resize(src[k]->shape());
        rng.fill_uniform(*dst[k], -1.0, 1.0);
      }
    }
  }
  double operator()(std::vector<SceneD>& scenes) {
    double l = 0;
    for (size_t b = 0; b < scenes.size(); ++b) {
      auto v = fields(scenes[b]);
      auto g = fields(w[b]);
      for (size_t k = 0; k < v.size(); ++k)
        for (int64_t i = 0; i < v[k]->numel(); ++i) l += (*g[k])[i] * (*v[k])[i];
    }
    return l;
  }
};

// Scales every head's weights up so that tanh and sigmoid work away from their linear region (a
// fresh head sits at ≈ 0 where a wrong derivative of the bound could hide).
void randomise(SceneDecoderD& dec, uint64_t seed) {
  Rng rng(seed);
  dec.visit_parameters([&](ParameterD& p) {
    const double b = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(1, p.value.numel() / std::max<int64_t>(1, p.value.dim(0)))));
    for (double& v : p.value) v = rng.uniform_d(-1.5, 1.5) * b;
  });
}

// The finite-difference checks run hundreds of tiny forwards; on a loaded machine OpenMP's fork/join
// on them costs more than the work, so they run on one thread (the result does not depend on it).
struct OneThread {
  int saved = omp_get_max_threads();
  OneThread() { omp_set_num_threads(1); }
  ~OneThread() { omp_set_num_threads(saved); }
};

void check_decoder_gradients(const SceneDecoderOptions& opt, const MeshD& mesh) {
  OneThread one_thread;
  SceneDecoderD dec(mesh.cast<float>(), opt);
  randomise(dec, 5);
  TensorD code = random_code<double>(2, opt.code_size, 11);
  std::vector<SceneD> scenes;
  dec.forward(code, scenes);
  LinearLoss loss;
  loss.init(scenes, 3);

  dec.visit_parameters([](ParameterD& p) { p.zero_grad(); });
  TensorD dcode;
  dec.backward(code, scenes, loss.w, &dcode);
  ASSERT_EQ(dcode.shape(), code.shape());

  auto eval = [&] {
    std::vector<SceneD> s;
    dec.forward(code, s);
    return loss(s);
  };
  GradCheckOptions gc;
  gc.max_elements = 16;
  gc.atol = 1e-7;
  auto r = check_gradient<double>("code", code.data(), code.numel(), dcode.data(), eval, gc);
  EXPECT_TRUE(r.ok) << r.message();
  double norm = 0;
  for (double g : dcode) norm += g * g;
  EXPECT_GT(norm, 1e-6);
  int n_params = 0;
  dec.visit_parameters([&](ParameterD& p) {
    ++n_params;
    // The gradient of p must be copied: the checker's forward passes do not touch it, but keep it safe.
    TensorD analytic = p.grad;
    auto rp = check_gradient<double>(p.name, p.value.data(), p.value.numel(), analytic.data(), eval, gc);
    EXPECT_TRUE(rp.ok) << rp.message();
    double pn = 0;
    for (double g : analytic) pn += g * g;
    EXPECT_GT(pn, 0.0) << p.name << " gets no gradient";
  });
  EXPECT_GT(n_params, 0);
}

TEST(SceneDecoder, FreshNetworkDecodesTheSensibleScene) {
  const Mesh mesh = make_icosphere<float>(2);
  SceneDecoderOptions opt;
  opt.code_size = 64;
  opt.texture_size = 16;
  SceneDecoder dec(mesh, opt);
  const Tensor code = random_code<float>(3, opt.code_size, 1);
  std::vector<Scene> scenes;
  dec.forward(code, scenes);
  ASSERT_EQ(scenes.size(), 3u);
  for (const Scene& s : scenes) {
    ASSERT_EQ(s.positions.shape(), mesh.positions.shape());
    double max_off = 0;
    for (int64_t i = 0; i < s.positions.numel(); ++i)
      max_off = std::max(max_off, std::abs(double(s.positions[i]) - mesh.positions[i]));
    EXPECT_LT(max_off, 0.05 * opt.max_offset);  // near the template, not just within the bound
    ASSERT_EQ(s.texture.shape(), Shape({3, 16, 16}));
    EXPECT_TRUE(s.colors.empty());
    for (float v : s.texture) {
      EXPECT_GT(v, 0.f);
      EXPECT_LT(v, 1.f);
      EXPECT_NEAR(v, 0.5f, 0.05f);
    }
    ASSERT_EQ(s.light.numel(), 27);
    for (int c = 0; c < 3; ++c) {
      // L00 ≈ sh_base; the frontal L10 is positive and smaller.
      EXPECT_NEAR(s.light[c * 9], opt.sh_base, 0.05);
      EXPECT_GT(s.light[c * 9 + 2], 0.f);
      EXPECT_LT(s.light[c * 9 + 2], s.light[c * 9]);
    }
    ASSERT_EQ(s.camera.numel(), 4);
    EXPECT_NEAR(s.camera[0], opt.az0, 0.05);
    EXPECT_NEAR(s.camera[1], opt.el0, 0.05);
    EXPECT_NEAR(s.camera[2], opt.d0, 0.05);
    EXPECT_NEAR(s.camera[3], 0.0, 0.05);
    ASSERT_EQ(s.background.numel(), 3);
    for (float v : s.background) EXPECT_NEAR(v, opt.background0, 0.02);
  }
  // Different codes give (slightly) different scenes: the heads do read the code.
  EXPECT_NE(scenes[0].camera[0], scenes[1].camera[0]);
}

TEST(SceneDecoder, FreshSceneRendersAsALitGreySphereOverTheBackground) {
  // Heads and renderer agree on the layout: the decoded scene of a fresh network is the template sphere
  // in the middle of the default view, grey, lit more from the front than from below, over the
  // background colour.
  const Mesh mesh = make_icosphere<float>(3);
  SceneDecoderOptions opt;
  opt.code_size = 16;
  opt.texture_size = 16;
  SceneDecoder dec(mesh, opt);
  std::vector<Scene> scenes;
  dec.forward(random_code<float>(1, 16, 5), scenes);
  RenderOptions ro;
  ro.size = 64;
  SceneRenderer renderer(mesh, ro);
  Tensor rgb, alpha;
  renderer.forward(scenes[0], rgb, alpha);
  ASSERT_EQ(rgb.shape(), Shape({3, 64, 64}));
  EXPECT_NEAR(alpha.at(0, 32, 32), 1.f, 1e-6);
  EXPECT_NEAR(alpha.at(0, 1, 1), 0.f, 1e-6);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(rgb.at(c, 1, 1), opt.background0, 0.02) << c;
  const float centre = rgb.at(1, 32, 32);
  EXPECT_GT(centre, 0.1f);
  EXPECT_LT(centre, 0.9f);
  EXPECT_NEAR(rgb.at(0, 32, 32), centre, 0.02f);  // grey
  EXPECT_NEAR(rgb.at(2, 32, 32), centre, 0.02f);
  // Lower limb (normal pointing down, away from the light from above) is darker than the centre.
  int low = 32;
  while (low < 63 && alpha.at(0, low + 1, 32) > 0.99f) ++low;
  EXPECT_GT(low, 40);
  EXPECT_LT(rgb.at(1, low - 2, 32), centre);
}

TEST(SceneDecoder, OutputsStayInTheirBoundsForLargeWeights) {
  const MeshD mesh = make_icosphere<double>(1);
  SceneDecoderOptions opt;
  opt.code_size = 16;
  opt.texture_size = 8;
  opt.light = LightModel::kAmbientDirectional;
  const Mesh tmpl = mesh.cast<float>();  // the template as the decoder holds it
  SceneDecoderD dec(tmpl, opt);
  dec.visit_parameters([](ParameterD& p) {
    for (double& v : p.value) v *= 200;
  });
  const TensorD code = random_code<double>(4, opt.code_size, 2, 3.0);
  std::vector<SceneD> scenes;
  dec.forward(code, scenes);
  for (const SceneD& s : scenes) {
    for (int64_t i = 0; i < s.positions.numel(); ++i)
      EXPECT_LE(std::abs(s.positions[i] - static_cast<double>(tmpl.positions[i])), opt.max_offset + 1e-12);
    for (double v : s.texture) EXPECT_TRUE(v >= 0 && v <= 1);
    for (int k : {0, 1, 2, 6, 7, 8}) EXPECT_TRUE(s.light[k] >= 0 && s.light[k] <= 1);
    EXPECT_LE(std::abs(s.camera[0] - opt.az0), opt.az_range + 1e-12);
    EXPECT_LE(std::abs(s.camera[1] - opt.el0), opt.el_range + 1e-12);
    EXPECT_GE(s.camera[2], opt.d0 * std::exp(-opt.dist_range) - 1e-12);
    EXPECT_LE(s.camera[2], opt.d0 * std::exp(opt.dist_range) + 1e-12);
    EXPECT_LE(std::abs(s.camera[3]), opt.roll_range + 1e-12);
    for (double v : s.background) EXPECT_TRUE(v >= 0 && v <= 1);
    EXPECT_TRUE(std::isfinite(s.light[3]));
  }
}

TEST(SceneDecoder, SymmetricOffsetsAreExactlyMirrored) {
  const MeshD mesh = make_icosphere<double>(2);
  SceneDecoderOptions opt;
  opt.code_size = 16;
  opt.texture_size = 8;
  SceneDecoderD dec(mesh.cast<float>(), opt);
  randomise(dec, 9);
  const TensorD code = random_code<double>(2, opt.code_size, 4);
  std::vector<SceneD> scenes;
  dec.forward(code, scenes);
  MeshRegularizerT<double> reg(mesh.faces, mesh.num_vertices());
  reg.set_mirror(mesh.positions, 1e-6);
  const TensorD tmpl = mesh.cast<float>().positions.cast<double>();  // what the decoder holds
  double max_off = 0;
  for (const SceneD& s : scenes) {
    for (int64_t i = 0; i < mesh.num_vertices(); ++i) {
      const int64_t j = reg.mirror()[static_cast<size_t>(i)];
      const double oi[3] = {s.positions.at(i, 0) - tmpl.at(i, 0), s.positions.at(i, 1) - tmpl.at(i, 1),
                            s.positions.at(i, 2) - tmpl.at(i, 2)};
      const double oj[3] = {s.positions.at(j, 0) - tmpl.at(j, 0), s.positions.at(j, 1) - tmpl.at(j, 1),
                            s.positions.at(j, 2) - tmpl.at(j, 2)};
      EXPECT_NEAR(oj[0], -oi[0], 1e-15);
      EXPECT_NEAR(oj[1], oi[1], 1e-15);
      EXPECT_NEAR(oj[2], oi[2], 1e-15);
      max_off = std::max(max_off, std::abs(oi[0]) + std::abs(oi[1]));
    }
  }
  EXPECT_GT(max_off, 0.02);  // the offsets are not all zero

  // Without symmetry the same weights give asymmetric offsets (the check above is not vacuous).
  opt.symmetric = false;
  SceneDecoderD free_dec(mesh.cast<float>(), opt);
  randomise(free_dec, 9);
  free_dec.forward(code, scenes);
  double asym = 0;
  for (int64_t i = 0; i < mesh.num_vertices(); ++i) {
    const int64_t j = reg.mirror()[static_cast<size_t>(i)];
    asym = std::max(asym, std::abs((scenes[0].positions.at(j, 1) - tmpl.at(j, 1)) -
                                   (scenes[0].positions.at(i, 1) - tmpl.at(i, 1))));
  }
  EXPECT_GT(asym, 1e-3);
}

TEST(SceneDecoder, GradientsMatchFiniteDifferencesTextureAndSh) {
  SceneDecoderOptions opt;
  opt.code_size = 12;
  opt.texture_size = 8;
  check_decoder_gradients(opt, make_icosphere<double>(1));
}

TEST(SceneDecoder, GradientsMatchFiniteDifferencesVertexColoursAndDirectionalLight) {
  SceneDecoderOptions opt;
  opt.code_size = 10;
  opt.per_vertex_color = true;
  opt.light = LightModel::kAmbientDirectional;
  check_decoder_gradients(opt, make_icosphere<double>(1));
}

TEST(SceneDecoder, GradientsMatchFiniteDifferencesWithoutSymmetry) {
  SceneDecoderOptions opt;
  opt.code_size = 8;
  opt.texture_size = 16;
  opt.symmetric = false;
  check_decoder_gradients(opt, make_icosphere<double>(1));
}

TEST(SceneDecoder, ParametersCarryTheirHeadsGroup) {
  SceneDecoderOptions opt;
  opt.code_size = 8;
  opt.texture_size = 8;
  SceneDecoder dec(make_icosphere<float>(1), opt);
  const std::map<std::string, std::string> group_of = {{"shape", "shape"},       {"texture", "texture"},
                                                       {"colors", "texture"},    {"light", "light"},
                                                       {"camera", "camera"},     {"background", "background"}};
  std::set<std::string> groups, names;
  dec.visit_parameters([&](Parameter& p) {
    const std::string head = p.name.substr(0, p.name.find('.'));
    ASSERT_TRUE(group_of.count(head)) << p.name;
    EXPECT_EQ(p.group, group_of.at(head)) << p.name;
    EXPECT_TRUE(names.insert(p.name).second) << "duplicate " << p.name;
    EXPECT_EQ(p.grad.shape(), p.value.shape()) << p.name;
    groups.insert(p.group);
  });
  EXPECT_EQ(groups, (std::set<std::string>{"shape", "texture", "light", "camera", "background"}));
  EXPECT_TRUE(names.count("shape.fc.weight"));
  EXPECT_TRUE(names.count("shape.modes.weight"));
  EXPECT_TRUE(names.count("texture.out.weight"));
  EXPECT_TRUE(names.count("camera.fc.bias"));
}

// The shape head is rank K: Z·K + K·3V + 3V weights, and its bias alone can place every vertex
// (the single-photo case), whatever K is.
TEST(SceneDecoder, ShapeHeadHasKModesAndItsBiasReachesEveryVertex) {
  const Mesh mesh = make_icosphere<float>(2);
  const int64_t V = mesh.positions.dim(0);
  SceneDecoderOptions opt;
  opt.code_size = 16;
  opt.texture_size = 8;
  opt.shape_modes = 3;
  opt.symmetric = false;
  SceneDecoder dec(mesh, opt);
  int64_t n = 0;
  Parameter* bias = nullptr;
  dec.visit_parameters([&](Parameter& p) {
    if (p.group != "shape") return;
    n += p.value.numel();
    if (p.name == "shape.fc.bias") bias = &p;
  });
  EXPECT_EQ(n, 16 * 3 + 3 * 3 * V + 3 * V);
  ASSERT_NE(bias, nullptr);
  Rng rng(5);
  rng.fill_uniform(bias->value, -2, 2);
  std::vector<Scene> scenes;
  dec.forward(Tensor({1, 16}), scenes);  // zero code: offsets are max_offset·tanh(b₂) exactly
  for (int64_t i = 0; i < 3 * V; ++i)
    EXPECT_NEAR(scenes[0].positions[i] - mesh.positions[i], opt.max_offset * std::tanh(bias->value[i]), 1e-6);
}

TEST(SceneDecoder, LearnOptionsRemoveHeadsAndFixTheirOutputs) {
  Mesh mesh = make_icosphere<float>(1);
  mesh.texture = Tensor({3, 4, 8}, 0.25f);
  SceneDecoderOptions opt;
  opt.code_size = 8;
  opt.learn_shape = false;
  opt.learn_texture = false;
  opt.learn_camera = false;
  opt.az0 = 0.4;
  opt.d0 = 2.5;
  SceneDecoder dec(mesh, opt);
  std::set<std::string> groups;
  dec.visit_parameters([&](Parameter& p) { groups.insert(p.group); });
  EXPECT_EQ(groups, (std::set<std::string>{"light", "background"}));
  std::vector<Scene> scenes;
  const Tensor code = random_code<float>(2, 8, 3);
  dec.forward(code, scenes);
  for (const Scene& s : scenes) {
    for (int64_t i = 0; i < s.positions.numel(); ++i) EXPECT_EQ(s.positions[i], mesh.positions[i]);
    ASSERT_EQ(s.texture.shape(), mesh.texture.shape());
    EXPECT_EQ(s.texture[5], 0.25f);
    EXPECT_FLOAT_EQ(s.camera[0], 0.4f);
    EXPECT_FLOAT_EQ(s.camera[1], float(opt.el0));
    EXPECT_FLOAT_EQ(s.camera[2], 2.5f);
    EXPECT_EQ(s.camera[3], 0.f);
  }
  // Backward with gradients everywhere touches only the light and background heads.
  std::vector<Scene> grads(scenes);
  for (Scene& g : grads)
    for (Tensor* t : {&g.positions, &g.texture, &g.light, &g.camera, &g.background}) t->fill(1.f);
  dec.visit_parameters([](Parameter& p) { p.zero_grad(); });
  Tensor dcode;
  dec.backward(code, scenes, grads, &dcode);
  EXPECT_EQ(dcode.shape(), code.shape());
}

TEST(SceneDecoder, FrozenGroupGetsNoGradientButTheCodeStillDoes) {
  SceneDecoderOptions opt;
  opt.code_size = 8;
  opt.texture_size = 8;
  const Mesh mesh = make_icosphere<float>(1);
  const Tensor code = random_code<float>(2, 8, 6);
  Tensor dcode_free, dcode_frozen;
  for (bool frozen : {false, true}) {
    SceneDecoder dec(mesh, opt);
    dec.visit_parameters([&](Parameter& p) {
      p.zero_grad();
      if (p.group == "camera") p.requires_grad = !frozen;
    });
    std::vector<Scene> scenes;
    dec.forward(code, scenes);
    std::vector<Scene> grads(scenes);
    for (Scene& g : grads)
      for (Tensor* t : fields(g)) t->fill(0.5f);
    Tensor& dcode = frozen ? dcode_frozen : dcode_free;
    dec.backward(code, scenes, grads, &dcode);
    dec.visit_parameters([&](Parameter& p) {
      double n = 0;
      for (float g : p.grad) n += std::abs(g);
      if (p.group == "camera" && frozen) EXPECT_EQ(n, 0.0) << p.name;
      else EXPECT_GT(n, 0.0) << p.name;
    });
  }
  ASSERT_EQ(dcode_free.shape(), dcode_frozen.shape());
  for (int64_t i = 0; i < dcode_free.numel(); ++i) EXPECT_FLOAT_EQ(dcode_free[i], dcode_frozen[i]);
}

TEST(SceneDecoder, EmptyGradientsAreZeroAndBackwardAddsIntoTheCodeGradient) {
  SceneDecoderOptions opt;
  opt.code_size = 8;
  opt.texture_size = 8;
  SceneDecoderD dec(make_icosphere<float>(1), opt);
  randomise(dec, 2);
  const TensorD code = random_code<double>(2, 8, 7);
  std::vector<SceneD> scenes;
  dec.forward(code, scenes);
  std::vector<SceneD> grads(2);  // only the camera of scene 1 has a gradient
  grads[1].camera = TensorD({4}, 1.0);
  TensorD once;
  dec.backward(code, scenes, grads, &once);
  for (int64_t k = 0; k < 8; ++k) EXPECT_EQ(once.at(0, k), 0.0);  // scene 0 receives nothing
  TensorD twice = once;
  dec.backward(code, scenes, grads, &twice);
  for (int64_t i = 0; i < once.numel(); ++i) EXPECT_NEAR(twice[i], 2 * once[i], 1e-14);
}

TEST(SceneDecoder, ResultsDoNotDependOnTheThreadCount) {
  SceneDecoderOptions opt;
  opt.code_size = 64;
  opt.texture_size = 32;
  const Mesh mesh = make_icosphere<float>(2);
  const Tensor code = random_code<float>(4, opt.code_size, 8);
  std::vector<std::vector<float>> runs;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    SceneDecoder dec(mesh, opt);
    dec.visit_parameters([](Parameter& p) { p.zero_grad(); });
    std::vector<Scene> scenes;
    dec.forward(code, scenes);
    std::vector<Scene> grads(scenes);
    for (Scene& g : grads)
      for (Tensor* t : fields(g))
        for (int64_t i = 0; i < t->numel(); ++i) (*t)[i] = static_cast<float>((i % 7) - 3) * 0.1f;
    Tensor dcode;
    dec.backward(code, scenes, grads, &dcode);
    std::vector<float> all(dcode.begin(), dcode.end());
    for (Scene& s : scenes)
      for (Tensor* t : fields(s)) all.insert(all.end(), t->begin(), t->end());
    dec.visit_parameters([&](Parameter& p) { all.insert(all.end(), p.grad.begin(), p.grad.end()); });
    runs.push_back(std::move(all));
  }
  omp_set_num_threads(saved);
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t i = 0; i < runs[0].size(); ++i) ASSERT_EQ(runs[0][i], runs[1][i]) << i;
}

TEST(SceneDecoder, BadOptionsAndAsymmetricTemplatesThrow) {
  const Mesh mesh = make_icosphere<float>(1);
  SceneDecoderOptions opt;
  opt.texture_size = 12;
  EXPECT_THROW(SceneDecoder(mesh, opt), std::invalid_argument);
  opt.texture_size = 8;
  opt.code_size = 0;
  EXPECT_THROW(SceneDecoder(mesh, opt), std::invalid_argument);
  opt.code_size = 8;
  opt.shape_modes = 0;
  try {
    SceneDecoder d(mesh, opt);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("shape_modes"), std::string::npos) << e.what();
  }
  opt.shape_modes = 4;
  Mesh skew = mesh;
  skew.positions.at(0, 0) += 0.1f;  // breaks the x-mirror symmetry
  try {
    SceneDecoder d(skew, opt);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("symmetric"), std::string::npos) << e.what();
  }
  opt.symmetric = false;
  EXPECT_NO_THROW(SceneDecoder(skew, opt));
  SceneDecoder dec(mesh, opt);
  std::vector<Scene> scenes;
  EXPECT_THROW(dec.forward(Tensor({2, 9}), scenes), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
