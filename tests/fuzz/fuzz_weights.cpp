// Fuzz target: a weights file (core/weights_io.h) read into a small network of a convolution and a
// dense layer: magic, version, counts, names, shapes and data, all bounded by the bytes present.
#include "core/conv2d.h"
#include "core/linear.h"
#include "core/sequential.h"
#include "core/weights_io.h"
#include "tests/fuzz/fuzz_util.h"

#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  static Sequential* const net = [] {
    auto* n = new Sequential("net");  // lives as long as the process
    n->emplace<Conv2d>("conv", Conv2dOptions::square(3, 4, 3, 1, 1));
    n->emplace<Linear>("fc", int64_t{4}, int64_t{2});
    return n;
  }();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size), std::ios::binary);
  fuzz::expect_clean([&] { read_weights(*net, in, "fuzz weights"); });
  return 0;
}
