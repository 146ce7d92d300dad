// Fuzz target: a loop configuration (JSON) through LoopConfig::from_file: the JSON parser, every field's
// type and range, the resource budget of app/config_budget.h.
#include "app/loop_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  const auto path = fuzz::write_scratch("config.json", fuzz::as_view(data, size));
  fuzz::expect_clean([&] { LoopConfig::from_file(path); });
  return 0;
}
