// Implementation of core/tensor.h.
#include "core/tensor.h"

#include <algorithm>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace {

// Shared by both constructors; fills the fixed array directly so that building a shape from a braced
// list in a hot loop does not allocate.
template <class It>
void assign_dims(std::array<int64_t, Shape::kMaxRank>& out, int& rank, It first, It last) {
  const auto n = static_cast<size_t>(std::distance(first, last));
  if (n > static_cast<size_t>(Shape::kMaxRank))
    throw std::invalid_argument("Shape: rank " + std::to_string(n) + " exceeds 4");
  size_t i = 0;
  for (It it = first; it != last; ++it, ++i) {
    if (*it < 0) throw std::invalid_argument("Shape: negative dimension");
    out[i] = *it;
  }
  for (; i < out.size(); ++i) out[i] = 1;
  rank = static_cast<int>(n);
}

}  // namespace

Shape::Shape(std::initializer_list<int64_t> dims) { assign_dims(dims_, rank_, dims.begin(), dims.end()); }

Shape::Shape(const std::vector<int64_t>& dims) { assign_dims(dims_, rank_, dims.begin(), dims.end()); }

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
  return n;
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (dims_[static_cast<size_t>(i)] != o.dims_[static_cast<size_t>(i)]) return false;
  return true;
}

std::string Shape::str() const {
  std::ostringstream s;
  s << '[';
  for (int i = 0; i < rank_; ++i) s << (i ? ", " : "") << dims_[static_cast<size_t>(i)];
  s << ']';
  return s.str();
}

Dims4 as4d(const Shape& s) {
  switch (s.rank()) {
    case 4: return {s[0], s[1], s[2], s[3]};
    case 3: return {1, s[0], s[1], s[2]};
    case 2: return {1, 1, s[0], s[1]};
    case 1: return {1, 1, 1, s[0]};
    default: return {1, 1, 1, 1};
  }
}

template <class T>
void TensorT<T>::resize(const Shape& shape) {
  shape_ = shape;
  numel_ = shape.numel();
  if (static_cast<size_t>(numel_) > data_.size()) data_.resize(static_cast<size_t>(numel_));
}

template <class T>
void TensorT<T>::fill(T v) {
  std::fill(data_.begin(), data_.begin() + numel_, v);
}

template <class T>
void TensorT<T>::copy_from(const TensorT& o) {
  resize_like(o);
  std::copy(o.data(), o.data() + o.numel(), data());
}

template <class T>
Eigen::Map<typename TensorT<T>::Matrix> TensorT<T>::matrix(int64_t rows, int64_t cols) {
  if (rows * cols != numel_)
    throw std::invalid_argument("Tensor::matrix: " + std::to_string(rows) + "x" + std::to_string(cols) +
                                " does not match " + shape_.str());
  return Eigen::Map<Matrix>(data(), rows, cols);
}

template <class T>
Eigen::Map<const typename TensorT<T>::Matrix> TensorT<T>::matrix(int64_t rows, int64_t cols) const {
  if (rows * cols != numel_)
    throw std::invalid_argument("Tensor::matrix: " + std::to_string(rows) + "x" + std::to_string(cols) +
                                " does not match " + shape_.str());
  return Eigen::Map<const Matrix>(data(), rows, cols);
}

template class TensorT<float>;
template class TensorT<double>;

}  // namespace invgfx
