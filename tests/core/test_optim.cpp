// Optimizers, schedules, clipping, the NaN guard and state save/load: hand-computed Adam steps,
// convergence on a quadratic and on Rosenbrock with stated accuracies, group settings, and a
// bit-exact resume.
#include "core/adam.h"
#include "core/lr_schedule.h"
#include "core/random.h"
#include "core/sgd.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace invgfx {
namespace {

// f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1); gradient into p.grad (overwritten).
void rosenbrock_grad(ParameterD& p) {
  const double x = p.value[0], y = p.value[1];
  p.grad[0] = -2 * (1 - x) - 400 * x * (y - x * x);
  p.grad[1] = 200 * (y - x * x);
}

// f(θ) = ½ Σ a_i (θ_i − c_i)², a = 1, 10, 100 (condition number 100), c_i = i − 1.
constexpr double kA[3] = {1, 10, 100};
template <class T>
void quadratic_grad(ParameterT<T>& p) {
  for (int i = 0; i < 3; ++i) p.grad[i] = static_cast<T>(kA[i] * (p.value[i] - (i - 1)));
}

bool bit_equal(const TensorD& a, const TensorD& b) {
  return a.numel() == b.numel() && std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<size_t>(a.numel())) == 0;
}

TEST(LrSchedule, ValuesAtGivenSteps) {
  const LrSchedule c = LrSchedule::constant();
  EXPECT_EQ(c.factor(0), 1.0);
  EXPECT_EQ(c.factor(123456), 1.0);

  const LrSchedule s = LrSchedule::step(100, 0.5);
  EXPECT_EQ(s.factor(0), 1.0);
  EXPECT_EQ(s.factor(99), 1.0);
  EXPECT_EQ(s.factor(100), 0.5);
  EXPECT_EQ(s.factor(250), 0.25);

  const LrSchedule cos = LrSchedule::cosine(100, 0.1);
  EXPECT_DOUBLE_EQ(cos.factor(0), 1.0);
  EXPECT_DOUBLE_EQ(cos.factor(50), 0.1 + 0.9 * 0.5);  // cos(π/2) = 0: halfway between max and min
  EXPECT_DOUBLE_EQ(cos.factor(25), 0.1 + 0.45 * (1 + std::sqrt(0.5)));
  EXPECT_DOUBLE_EQ(cos.factor(100), 0.1);
  EXPECT_DOUBLE_EQ(cos.factor(1000), 0.1);

  // Warm-up of 4 steps: 1/4, 2/4, 3/4, 4/4, then the cosine starts from its own step 0.
  const LrSchedule w = LrSchedule::cosine(10, 0.0, 4);
  EXPECT_DOUBLE_EQ(w.factor(0), 0.25);
  EXPECT_DOUBLE_EQ(w.factor(2), 0.75);
  EXPECT_DOUBLE_EQ(w.factor(3), 1.0);
  EXPECT_DOUBLE_EQ(w.factor(4), 1.0);
  EXPECT_DOUBLE_EQ(w.factor(9), 0.5);
  EXPECT_DOUBLE_EQ(w.factor(14), 0.0);
  EXPECT_DOUBLE_EQ(LrSchedule::step(10, 0.1, 5).factor(15), 0.1);

  EXPECT_THROW(LrSchedule::step(0, 0.5), std::invalid_argument);
  EXPECT_THROW(LrSchedule::step(10, 1.5), std::invalid_argument);
  EXPECT_THROW(LrSchedule::cosine(0), std::invalid_argument);
  EXPECT_THROW(LrSchedule::constant(-1), std::invalid_argument);
  EXPECT_EQ(w.str(), "cosine(total=10, min=0, warmup=4)");
}

