// Fuzz target: a camera RAW (DNG and every format LibRaw reads) through the dataset reader: LibRaw's
// parser and unpacking, read_raw's checks of the visible area, black levels and colour matrices,
// isp_raw_settings, orientation and the fit of the mosaic into the working square.
#include "app/dataset.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  const auto path = fuzz::write_scratch("photo.dng", fuzz::as_view(data, size));
  DatasetOptions options;
  options.size = 16;
  fuzz::expect_clean([&] { load_dataset({path}, options); });
  return 0;
}
