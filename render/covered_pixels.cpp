// Implementation of render/covered_pixels.h.
#include "render/covered_pixels.h"

#include <algorithm>

namespace invgfx {

void CoveredPixels::gather(const std::vector<int32_t>& face, int size) {
  size_ = size;
  const int64_t P = int64_t(size) * size;
  index_.clear();
  index_.reserve(static_cast<size_t>(P));
  for (int64_t i = 0; i < P; ++i)
    if (face[static_cast<size_t>(i)] >= 0) index_.push_back(static_cast<int32_t>(i));
  rows_ = std::max<int64_t>(1, (count() + size - 1) / size);
}

template <class T>
void CoveredPixels::to_compact(const TensorT<T>& full, int C, TensorT<T>& c) const {
  const int64_t P = int64_t(size_) * size_, N = rows_ * size_, n = count();
  c.resize({C, rows_, size_});
  for (int k = 0; k < C; ++k) {
    const T* F = full.data() + k * P;
    T* D = c.data() + k * N;
    for (int64_t j = 0; j < n; ++j) D[j] = F[index_[static_cast<size_t>(j)]];
    std::fill(D + n, D + N, T(0));
  }
}

template <class T>
void CoveredPixels::from_compact(const TensorT<T>& c, int C, TensorT<T>& full) const {
  const int64_t P = int64_t(size_) * size_, N = rows_ * size_, n = count();
  full.resize({C, size_, size_});
  full.zero();
  for (int k = 0; k < C; ++k) {
    const T* D = c.data() + k * N;
    T* F = full.data() + k * P;
    for (int64_t j = 0; j < n; ++j) F[index_[static_cast<size_t>(j)]] = D[j];
  }
}

template void CoveredPixels::to_compact<float>(const Tensor&, int, Tensor&) const;
template void CoveredPixels::to_compact<double>(const TensorD&, int, TensorD&) const;
template void CoveredPixels::from_compact<float>(const Tensor&, int, Tensor&) const;
template void CoveredPixels::from_compact<double>(const TensorD&, int, TensorD&) const;

}  // namespace invgfx