TEST(Optimizer, ScheduleDrivesTheStepLearningRate) {
  ParameterD p("p", group::kNet, Shape{1});
  SgdSettings s;
  s.lr = 0.5;
  SgdD sgd({&p}, s);
  sgd.set_schedule(LrSchedule::step(2, 0.1));
  const double expected[] = {0.5, 0.5, 0.05, 0.05, 0.005};
  for (double lr : expected) {
    p.value[0] = 0;
    p.grad[0] = 1;
    EXPECT_DOUBLE_EQ(sgd.group_lr(group::kNet), lr);
    const StepReport r = sgd.step();
    EXPECT_DOUBLE_EQ(r.lr, lr);
    EXPECT_DOUBLE_EQ(p.value[0], -lr);  // plain SGD: Δθ = −η g with g = 1
  }
}

TEST(Adam, FirstStepsMatchHandComputedValues) {
  // η = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8; θ0 = (1, −2); g1 = (0.5, −0.1), g2 = (−0.25, 0.3).
  ParameterD p("w", group::kNet, Shape{2});
  p.value[0] = 1, p.value[1] = -2;
  AdamSettings s;
  s.lr = 0.1;
  AdamD adam({&p}, s);

  // Step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², so Δθ = −η g / (|g| + ε) ≈ −η sign(g).
  p.grad[0] = 0.5, p.grad[1] = -0.1;
  ASSERT_TRUE(adam.step().applied);
  EXPECT_DOUBLE_EQ(adam.first_moment(0)[0], 0.05);
  EXPECT_DOUBLE_EQ(adam.second_moment(0)[0], 0.00025);
  EXPECT_NEAR(p.value[0], 1 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-15);
  EXPECT_NEAR(p.value[1], -2 + 0.1 * 0.1 / (0.1 + 1e-8), 1e-15);
  const double theta1[2] = {p.value[0], p.value[1]};

  // Step 2, element 0: m = 0.9·0.05 − 0.1·0.25 = 0.02; v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225;
  // m̂ = 0.02 / 0.19, v̂ = 0.00031225 / 0.001999.
  // Element 1: m = 0.9·(−0.01) + 0.1·0.3 = 0.021; v = 0.999·1e-5 + 0.001·0.09 = 0.00009999.
  p.grad[0] = -0.25, p.grad[1] = 0.3;
  ASSERT_TRUE(adam.step().applied);
  // Each moment is two products and a sum, so it may differ from the decimal value by a few ulps
  // (whether the compiler fuses them into an FMA depends on -march): allow 1e-14 relative.
  EXPECT_NEAR(adam.first_moment(0)[0], 0.02, 0.02 * 1e-14);
  EXPECT_NEAR(adam.second_moment(0)[0], 0.00031225, 0.00031225 * 1e-14);
  EXPECT_NEAR(adam.first_moment(0)[1], 0.021, 0.021 * 1e-14);
  EXPECT_NEAR(adam.second_moment(0)[1], 0.00009999, 0.00009999 * 1e-14);
  const double d0 = 0.1 * (0.02 / 0.19) / (std::sqrt(0.00031225 / 0.001999) + 1e-8);
  const double d1 = 0.1 * (0.021 / 0.19) / (std::sqrt(0.00009999 / 0.001999) + 1e-8);
  EXPECT_NEAR(p.value[0], theta1[0] - d0, 1e-14);
  EXPECT_NEAR(p.value[1], theta1[1] - d1, 1e-14);
  EXPECT_NEAR(d0, 0.026634, 1e-6);  // the number worked out on paper
  EXPECT_EQ(adam.step_count(), 2);
  EXPECT_EQ(adam.parameter_steps(0), 2);
}

TEST(Adam, DecoupledAndL2WeightDecay) {
  // One step from θ0 = 2 with g = 0.5, η = 0.1, λ = 0.3.
  for (auto mode : {AdamSettings::WeightDecay::kDecoupled, AdamSettings::WeightDecay::kL2}) {
    ParameterD p("w", group::kNet, Shape{1});
    p.value[0] = 2;
    p.grad[0] = 0.5;
    AdamSettings s;
    s.lr = 0.1;
    s.weight_decay = 0.3;
    s.weight_decay_mode = mode;
    AdamD adam({&p}, s);
    adam.step();
    if (mode == AdamSettings::WeightDecay::kDecoupled) {
      // AdamW: θ ← θ(1 − ηλ) − η ĝ/(|ĝ| + ε).
      EXPECT_NEAR(p.value[0], 2 * (1 - 0.03) - 0.1 * 0.5 / (0.5 + 1e-8), 1e-15);
    } else {
      // L2: g' = g + λθ = 1.1 enters the moments, so the first step is still ≈ −η sign(g').
      EXPECT_NEAR(p.value[0], 2 - 0.1 * 1.1 / (1.1 + 1e-8), 1e-15);
      EXPECT_DOUBLE_EQ(adam.first_moment(0)[0], 0.1 * 1.1);
    }
  }
}

