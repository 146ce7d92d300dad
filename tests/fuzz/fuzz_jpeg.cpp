// Fuzz target: a JPEG through decode_jpeg (isp/jpeg_io.h: libjpeg from memory, the EXIF orientation
// parser, the pixel limit), the reader of the camera JPEGs that ISP calibration compares with.
#include "isp/jpeg_io.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  fuzz::expect_clean([&] { decode_jpeg(fuzz::as_view(data, size), "fuzz.jpg"); });
  return 0;
}
