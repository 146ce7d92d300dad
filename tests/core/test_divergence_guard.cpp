// The divergence guard over any optimizer: a step with non-finite gradients is refused before
// anything changes; a step whose new values are not finite is rolled back to the exact values and
// optimizer state (compared through save_state), with Adam and with SGD + momentum, whose states
// differ in layout. Verdicts combine as a multi-process step needs.
#include "core/adam.h"
#include "core/divergence_guard.h"
#include "core/sgd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace invgfx {
namespace {

struct Problem {
  Parameter a{"a", "net", Shape{5}}, b{"b", "light", Shape{3}}, frozen{"c", "camera", Shape{2}};
  Problem() {
    for (Parameter* p : {&a, &b, &frozen})
      for (int64_t i = 0; i < p->value.numel(); ++i) p->value[i] = 0.1f * static_cast<float>(i + 1);
  }
  void set_grads(float v) {
    for (Parameter* p : {&a, &b, &frozen}) {
      p->zero_grad();
      for (int64_t i = 0; i < p->grad.numel(); ++i) p->grad[i] = v * static_cast<float>(i % 3 + 1);
    }
  }
};

std::vector<std::unique_ptr<Optimizer>> make_optimizers(Problem& p) {
  std::vector<std::unique_ptr<Optimizer>> opts;
  opts.push_back(std::make_unique<Adam>(std::vector<Parameter*>{&p.a, &p.frozen}));
  SgdSettings s;
  s.lr = 0.1;
  s.momentum = 0.9;
  opts.push_back(std::make_unique<Sgd>(std::vector<Parameter*>{&p.b}, s));
  opts[0]->freeze("camera");
  return opts;
}

TEST(DivergenceGuard, NonFiniteGradientsAreRefusedBeforeAnythingChanges) {
  Problem p;
  auto owned = make_optimizers(p);
  std::vector<Optimizer*> opts = {owned[0].get(), owned[1].get()};
  DivergenceGuard guard;
  p.set_grads(1.f);
  guard.keep(opts);
  ASSERT_TRUE(guard.prepare(opts, 1.0).ok);
  guard.apply(opts);
  const std::string adam0 = owned[0]->save_state(), sgd0 = owned[1]->save_state();
  const Tensor a0 = p.a.value, b0 = p.b.value;

  p.set_grads(1.f);
  p.b.grad[1] = std::numeric_limits<float>::quiet_NaN();
  const StepVerdict v = guard.prepare(opts, 0.5);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("gradient of b is nan"), std::string::npos) << v.problem;
  EXPECT_FALSE(guard.prepare(opts, std::nan("")).ok);
  guard.diverged();
  EXPECT_EQ(guard.lr_factor(), 0.5);
  EXPECT_EQ(owned[0]->save_state(), adam0);
  EXPECT_EQ(owned[1]->save_state(), sgd0);
  for (int64_t i = 0; i < a0.numel(); ++i) EXPECT_EQ(p.a.value[i], a0[i]);
  for (int64_t i = 0; i < b0.numel(); ++i) EXPECT_EQ(p.b.value[i], b0[i]);
}

TEST(DivergenceGuard, NonFiniteNewValuesRollBackValuesAndStateOfAdamAndSgd) {
  Problem p;
  auto owned = make_optimizers(p);
  std::vector<Optimizer*> opts = {owned[0].get(), owned[1].get()};
  DivergenceGuard guard;
  for (int k = 0; k < 3; ++k) {  // some history in the moments and the momentum buffer
    p.set_grads(0.5f + static_cast<float>(k));
    guard.keep(opts);
    ASSERT_TRUE(guard.prepare(opts, 1.0).ok);
    guard.apply(opts);
    ASSERT_TRUE(guard.check_values(opts).ok);
  }
  const std::string adam0 = owned[0]->save_state(), sgd0 = owned[1]->save_state();
  const Tensor a0 = p.a.value, b0 = p.b.value, c0 = p.frozen.value;

  // A learning rate that overflows float in SGD: the gradients are finite, the new values are not.
  GroupSettings huge;
  huge.lr = 1e300;
  owned[1]->set_group("light", huge);
  p.set_grads(1.f);
  guard.keep(opts);
  ASSERT_TRUE(guard.prepare(opts, 1.0).ok);
  guard.apply(opts);
  const StepVerdict v = guard.check_values(opts);
  ASSERT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("new value of b"), std::string::npos) << v.problem;
  guard.rollback(opts);
  EXPECT_EQ(owned[0]->save_state(), adam0) << "Adam's moments and step counts restored";
  EXPECT_EQ(owned[1]->save_state(), sgd0) << "SGD's momentum buffer and counts restored";
  for (int64_t i = 0; i < a0.numel(); ++i) EXPECT_EQ(p.a.value[i], a0[i]);
  for (int64_t i = 0; i < b0.numel(); ++i) EXPECT_EQ(p.b.value[i], b0[i]);
  for (int64_t i = 0; i < c0.numel(); ++i) EXPECT_EQ(p.frozen.value[i], c0[i]);

  // A sane rate afterwards steps from the restored state.
  owned[1]->set_group("light", GroupSettings{});
  guard.keep(opts);
  ASSERT_TRUE(guard.prepare(opts, 1.0).ok);
  guard.apply(opts);
  EXPECT_TRUE(guard.check_values(opts).ok);
  EXPECT_NE(p.b.value[0], b0[0]);
}

TEST(DivergenceGuard, VerdictsCombineAsEveryProcessMustAgree) {
  StepVerdict here, there;
  there.ok = false;
  there.problem = "loss is not finite";
  here.combine(StepVerdict{});
  EXPECT_TRUE(here.ok);
  here.combine(there);
  EXPECT_FALSE(here.ok);
  EXPECT_EQ(here.problem, "loss is not finite");
  StepVerdict later{false, "new value of x is not finite"};
  here.combine(later);
  EXPECT_EQ(here.problem, "loss is not finite") << "the first problem is kept";
}

}  // namespace
}  // namespace invgfx