TEST(Adam, MinimisesRosenbrock) {
  // From the classic start (−1.2, 1), η = 0.01 with cosine annealing over 10000 steps reaches the
  // minimum (1, 1) to better than 1e-6 (measured 1e-8; constant η oscillates at ~η/10 instead).
  ParameterD p("xy", group::kShape, Shape{2});
  p.value[0] = -1.2, p.value[1] = 1.0;
  AdamSettings s;
  s.lr = 0.01;
  AdamD adam({&p}, s);
  adam.set_schedule(LrSchedule::cosine(10000));
  for (int k = 0; k < 10000; ++k) {
    rosenbrock_grad(p);
    ASSERT_TRUE(adam.step().applied);
  }
  EXPECT_LT(std::hypot(p.value[0] - 1, p.value[1] - 1), 1e-6);
}

TEST(Adam, MinimisesQuadraticInFloat) {
  ParameterT<float> p("q", group::kNet, Shape{3});
  p.value.fill(3.f);
  AdamSettings s;
  s.lr = 0.05;
  AdamT<float> adam({&p}, s);
  adam.set_schedule(LrSchedule::cosine(3000));
  for (int k = 0; k < 3000; ++k) {
    quadratic_grad(p);
    adam.step();
  }
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(p.value[i], static_cast<float>(i - 1), 1e-4f) << i;
}

TEST(Sgd, MomentumAndNesterovMinimiseQuadraticAndRosenbrock) {
  for (bool nesterov : {false, true}) {
    // Quadratic with curvatures a = 1..100 and η = 0.01, μ = 0.9: ηa ≤ 1 is inside both stability
    // limits (heavy ball ηa < 2(1 + μ) = 3.8, Nesterov ηa < 2(1 + μ)/(1 + 2μ) ≈ 1.36), and every mode
    // then contracts by about √μ ≈ 0.95 per step, so 800 steps reach ~1e-17 relative; asserted 1e-10.
    ParameterD q("q", group::kNet, Shape{3});
    q.value.fill(3);
    SgdSettings s;
    s.lr = 0.01;
    s.momentum = 0.9;
    s.nesterov = nesterov;
    SgdD sgd({&q}, s);
    for (int k = 0; k < 800; ++k) {
      quadratic_grad(q);
      sgd.step();
    }
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(q.value[i], i - 1, 1e-10) << "nesterov " << nesterov << " " << i;

    // Rosenbrock from (−1.2, 1): η = 1e-3, μ = 0.9, 5000 steps to 1e-7 (measured ~8e-10).
    ParameterD r("xy", group::kShape, Shape{2});
    r.value[0] = -1.2, r.value[1] = 1.0;
    s.lr = 1e-3;
    SgdD sgd_r({&r}, s);
    for (int k = 0; k < 5000; ++k) {
      rosenbrock_grad(r);
      sgd_r.step();
    }
    EXPECT_LT(std::hypot(r.value[0] - 1, r.value[1] - 1), 1e-7) << "nesterov " << nesterov;
  }
}

