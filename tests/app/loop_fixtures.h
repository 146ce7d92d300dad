// Small synthetic fits for the loop's tests: photos of coloured discs on graded backgrounds with
// their masks, and a configuration small enough that a step takes milliseconds.
#pragma once

#include "app/dataset.h"
#include "app/loop_config.h"

#include <array>
#include <string>

namespace invgfx::test {

// A disc of colour `c`, centre (cx, cy) and radius r (fractions of the side), on a slightly graded
// background; its mask.
inline Photo disc_photo(int i, int size, float cx, float cy, float r, std::array<float, 3> c) {
  Photo p;
  p.path = "disc" + std::to_string(i) + ".png";
  p.original_width = p.original_height = size;
  p.srgb.resize({3, size, size});
  p.mask.resize({1, size, size});
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float dx = (x + 0.5f) / size - cx, dy = (y + 0.5f) / size - cy;
      const bool in = dx * dx + dy * dy < r * r;
      p.mask.at(0, y, x) = in ? 1.f : 0.f;
      for (int k = 0; k < 3; ++k)
        p.srgb.at(k, y, x) = in ? c[static_cast<size_t>(k)] : 0.35f + 0.1f * k + 0.05f * y / size;
    }
  return p;
}

// n discs that differ in place, size and colour.
inline Dataset disc_dataset(int n, int size = 64) {
  Dataset d;
  d.options.size = size;
  for (int i = 0; i < n; ++i)
    d.photos.push_back(disc_photo(i, size, 0.5f + 0.03f * i, 0.5f - 0.02f * i, 0.3f - 0.02f * i,
                                  {0.8f - 0.1f * i, 0.3f + 0.1f * i, 0.2f}));
  return d;
}

// 20 iterations (half training), batches of 2, a level-2 icosphere and narrow networks.
inline LoopConfig small_config(int size = 64) {
  LoopConfig c;
  c.iterations = 20;
  c.train_fraction = 0.5;
  c.batch_size = 2;
  c.lr = 3e-3;
  c.icosphere_level = 2;
  c.render.size = size;
  c.decoder.code_size = 32;
  c.decoder.texture_size = 16;
  c.encoder.channels = {8, 16, 16, 16};
  c.features.channels = 8;
  c.seed = 3;
  return c;
}

}  // namespace invgfx::test
