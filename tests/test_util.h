// Small helpers the test suites share (header-only).
#pragma once

#include "core/random.h"
#include "core/tensor.h"

#include <functional>
#include <string>

namespace invgfx::test {

// The message of the exception `f` throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// A tensor of `shape` with values drawn uniformly from [lo, hi) with `seed`.
inline TensorD random_tensor(const Shape& shape, uint64_t seed, double lo = 0.0, double hi = 1.0) {
  TensorD t(shape);
  Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}

}  // namespace invgfx::test