TEST(Sgd, MomentumFirstStepsMatchHandComputedValues) {
  // μ = 0.9, η = 0.1, λ = 0: b1 = g1, b2 = 0.9 g1 + g2. Nesterov: d = g + μ b.
  for (bool nesterov : {false, true}) {
    ParameterD p("w", group::kNet, Shape{1});
    SgdSettings s;
    s.lr = 0.1;
    s.momentum = 0.9;
    s.nesterov = nesterov;
    SgdD sgd({&p}, s);
    p.grad[0] = 1.0;
    sgd.step();
    EXPECT_DOUBLE_EQ(p.value[0], nesterov ? -0.1 * 1.9 : -0.1);
    p.grad[0] = 2.0;
    sgd.step();
    EXPECT_DOUBLE_EQ(sgd.momentum_buffer(0)[0], 2.9);
    EXPECT_DOUBLE_EQ(p.value[0], nesterov ? -0.19 - 0.1 * (2 + 0.9 * 2.9) : -0.1 - 0.29);
  }
}

TEST(Optimizer, FrozenGroupsDoNotMoveAndPerGroupRatesScale) {
  ParameterD net("net.w", group::kNet, Shape{4}), isp("isp.gain", group::kIsp, Shape{3}),
      shape("shape.v", group::kShape, Shape{2}), light("light.sh", group::kLight, Shape{2});
  SgdSettings s;
  s.lr = 0.2;
  SgdD sgd({&net, &isp, &shape, &light}, s);
  sgd.freeze(group::kIsp);
  GroupSettings scaled;
  scaled.lr_scale = 0.1;
  sgd.set_group(group::kShape, scaled);
  GroupSettings absolute;
  absolute.lr = 0.05;
  sgd.set_group(group::kLight, absolute);
  EXPECT_FALSE(isp.requires_grad);
  EXPECT_TRUE(net.requires_grad);
  EXPECT_EQ(sgd.group_names(), (std::vector<std::string>{"net", "isp", "shape", "light"}));

  for (auto* p : {&net, &isp, &shape, &light}) p->grad.fill(1.0);
  isp.value.fill(0.7);
  const TensorD isp_before = isp.value;
  ASSERT_TRUE(sgd.step().applied);
  EXPECT_TRUE(bit_equal(isp.value, isp_before));
  EXPECT_DOUBLE_EQ(net.value[0], -0.2);
  EXPECT_DOUBLE_EQ(shape.value[0], -0.02);
  EXPECT_DOUBLE_EQ(light.value[0], -0.05);
  EXPECT_DOUBLE_EQ(sgd.group_lr(group::kShape), 0.02);
  EXPECT_EQ(sgd.group_lr(group::kIsp), 0.0);

  // A frozen group's gradient is ignored even when it is NaN, and thawing restores requires_grad.
  isp.grad[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(sgd.step().applied);
  EXPECT_TRUE(bit_equal(isp.value, isp_before));
  sgd.freeze(group::kIsp, false);
  EXPECT_TRUE(isp.requires_grad);
  EXPECT_FALSE(sgd.step().applied);

  // With Adam the first step moves each element by ≈ its group's rate, so the ratio is the scale.
  ParameterD a("a", group::kNet, Shape{1}), b("b", group::kShape, Shape{1});
  AdamSettings as;
  as.lr = 0.01;
  AdamD adam({&a, &b}, as);
  adam.set_group(group::kShape, scaled);
  a.grad[0] = 3.0, b.grad[0] = 3.0;
  adam.step();
  EXPECT_NEAR(b.value[0] / a.value[0], 0.1, 1e-9);
  GroupSettings negative;
  negative.lr_scale = -1.0;
  EXPECT_THROW(adam.set_group("x", negative), std::invalid_argument);
}

TEST(Optimizer, ClippingBoundsTheGlobalNorm) {
  // Gradients (3, 4) and (0, 0, 0): norm 5. max_grad_norm 1 → the plain-SGD step (η = 1) is the
  // clipped gradient itself, of norm exactly 1 and the same direction.
  ParameterD a("a", group::kNet, Shape{2}), b("b", group::kLight, Shape{3}), frozen("f", group::kIsp, Shape{1});
  SgdSettings s;
  s.lr = 1.0;
  SgdD sgd({&a, &b, &frozen}, s);
  sgd.set_max_grad_norm(1.0);
  sgd.freeze(group::kIsp);
  a.grad[0] = 3, a.grad[1] = 4;
  b.grad.zero();
  frozen.grad[0] = 1e6;  // frozen: not part of the norm
  StepReport r = sgd.step();
  ASSERT_TRUE(r.applied);
  EXPECT_DOUBLE_EQ(r.grad_norm, 5.0);
  EXPECT_DOUBLE_EQ(r.clip_scale, 0.2);
  EXPECT_DOUBLE_EQ(a.value[0], -0.6);
  EXPECT_DOUBLE_EQ(a.value[1], -0.8);
  EXPECT_NEAR(std::hypot(a.value[0], a.value[1]), 1.0, 1e-15);
  // Gradients are left as they were, for inspection.
  EXPECT_EQ(a.grad[0], 3.0);

  // Spread over both parameters: global norm √(1² + 2² + 2²) = 3, clipped to 1.5.
  a.value.zero(), b.value.zero();
  a.grad[0] = 1, a.grad[1] = 0, b.grad[0] = 2, b.grad[1] = 0, b.grad[2] = 2;
  sgd.set_max_grad_norm(1.5);
  r = sgd.step();
  EXPECT_DOUBLE_EQ(r.grad_norm, 3.0);
  double n2 = 0;
  for (auto* p : {&a, &b})
    for (double v : p->value) n2 += v * v;
  EXPECT_NEAR(std::sqrt(n2), 1.5, 1e-15);

  // Below the threshold nothing is scaled.
  a.grad[0] = 0.3, a.grad[1] = 0.4, b.grad.zero();
  r = sgd.step();
  EXPECT_EQ(r.clip_scale, 1.0);
  EXPECT_THROW(sgd.set_max_grad_norm(-1), std::invalid_argument);
}

TEST(Optimizer, HugeFiniteGradientsAreClippedNotMistakenForNan) {
  // In double, (3e200)² overflows to inf although the gradient is finite: the norm is recomputed
  // with scaling (5e200), the step is taken, and clipping to 1 gives the unit direction (0.6, 0.8).
  ParameterD p("p", group::kNet, Shape{2});
  p.grad[0] = 3e200, p.grad[1] = 4e200;
  SgdSettings s;
  s.lr = 1.0;
  SgdD sgd({&p}, s);
  sgd.set_max_grad_norm(1.0);
  const StepReport r = sgd.step();
  ASSERT_TRUE(r.applied) << r.problem;
  EXPECT_NEAR(r.grad_norm / 5e200, 1.0, 1e-15);
  EXPECT_NEAR(p.value[0], -0.6, 1e-15);
  EXPECT_NEAR(p.value[1], -0.8, 1e-15);
}

TEST(Optimizer, GuardRefusesNonFiniteLossOrGradientAndChangesNothing) {
  ParameterD a("enc.conv1.weight", group::kNet, Shape{5}), b("isp.ccm", group::kIsp, Shape{4});
  Rng rng(5);
  rng.fill_uniform(a.value, -1, 1);
  rng.fill_uniform(b.value, -1, 1);
  AdamSettings s;
  s.lr = 0.01;
  s.weight_decay = 0.1;
  AdamD adam({&a, &b}, s);
  auto fill_grads = [&] {
    rng.fill_uniform(a.grad, -1, 1);
    rng.fill_uniform(b.grad, -1, 1);
  };
  for (int k = 0; k < 3; ++k) {
    fill_grads();
    ASSERT_TRUE(adam.step(0.5).applied);
  }
  const TensorD a0 = a.value, b0 = b.value;
  const std::string state0 = adam.save_state();

  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    fill_grads();
    b.grad[3] = bad;
    const StepReport r = adam.step(0.25);
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(r.bad_parameter, "isp.ccm");
    EXPECT_EQ(r.bad_parameter_index, 1);
    EXPECT_EQ(r.bad_index, 3);
    EXPECT_EQ(r.bad_count, 1);
    EXPECT_NE(r.problem.find("gradient of isp.ccm is " + std::string(std::isnan(bad) ? "nan" : "inf") +
                             " at element 3 (parameter 1 of 2)"),
              std::string::npos)
        << r.problem;
    EXPECT_TRUE(bit_equal(a.value, a0));
    EXPECT_TRUE(bit_equal(b.value, b0));
    EXPECT_EQ(adam.save_state(), state0);  // moments and step counts untouched
    EXPECT_EQ(adam.step_count(), 3);
  }
  // Two bad parameters: the first is named, the other listed.
  fill_grads();
  a.grad[0] = std::numeric_limits<double>::quiet_NaN();
  b.grad[1] = std::numeric_limits<double>::quiet_NaN();
  StepReport r = adam.step();
  EXPECT_EQ(r.bad_parameter, "enc.conv1.weight");
  EXPECT_EQ(r.bad_count, 2);
  EXPECT_NE(r.problem.find("also non-finite: isp.ccm"), std::string::npos) << r.problem;

  // A non-finite loss with finite gradients is refused too.
  fill_grads();
  r = adam.step(std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(r.applied);
  EXPECT_TRUE(r.bad_parameter.empty());
  EXPECT_NE(r.problem.find("loss is nan"), std::string::npos) << r.problem;
  EXPECT_TRUE(bit_equal(a.value, a0));
  EXPECT_EQ(adam.save_state(), state0);

  // And the optimizer carries on normally afterwards.
  EXPECT_TRUE(adam.step(0.1).applied);
  EXPECT_EQ(adam.step_count(), 4);
}

// Runs `steps` Adam (or SGD) steps on the quadratic-plus-coupling problem, with clipping, a schedule
// and weight decay, so every piece of state matters for the continuation.
template <class Opt>
void run_steps(Opt& opt, ParameterD& a, ParameterD& b, int steps) {
  for (int k = 0; k < steps; ++k) {
    quadratic_grad(a);
    for (int64_t i = 0; i < b.value.numel(); ++i) b.grad[i] = std::sin(3 * b.value[i]) + 0.1 * a.value[i % 3];
    ASSERT_TRUE(opt.step().applied);
  }
}

template <class Opt, class Settings>
void check_resume(const Settings& settings) {
  auto configure = [](Opt& opt) {
    opt.set_schedule(LrSchedule::cosine(40, 0.1, 3));
    opt.set_max_grad_norm(2.0);
    GroupSettings g;
    g.lr_scale = 0.5;
    opt.set_group(group::kTexture, g);
  };
  ParameterD a("a", group::kNet, Shape{3}), b("b", group::kTexture, Shape{2, 5});
  a.value.fill(3.0);
  Rng rng(9);
  rng.fill_uniform(b.value, -1, 1);
  Opt opt({&a, &b}, settings);
  configure(opt);
  run_steps(opt, a, b, 7);  // N = 7
  const std::string state = opt.save_state();
  const TensorD a_n = a.value, b_n = b.value;
  run_steps(opt, a, b, 9);  // M = 9 more

  // A fresh optimizer over parameters restored to step N, loaded with the saved state.
  ParameterD a2("a", group::kNet, Shape{3}), b2("b", group::kTexture, Shape{2, 5});
  a2.value = a_n, b2.value = b_n;
  Opt opt2({&a2, &b2}, settings);
  configure(opt2);
  opt2.load_state(state);
  EXPECT_EQ(opt2.step_count(), 7);
  run_steps(opt2, a2, b2, 9);
  EXPECT_TRUE(bit_equal(a.value, a2.value)) << opt.name();
  EXPECT_TRUE(bit_equal(b.value, b2.value)) << opt.name();
  EXPECT_EQ(opt.save_state(), opt2.save_state());

  // Without loading, the continuation differs (the test would notice a no-op load).
  ParameterD a3("a", group::kNet, Shape{3}), b3("b", group::kTexture, Shape{2, 5});
  a3.value = a_n, b3.value = b_n;
  Opt opt3({&a3, &b3}, settings);
  configure(opt3);
  run_steps(opt3, a3, b3, 9);
  EXPECT_FALSE(bit_equal(b.value, b3.value));
}

TEST(Optimizer, SaveLoadResumesBitExactly) {
  AdamSettings as;
  as.lr = 0.05;
  as.weight_decay = 0.01;
  check_resume<AdamD>(as);
  SgdSettings ss;
  ss.lr = 0.02;
  ss.momentum = 0.8;
  ss.nesterov = true;
  ss.weight_decay = 0.01;
  check_resume<SgdD>(ss);
}

TEST(Optimizer, LoadRejectsMismatchedStateAndKeepsItsOwn) {
  ParameterD a("a", group::kNet, Shape{3}), other("other", group::kNet, Shape{3}), big("a", group::kNet, Shape{4});
  AdamD adam({&a});
  a.grad.fill(1);
  adam.step();
  const std::string state = adam.save_state();

  AdamD renamed({&other});
  const std::string before = renamed.save_state();
  try {
    renamed.load_state(state);
    FAIL() << "state of another parameter accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'adam.t.a' in the stream but 'adam.t.other'"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(renamed.save_state(), before);
  AdamD resized({&big});
  EXPECT_THROW(resized.load_state(state), std::runtime_error);
  SgdD sgd({&a});
  EXPECT_THROW(sgd.load_state(state), std::runtime_error);  // saved by 'adam'
  ParameterT<float> af("a", group::kNet, Shape{3});
  AdamT<float> adam_f({&af});
  EXPECT_THROW(adam_f.load_state(state), std::runtime_error);  // 8-byte scalars into 4-byte ones
  EXPECT_THROW(adam.load_state(state.substr(0, state.size() - 3)), std::runtime_error);  // truncated
  EXPECT_THROW(adam.load_state(std::string("garbage")), std::runtime_error);

  // The visitor lists the same entries the stream holds.
  std::vector<std::string> names;
  adam.visit_state({[&](const std::string& n, TensorD&) { names.push_back(n); },
                    [&](const std::string& n, int64_t&) { names.push_back(n); }});
  EXPECT_EQ(names, (std::vector<std::string>{"step", "adam.t.a", "adam.m.a", "adam.v.a"}));
}

TEST(Optimizer, LargeTensorsAreDeterministicAcrossThreadCountsAndKeepTheirBuffers) {
  // 300k elements: above every OpenMP threshold. One and two threads must agree bit for bit
  // (the norm reduction runs over fixed blocks in a fixed order).
  const int64_t n = 300000;
  auto run = [&](int threads, Tensor& out, double& norm) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    ParameterT<float> p("big", group::kNet, Shape{n});
    Rng rng(11);
    rng.fill_uniform(p.value, -1, 1);
    AdamSettings s;
    s.lr = 1e-3;
    s.weight_decay = 0.01;
    AdamT<float> adam({&p}, s);
    adam.set_max_grad_norm(10.0);
    const float* m_data = adam.first_moment(0).data();
    for (int k = 0; k < 5; ++k) {
      for (int64_t i = 0; i < n; ++i) p.grad[i] = p.value[i] * 0.5f + 0.01f * static_cast<float>(k);
      const StepReport r = adam.step();
      norm = r.grad_norm;
    }
    EXPECT_EQ(adam.first_moment(0).data(), m_data);  // state buffers are created once
    out = p.value;
    omp_set_num_threads(saved);
  };
  Tensor one, two;
  double norm1 = 0, norm2 = 0;
  run(1, one, norm1);
  run(2, two, norm2);
  EXPECT_EQ(norm1, norm2);
  EXPECT_EQ(std::memcmp(one.data(), two.data(), sizeof(float) * static_cast<size_t>(n)), 0);
}

TEST(Optimizer, RejectsParametersThatChangedSize) {
  ParameterD p("p", group::kNet, Shape{3});
  SgdD sgd({&p});
  p.value.resize({4});
  p.grad.resize({4});
  EXPECT_THROW(sgd.step(), std::logic_error);
  EXPECT_THROW(SgdD({nullptr}), std::invalid_argument);
  SgdSettings bad;
  bad.nesterov = true;  // needs momentum
  EXPECT_THROW(SgdD({&p}, bad), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
