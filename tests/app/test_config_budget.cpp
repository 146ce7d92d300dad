// app/config_budget.h: configs that would exhaust memory are refused before anything is built, with
// the field and the figure; integers out of a field's range and non-finite or absurd values are
// refused; the presets fit the budget; large working sizes come with a slow-step warning.
#include "app/config_budget.h"
#include "app/loop_config.h"
#include "core/limits.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

namespace invgfx {
namespace {

using test::error_of;

std::string error_of_json(const char* text) {
  return error_of([&] { LoopConfig::from_json(nlohmann::json::parse(text)); });
}

TEST(ConfigBudget, WidthsAboveTheLimitsNameFieldAndLimit) {
  EXPECT_EQ(error_of_json(R"({"features": {"channels": 100000000}})"),
            "config: field 'features.channels' = 100000000 is above the limit of 4096 (network widths above it "
            "exhaust the memory of a desktop)");
  EXPECT_NE(error_of_json(R"({"decoder": {"shape_modes": 50000000}})").find("'decoder.shape_modes' = 50000000"),
            std::string::npos);
  EXPECT_NE(error_of_json(R"({"decoder": {"texture_size": 65536}})").find("'decoder.texture_size' = 65536"),
            std::string::npos);
  EXPECT_NE(error_of_json(R"({"encoder": {"channels": [32, 1000000]}})").find("'encoder.channels' = 1000000"),
            std::string::npos);
}

TEST(ConfigBudget, ATotalAboveTheLimitSaysHowMuch) {
  // Each width within its limit, together far beyond 8 GiB: the feature network's activations of
  // 64 photos at 2048² (3 × 2 × 64 × 4096 × 512² floats ≈ 1.5 PiB).
  const std::string e = error_of_json(
      R"({"render": {"size": 2048}, "batch_size": 64, "features": {"channels": 4096}, "encoder": {"channels": [32, 64, 128, 256, 256]}})");
  EXPECT_EQ(e.rfind("config: this configuration would need about ", 0), 0u) << e;
  EXPECT_NE(e.find(" GiB (mostly for 'features.channels'), more than the limit of 8.0 GiB"), std::string::npos) << e;
}

TEST(ConfigBudget, PresetsFitComfortably) {
  for (const std::string& name : LoopConfig::preset_names()) {
    const ConfigBudget b = check_config_budget(LoopConfig::preset(name));
    EXPECT_GT(b.bytes, 1u << 20) << name;  // the encoder alone is megabytes
    EXPECT_LT(b.bytes, 2 * limits::kGiB) << name;
  }
}

TEST(ConfigBudget, IntegersOutOfRangeAndAbsurdValuesAreRefused) {
  // 2^32 + 5 would wrap around to 5 in an int.
  EXPECT_EQ(error_of_json(R"({"iterations": 4294967301})"), "config: field 'iterations' is out of range, got 4294967301");
  EXPECT_EQ(error_of_json(R"({"iterations": -4294967301})"), "config: field 'iterations' is out of range, got -4294967301");
  EXPECT_EQ(error_of_json(R"({"decoder": {"max_offset": 1e30}})"),
            "config: field 'decoder.max_offset' must be finite and at most 100 template radii");
}

TEST(ConfigBudget, SlowStepWarning) {
  EXPECT_EQ(slow_step_warning(128, 8), "");
  EXPECT_EQ(slow_step_warning(512, 8), "");
  // (2048 / 128)² = 256 times the pixels; 0.03 s × 256 × 1 photo ≈ 8 s.
  EXPECT_EQ(slow_step_warning(2048, 1), "working size 2048: a step will take about 8 s (256x the pixels of 128, 1 photo(s) a step)");
}

}  // namespace
}  // namespace invgfx
