// The reconstruction encoder of the loop (and of BM_Encoder, tests/bench/README.md): a stack of strided
// 4×4 convolutions, each halving the resolution and followed by LeakyReLU, then one linear layer on
// the flattened last feature map. With the defaults: 3×128×128 → 32×64² → 64×32² → 128×16² → 256×8²
// → 256×4² → 4096 → 256.
#pragma once

#include "core/sequential.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace invgfx {

struct EncoderOptions {
  int64_t in_channels = 3;                                // image channels, ≥ 1
  int64_t image_size = 128;                               // square input side, pixels, divisible by 2^layers
  std::vector<int64_t> channels = {32, 64, 128, 256, 256};  // output channels of each conv layer
  int64_t kernel = 4;                                     // conv kernel side, pixels (stride 2, pad kernel/2 − 1)
  double leaky_slope = 0.2;                               // LeakyReLU negative slope, unitless
  int64_t out_features = 256;                             // size of the code, ≥ 1
  uint64_t seed = 1;                                      // init_default seed
};

// Layers are named conv1, act1, …, fc (parameters "conv1.weight", …, "fc.bias"), initialised with
// init_default(seed). Throws std::invalid_argument when image_size does not halve cleanly.
template <class T>
std::unique_ptr<SequentialT<T>> make_encoder(const EncoderOptions& opt = {});

}  // namespace invgfx
