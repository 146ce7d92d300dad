// The covered pixels of a hard rasterization, row-major, and the compact C×rows×S layout that the
// renderer's texture lookups and shading run on: only the covered part of the image (about half for
// a centred object) is sampled and shaded. Padding at the end of the last row is zero (shaded, never
// read back). Buffers are reused, so steady state does not allocate.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace invgfx {

class CoveredPixels {
 public:
  // The pixels of an S×S image whose face id is ≥ 0.
  void gather(const std::vector<int32_t>& face, int size);
  int64_t count() const { return static_cast<int64_t>(index_.size()); }
  int64_t rows() const { return rows_; }                 // of the compact layout, ≥ 1
  int32_t pixel(int64_t j) const { return index_[static_cast<size_t>(j)]; }

  // full C×S×S → compact C×rows×S.
  template <class T>
  void to_compact(const TensorT<T>& full, int channels, TensorT<T>& compact) const;
  // compact C×rows×S → full C×S×S, zero where not covered.
  template <class T>
  void from_compact(const TensorT<T>& compact, int channels, TensorT<T>& full) const;

 private:
  std::vector<int32_t> index_;
  int size_ = 0;
  int64_t rows_ = 1;
};

}  // namespace invgfx
