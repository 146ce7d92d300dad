// Fuzz target: a photo (JPEG, PNG, TIFF, BMP, WebP by content) through the dataset reader —
// image_header.h's size check, OpenCV's decoder, the non-finite check, placement at the working size.
#include "app/dataset.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  const auto path = fuzz::write_scratch("photo.img", fuzz::as_view(data, size));
  DatasetOptions options;
  options.size = 32;
  fuzz::expect_clean([&] { load_dataset({path}, options); });
  return 0;
}
