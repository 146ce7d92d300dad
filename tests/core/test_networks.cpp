// Dense layers and networks: linear, the activations, Sequential (names, gradients and steady-state
// buffer reuse without allocation), the encoder and the initialisers, each against reference formulas
// and central differences in double (tests/core/layer_checks.h states the tolerance).
#include "core/activations.h"
#include "core/avg_pool.h"
#include "core/conv2d.h"
#include "core/encoder.h"
#include "core/group_norm.h"
#include "core/init.h"
#include "core/linear.h"
#include "core/sequential.h"
#include "core/upsample.h"
#include "tests/alloc_counter.h"
#include "tests/core/layer_checks.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

using namespace test;

TEST(Linear, FlattensAndMatchesFormula) {
  LinearD fc(6, 2);
  randomize_params(fc, 101);
  TensorD x = layer_input({2, 3, 1, 2}, 102), y;
  fc.forward(x, y);
  ASSERT_EQ(y.shape(), (Shape{2, 2}));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t o = 0; o < 2; ++o) {
      double s = fc.bias().value[o];
      for (int64_t i = 0; i < 6; ++i) s += fc.weight().value.at(o, i) * x[n * 6 + i];
      EXPECT_NEAR(y.at(n, o), s, 1e-14);
    }
}

TEST(Linear, GradientsMatchFiniteDifferences) {
  for (bool bias : {true, false}) {
    LinearD fc(12, 5, bias);
    randomize_params(fc, 111);
    TensorD x = layer_input({3, 3, 2, 2}, 112);
    expect_grads(fc, x);
  }
  LinearD wide(300, 40);  // large enough for the threaded product
  randomize_params(wide, 113);
  TensorD x = layer_input({4, 300}, 114);
  GradCheckOptions opt = tight();
  opt.max_elements = 40;
  expect_grads(wide, x, opt);
}

// Activations at their awkward points: just either side of ReLU's kink (±1e-3 ≫ h), large |x|
// where Sigmoid/Tanh saturate and Softplus becomes linear.
TensorD awkward_inputs() {
  const double v[] = {-30, -8, -2.5, -1, -1e-3, 1e-3, 0.5, 1, 3, 8, 30, -0.2};
  TensorD x({2, 1, 2, 3});
  for (int i = 0; i < 12; ++i) x[i] = v[i];
  return x;
}

TEST(Activations, GradientsMatchFiniteDifferences) {
  ReLUT<double> relu;
  LeakyReLUT<double> leaky(0.2);
  TanhT<double> tanh_node;
  SigmoidT<double> sigmoid;
  SoftplusT<double> softplus(1.0), sharp(3.0);
  for (NodeD* node : std::initializer_list<NodeD*>{&relu, &leaky, &tanh_node, &sigmoid, &softplus, &sharp}) {
    TensorD x = awkward_inputs();
    expect_grads(*node, x);
  }
}

TEST(Activations, KnownValuesAndNoOverflow) {
  TensorD x({5});
  const double v[] = {-100, -1, 0, 1, 100};
  for (int i = 0; i < 5; ++i) x[i] = v[i];
  TensorD y;
  LeakyReLUT<double>(0.2).forward(x, y);
  EXPECT_DOUBLE_EQ(y[0], -20);
  EXPECT_DOUBLE_EQ(y[4], 100);
  SigmoidT<double>().forward(x, y);
  EXPECT_DOUBLE_EQ(y[2], 0.5);
  EXPECT_NEAR(y[3], 1 / (1 + std::exp(-1.0)), 1e-15);
  SoftplusT<double>().forward(x, y);
  EXPECT_NEAR(y[2], std::log(2.0), 1e-15);
  EXPECT_DOUBLE_EQ(y[4], 100);  // log1p(e^−100) is below double resolution at 100
  EXPECT_GT(y[0], 0);           // e^−100, not 0 − rounding to a negative
  // Float at ±100: no Inf/NaN forward or backward, gradients at their limits.
  Tensor xf = x.cast<float>(), yf, g(xf.shape(), 1.f);
  ReLU relu;
  LeakyReLU leaky(0.2);
  Tanh tanh_node;
  Sigmoid sigmoid;
  Softplus softplus;
  for (UnaryNode* node : std::initializer_list<UnaryNode*>{&relu, &leaky, &tanh_node, &sigmoid, &softplus}) {
    Tensor d(xf.shape(), 0.f);
    node->forward(xf, yf);
    node->backward(xf, yf, g, &d);
    for (int i = 0; i < 5; ++i) {
      EXPECT_TRUE(std::isfinite(yf[i]) && std::isfinite(d[i])) << node->name() << " at " << v[i];
    }
  }
  Tensor d(xf.shape(), 0.f);
  sigmoid.forward(xf, yf);
  sigmoid.backward(xf, yf, g, &d);
  // σ(−100) = e^−100 ≈ 3.7e-44 is a float denormal: tiny but not negative; σ(100) rounds to 1.
  EXPECT_GE(yf[0], 0.f);
  EXPECT_LT(yf[0], 1e-40f);
  EXPECT_EQ(yf[4], 1.f);
  EXPECT_LT(d[0], 1e-40f);
}

