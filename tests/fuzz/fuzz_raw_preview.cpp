// Fuzz target: a RAW file's embedded preview through read_raw_preview (LibRaw's thumbnail API, the
// JPEG or bitmap it holds), what ISP calibration uses when no camera JPEG is given.
#include "isp/raw_preview.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  const auto path = fuzz::write_scratch("preview.dng", fuzz::as_view(data, size));
  fuzz::expect_clean([&] { read_raw_preview(path.string()); });
  return 0;
}
