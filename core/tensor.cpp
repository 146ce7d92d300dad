#include "core/tensor.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace invgfx {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    throw std::invalid_argument("Shape: rank " + std::to_string(dims.size()) + " exceeds 4");
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) throw std::invalid_argument("Shape: negative dimension");
    dims_[i] = dims[i];
  }
  for (size_t i = dims.size(); i < static_cast<size_t>(kMaxRank); ++i) dims_[i] = 1;
  rank_ = static_cast<int>(dims.size());
}

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
  resize(o.shape());
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