std::unique_ptr<SequentialD> small_net() {
  auto net = std::make_unique<SequentialD>("net");
  net->emplace<Conv2dT<double>>("conv", Conv2dOptions::square(2, 4, 3, 2, 1));
  net->emplace<GroupNormT<double>>("norm", GroupNormOptions{2, 4, 1e-5, true});
  net->emplace<LeakyReLUT<double>>("act", 0.2);
  net->emplace<UpsampleT<double>>("up", UpsampleOptions{2, UpsampleMode::kBilinear});
  net->emplace<AvgPoolT<double>>("pool", AvgPoolOptions{2, 2, 0});
  net->emplace<LinearT<double>>("fc", 4 * 3 * 4, 3);
  return net;
}

TEST(Sequential, PrefixesNamesAndChecksGradients) {
  auto net = small_net();
  std::vector<std::string> names;
  net->visit_parameters([&](ParameterD& p) { names.push_back(p.name); });
  const std::vector<std::string> want = {"conv.weight", "conv.bias", "norm.weight", "norm.bias", "fc.weight", "fc.bias"};
  EXPECT_EQ(names, want);
  init_default(*net, 5);
  randomize_params(*net, 121);  // γ away from 1 as well
  TensorD x = layer_input({2, 2, 5, 8}, 122);
  expect_grads(*net, x);
}

// After the first call, forward and backward with the same shapes reuse every buffer: no operator new
// and the same storage.
TEST(Sequential, SteadyStateDoesNotAllocate) {
  EncoderOptions eo;
  eo.image_size = 32;
  eo.channels = {8, 16, 16};
  eo.out_features = 10;
  auto net = make_encoder<float>(eo);
  net->emplace<Tanh>("tanh");
  Tensor x({2, 3, 32, 32}), y, dx(x.shape()), w;
  Rng rng(3);
  rng.fill_uniform(x, 0.0, 1.0);
  net->forward(x, y);
  w.resize(y.shape());
  rng.fill_uniform(w, -1.0, 1.0);
  net->backward(x, y, w, &dx);
  const float* act0 = net->activation(0).data();
  const float* out = y.data();
  test::CountAllocations allocations;
  for (int it = 0; it < 3; ++it) {
    net->forward(x, y);
    net->backward(x, y, w, &dx);
  }
  EXPECT_EQ(allocations.stop(), 0);
  EXPECT_EQ(net->activation(0).data(), act0);
  EXPECT_EQ(y.data(), out);
}

TEST(Encoder, ShapesNamesAndDeterministicInit) {
  EncoderOptions eo;
  eo.image_size = 32;
  eo.channels = {4, 8};
  eo.out_features = 6;
  auto a = make_encoder<double>(eo), b = make_encoder<double>(eo);
  TensorD x = layer_input({3, 3, 32, 32}, 131), ya, yb;
  a->forward(x, ya);
  b->forward(x, yb);
  EXPECT_EQ(ya.shape(), (Shape{3, 6}));
  EXPECT_EQ(max_abs_diff(ya, yb), 0.0);
  std::vector<std::string> names;
  a->visit_parameters([&](ParameterD& p) { names.push_back(p.name); });
  const std::vector<std::string> want = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"};
  EXPECT_EQ(names, want);
  eo.seed = 2;
  auto c = make_encoder<double>(eo);
  EXPECT_NE(collect_parameters<double>(*c)[0]->value[0], collect_parameters<double>(*a)[0]->value[0]);
  eo.image_size = 30;
  EXPECT_THROW(make_encoder<double>(eo), std::invalid_argument);
}

TEST(Encoder, GradientsMatchFiniteDifferences) {
  EncoderOptions eo;
  eo.image_size = 16;
  eo.channels = {3, 4, 4};
  eo.out_features = 3;
  auto net = make_encoder<double>(eo);
  TensorD x = layer_input({2, 3, 16, 16}, 141);
  GradCheckOptions opt = tight();
  opt.max_elements = 60;
  expect_grads(*net, x, opt);
}

// PyTorch's default: weights U(±1/√fan_in) (kaiming_uniform with a = √5), biases the same bound.
TEST(Init, KaimingUniformBoundsAndVariance) {
  Conv2d conv(Conv2dOptions::square(16, 32, 3));
  init_default(conv, 9);
  const double bound = 1.0 / std::sqrt(16.0 * 9.0);
  double s2 = 0, mx = 0;
  for (float v : conv.weight().value) {
    s2 += double(v) * v;
    mx = std::max(mx, std::abs(double(v)));
  }
  EXPECT_LE(mx, bound);
  EXPECT_GT(mx, 0.95 * bound);
  // Variance of U(±b) is b²/3; 4608 samples give a relative standard error of ~2%.
  EXPECT_NEAR(s2 / conv.weight().value.numel(), bound * bound / 3, 0.1 * bound * bound / 3);
  for (float v : conv.bias().value) EXPECT_LE(std::abs(v), bound);
  GroupNorm gn({2, 4, 1e-5, true});
  gn.weight().value.fill(3.f);
  init_default(gn, 1);
  EXPECT_EQ(gn.weight().value[0], 1.f);
  EXPECT_EQ(gn.bias().value[0], 0.f);
  EXPECT_EQ(fan_in_of(Shape{8, 3, 4, 4}), 48);
}

}  // namespace
}  // namespace invgfx
