// Fuzz target: a mask file of a mask folder, beside a valid 8×6 photo: decoding, its size against the
// photo's, inversion and placement.
#include "app/dataset.h"
#include "tests/fuzz/fuzz_util.h"

#include <opencv2/imgcodecs.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  static const std::filesystem::path photo = [] {
    const auto p = fuzz::scratch_dir() / "photo.png";
    cv::imwrite(p.string(), cv::Mat(6, 8, CV_8UC3, cv::Scalar(40, 120, 200)));
    return p;
  }();
  fuzz::write_scratch("masks/photo.png", fuzz::as_view(data, size));
  DatasetOptions options;
  options.size = 16;
  options.masks = (fuzz::scratch_dir() / "masks").string();
  options.invert_masks = size % 2 == 1;
  fuzz::expect_clean([&] { load_dataset({photo}, options); });
  return 0;
}
