// Feature network of the loss: shapes, central differences in double w.r.t. both inputs and the
// weights, seeded weights are deterministic and frozen, weights load from a weights_io file and a bad
// file is refused naming it.
#include "app/nets/feature_net.h"

#include "core/activations.h"
#include "core/conv2d.h"
#include "core/gradcheck.h"
#include "core/init.h"
#include "core/random.h"
#include "core/sequential.h"
#include "core/weights_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

template <class T>
TensorT<T> random_image(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  TensorT<T> t({n, 3, h, w});
  Rng rng(seed);
  rng.fill_uniform(t, 0.0, 1.0);
  return t;
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("invgfx_feature_net_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                      "_" + name);
}

TEST(FeatureNet, ShapesAndFrozenFeaturesGroup) {
  FeatureNet net;
  const Tensor a = random_image<float>(2, 16, 24, 1), b = random_image<float>(1, 16, 24, 2);
  Tensor fa, fb;
  net.forward_pair(a, b, fa, fb);
  EXPECT_EQ(fa.shape(), Shape({2, 32, 4, 6}));
  EXPECT_EQ(fb.shape(), Shape({1, 32, 4, 6}));
  int count = 0;
  net.visit_parameters([&](Parameter& p) {
    ++count;
    EXPECT_EQ(p.group, "features");
    EXPECT_FALSE(p.requires_grad) << p.name;
  });
  EXPECT_EQ(count, 6);
  EXPECT_THROW(net.forward_pair(random_image<float>(1, 10, 12, 3), random_image<float>(1, 10, 12, 3), fa, fb),
               std::invalid_argument);
  EXPECT_THROW(net.forward_pair(a, random_image<float>(1, 16, 16, 3), fa, fb), std::invalid_argument);
}

TEST(FeatureNet, BranchesAreIndependentAndEqualInputsGiveEqualFeatures) {
  FeatureNet net;
  const Tensor a = random_image<float>(1, 16, 16, 4);
  Tensor fa, fb, fa2, fb2;
  net.forward_pair(a, a, fa, fb);
  for (int64_t i = 0; i < fa.numel(); ++i) ASSERT_EQ(fa[i], fb[i]);
  net.forward_pair(a, random_image<float>(1, 16, 16, 5), fa2, fb2);
  for (int64_t i = 0; i < fa.numel(); ++i) ASSERT_EQ(fa[i], fa2[i]);  // b does not leak into a's features
}

TEST(FeatureNet, SeededWeightsAreDeterministic) {
  FeatureNetOptions o;
  FeatureNet n1(o), n2(o);
  o.seed = 77;
  FeatureNet n3(o);
  std::vector<Tensor> w1, w2, w3;
  n1.visit_parameters([&](Parameter& p) { w1.push_back(p.value); });
  n2.visit_parameters([&](Parameter& p) { w2.push_back(p.value); });
  n3.visit_parameters([&](Parameter& p) { w3.push_back(p.value); });
  ASSERT_EQ(w1.size(), w2.size());
  bool differs = false;
  for (size_t k = 0; k < w1.size(); ++k)
    for (int64_t i = 0; i < w1[k].numel(); ++i) {
      ASSERT_EQ(w1[k][i], w2[k][i]);
      differs = differs || w1[k][i] != w3[k][i];
    }
  EXPECT_TRUE(differs);
  const Tensor a = random_image<float>(1, 8, 8, 6);
  Tensor f1, f2, g1, g2;
  n1.forward_pair(a, a, f1, g1);
  n2.forward_pair(a, a, f2, g2);
  for (int64_t i = 0; i < f1.numel(); ++i) ASSERT_EQ(f1[i], f2[i]);
}

TEST(FeatureNet, GradientsMatchFiniteDifferences) {
  FeatureNetOptions o;
  o.channels = 8;
  FeatureNetD net(o);
  net.visit_parameters([](ParameterD& p) {
    p.requires_grad = true;
    p.zero_grad();
  });
  TensorD a = random_image<double>(2, 8, 8, 7), b = random_image<double>(1, 8, 8, 8);
  TensorD fa, fb;
  net.forward_pair(a, b, fa, fb);
  TensorD wa(fa.shape()), wb(fb.shape());
  Rng rng(9);
  rng.fill_uniform(wa, -1.0, 1.0);
  rng.fill_uniform(wb, -1.0, 1.0);
  TensorD da, db;
  net.backward_pair(a, b, fa, fb, wa, wb, &da, &db);
  ASSERT_EQ(da.shape(), a.shape());
  ASSERT_EQ(db.shape(), b.shape());
  auto loss = [&] {
    TensorD ya, yb;
    net.forward_pair(a, b, ya, yb);
    double l = 0;
    for (int64_t i = 0; i < ya.numel(); ++i) l += wa[i] * ya[i];
    for (int64_t i = 0; i < yb.numel(); ++i) l += wb[i] * yb[i];
    return l;
  };
  GradCheckOptions gc;
  gc.atol = 1e-7;
  gc.max_elements = 64;
  auto ra = check_gradient<double>("a", a.data(), a.numel(), da.data(), loss, gc);
  EXPECT_TRUE(ra.ok) << ra.message();
  auto rb = check_gradient<double>("b", b.data(), b.numel(), db.data(), loss, gc);
  EXPECT_TRUE(rb.ok) << rb.message();
  gc.max_elements = 24;
  net.visit_parameters([&](ParameterD& p) {
    TensorD g = p.grad;
    auto r = check_gradient<double>(p.name, p.value.data(), p.value.numel(), g.data(), loss, gc);
    EXPECT_TRUE(r.ok) << r.message();
  });
  // backward adds: a second call doubles the input gradients.
  TensorD da2 = da;
  net.forward_pair(a, b, fa, fb);
  net.backward_pair(a, b, fa, fb, wa, wb, &da2, nullptr);
  for (int64_t i = 0; i < da.numel(); ++i) EXPECT_NEAR(da2[i], 2 * da[i], 1e-12);
}

TEST(FeatureNet, RenderGradientAloneMatchesTheFullBackward) {
  // The usual case: fixed photo, frozen features; only dL/d(render) is wanted.
  FeatureNetD net;
  const TensorD a = random_image<double>(1, 16, 16, 10), b = random_image<double>(1, 16, 16, 11);
  TensorD fa, fb;
  net.forward_pair(a, b, fa, fb);
  TensorD wa(fa.shape()), wb(fb.shape());
  Rng rng(12);
  rng.fill_uniform(wa, -1.0, 1.0);
  rng.fill_uniform(wb, -1.0, 1.0);
  TensorD da, db_full, db_alone;
  net.backward_pair(a, b, fa, fb, wa, wb, &da, &db_full);
  net.backward_pair(a, b, fa, fb, wa, wb, nullptr, &db_alone);
  ASSERT_EQ(db_alone.shape(), b.shape());
  for (int64_t i = 0; i < b.numel(); ++i) ASSERT_EQ(db_alone[i], db_full[i]);
  net.visit_parameters([](ParameterD& p) {
    for (double g : p.grad) ASSERT_EQ(g, 0.0) << p.name;  // frozen: untouched
  });
}

TEST(FeatureNet, WeightsLoadFromFileAndBadFilesAreNamed) {
  // A network with the documented layer names and other values, saved with weights_io.
  Sequential src("feature_net");
  src.emplace<Conv2d>("conv1", Conv2dOptions::square(3, 16, 3, 1, 1));
  src.emplace<LeakyReLU>("act1", 0.2);
  src.emplace<Conv2d>("conv2", Conv2dOptions::square(16, 32, 4, 2, 1));
  src.emplace<LeakyReLU>("act2", 0.2);
  src.emplace<Conv2d>("conv3", Conv2dOptions::square(32, 32, 4, 2, 1));
  init_default(src, uint64_t(4242));
  const fs::path good = temp_file("good.bin");
  save_weights(src, good.string());
  FeatureNetOptions o;
  o.weights_path = good.string();
  FeatureNet net(o);
  std::vector<Tensor> want;
  src.visit_parameters([&](Parameter& p) { want.push_back(p.value); });
  size_t k = 0;
  net.visit_parameters([&](Parameter& p) {
    for (int64_t i = 0; i < p.value.numel(); ++i) ASSERT_EQ(p.value[i], want[k][i]) << p.name;
    EXPECT_EQ(p.group, "features");
    ++k;
  });
  EXPECT_EQ(k, want.size());
  fs::remove(good);

  const fs::path bad = temp_file("bad.bin");
  std::ofstream(bad) << "not a weights file";
  o.weights_path = bad.string();
  try {
    FeatureNet n(o);
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
  fs::remove(bad);
  o.weights_path = (fs::temp_directory_path() / "invgfx_no_such_weights.bin").string();
  try {
    FeatureNet n(o);
    FAIL() << "expected a throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("invgfx_no_such_weights.bin"), std::string::npos) << e.what();
  }
  // Weights of another width (channels 32 saved, 16 wanted) are refused too.
  save_weights(src, good.string());
  o.weights_path = good.string();
  o.channels = 16;
  EXPECT_THROW(FeatureNet n(o), std::runtime_error);
  fs::remove(good);
}

}  // namespace
}  // namespace invgfx
