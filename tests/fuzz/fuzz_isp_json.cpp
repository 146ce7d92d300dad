// Fuzz target: an ISP pipeline (JSON) through IspPipeline::from_file, then one forward pass of an 8×8
// mosaic through whatever pipeline it built (a stage's parameters must not read out of bounds).
#include "isp/pipeline.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  const auto path = fuzz::write_scratch("isp.json", fuzz::as_view(data, size));
  fuzz::expect_clean([&] {
    IspPipeline isp = IspPipeline::from_file(path.string());
    Tensor raw({1, 8, 8}), out;
    for (int64_t i = 0; i < raw.numel(); ++i) raw[i] = static_cast<float>(i % 7) / 7.f;
    isp.forward(raw, out);
  });
  return 0;
}
