// Building a Shape without touching the heap, for steady-state code paths.
//
// Shape's initializer-list constructor goes through a temporary std::vector, which allocates on
// every call; layers that resize their outputs on every forward use shape_of() instead, which fills a
// per-thread scratch vector whose capacity is reserved once.
#pragma once

#include "core/tensor.h"

#include <initializer_list>
#include <vector>

namespace invgfx {

inline Shape shape_of(std::initializer_list<int64_t> dims) {
  thread_local std::vector<int64_t> scratch = [] {
    std::vector<int64_t> v;
    v.reserve(Shape::kMaxRank);
    return v;
  }();
  scratch.assign(dims.begin(), dims.end());
  return Shape(scratch);
}

}  // namespace invgfx
