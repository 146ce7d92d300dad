// The ISP's traversal: every stage lists every field its configuration holds (and nothing else),
// with ranges its own validation agrees with; setting a field through the traversal takes effect
// exactly as a configuration does; parameters come out as visit_parameters lists them.
#include "isp/pipeline.h"
#include "isp/sharpen.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace invgfx {
namespace {

// Runs one traversal of `stage` that offers `values` to field `name` and returns the error, if any.
std::string try_set(IspStage& stage, const std::string& name, const std::vector<double>& values) {
  try {
    set_field<float>(stage, name, values);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(IspTraverse, EveryStageListsExactlyTheFieldsOfItsConfiguration) {
  for (const std::string& name : isp_stage_names()) {
    auto stage = make_isp_stage<float>(name);
    if (name == "demosaic") stage->params_from_json({{"method", "learned"}});  // kernels are written then
    std::set<std::string> keys, specs;
    const nlohmann::json params = stage->params_to_json();
    for (auto it = params.begin(); it != params.end(); ++it) keys.insert(it.key());
    for (const FieldSpec& s : stage->field_specs()) specs.insert(s.name);
    EXPECT_EQ(keys, specs) << name << ": params_to_json and field_specs disagree";
    // The traversal adds "<stage>.enabled" and prefixes the rest.
    std::set<std::string> visited;
    for (const auto& [n, v] : field_values<float>(*stage)) visited.insert(n);
    EXPECT_TRUE(visited.count(name + ".enabled")) << name;
    for (const std::string& k : keys) EXPECT_TRUE(visited.count(name + "." + k)) << name << "." << k;
  }
}

TEST(IspTraverse, RangesAgreeWithTheStagesOwnValidation) {
  for (const std::string& name : isp_stage_names()) {
    auto stage = make_isp_stage<float>(name);
    for (const auto& [field, current] : field_values<float>(*stage)) {
      // The current values go back in unchanged.
      EXPECT_EQ(try_set(*stage, field, current), "") << field;
    }
    for (const FieldSpec& spec : stage->field_specs()) {
      const std::string field = name + "." + spec.name;
      std::vector<double> now;
      for (const auto& [n, v] : field_values<float>(*stage))
        if (n == field) now = v;
      if (now.empty() || spec.has(field_flags::kStructural)) continue;
      // Just outside the range is refused, naming the stage (one unit out, or 1e6 units for the
      // ±1e9 of the black and white levels, which one unit would not move in float).
      const double step = std::max(1.0, 1e-3 * std::max(std::abs(spec.lo), std::abs(spec.hi)));
      for (double outside : {spec.lo - step, spec.hi + step}) {
        // (2^53 + 1 rounds back to 2^53: no double lies just above the seed's range.)
        if (!std::isfinite(outside) || outside == spec.hi || spec.kind == FieldKind::kBoolean) continue;
        std::vector<double> v = now;
        v[0] = outside;
        const std::string e = try_set(*stage, field, v);
        EXPECT_NE(e, "") << field << " accepted " << outside << " outside [" << spec.lo << ", " << spec.hi << "]";
        if (!e.empty()) {
          EXPECT_NE(e.find(name), std::string::npos) << e;
        }
      }
      // Every choice is accepted and reads back.
      for (size_t c = 0; c < spec.choices.size(); ++c) {
        EXPECT_EQ(try_set(*stage, field, {static_cast<double>(c)}), "") << field << " = " << spec.choices[c];
        for (const auto& [n, v] : field_values<float>(*stage))
          if (n == field) {
            EXPECT_EQ(v, std::vector<double>{static_cast<double>(c)}) << field;
          }
      }
    }
  }
}

TEST(IspTraverse, AFieldSetThroughTheTraversalChangesTheOutput) {
  Sharpen sharpen;
  ASSERT_TRUE(set_field<float>(sharpen, "sharpen.amount", {2.0}));
  Tensor x({3, 16, 16}), y1, y2;
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = (i * 37 % 11) / 11.f;
  sharpen.forward(x, y1);
  ASSERT_TRUE(set_field<float>(sharpen, "sharpen.sigma", {6.0}));
  EXPECT_EQ(sharpen.params().sigma, 6.0);
  sharpen.forward(x, y2);
  double diff = 0;
  for (int64_t i = 0; i < x.numel(); ++i) diff += std::abs(y1[i] - y2[i]);
  EXPECT_GT(diff, 1e-3);
  ASSERT_TRUE(set_field<float>(sharpen, "sharpen.enabled", {0.0}));
  EXPECT_FALSE(sharpen.enabled());
  EXPECT_FALSE(set_field<float>(sharpen, "sharpen.nothing", {1.0}));
}

TEST(IspTraverse, ParametersAreThoseOfVisitParameters) {
  IspPipeline isp;
  for (const std::string& name : isp_stage_names()) isp.add(make_isp_stage<float>(name));
  std::vector<Parameter*> visited, traversed;
  isp.visit_parameters([&](Parameter& p) { visited.push_back(&p); });
  Traversal t;
  t.parameter = [&](Parameter& p) { traversed.push_back(&p); };
  isp.traverse(t);
  EXPECT_EQ(visited, traversed);
  EXPECT_FALSE(traversed.empty());
}

}  // namespace
}  // namespace invgfx
