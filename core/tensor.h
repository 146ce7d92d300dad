// Dense tensors: up to 4-D (N×C×H×W), contiguous row-major storage, templated on the scalar so that
// every node can also run in double precision for finite-difference checks.
#pragma once

#include <Eigen/Core>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace invgfx {

// A shape of rank 0..4. Unused trailing dimensions are 1 so that n()/c()/h()/w() always work on the
// N×C×H×W reading: a rank-3 tensor C×H×W has n() == 1 only through `as4d`, see below.
class Shape {
 public:
  static constexpr int kMaxRank = 4;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t numel() const;
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "[8, 3, 128, 128]"

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

template <class T>
class TensorT {
 public:
  using Scalar = T;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

  TensorT() = default;
  explicit TensorT(const Shape& shape, T fill = T(0)) { resize(shape); this->fill(fill); }
  TensorT(std::initializer_list<int64_t> dims) : TensorT(Shape(dims)) {}

  // Changes the shape. Storage is reused when the new element count fits the capacity, so a
  // steady-state loop that resizes to the same shapes never allocates. Contents are unspecified
  // after a resize that changes numel.
  void resize(const Shape& shape);
  // o's shape; the default (empty) tensor gives an empty tensor, not the one element of a 0-d resize.
  void resize_like(const TensorT& o) {
    if (o.rank() == 0 && o.numel_ == 0) {
      shape_ = Shape();
      numel_ = 0;
      return;
    }
    resize(o.shape());
  }
  void resize(std::initializer_list<int64_t> dims) { resize(Shape(dims)); }

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t numel() const { return numel_; }
  bool empty() const { return numel_ == 0; }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  T& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  const T& operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }
  T* begin() { return data(); }
  T* end() { return data() + numel_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + numel_; }

  // Element access by full index (rank must match the number of indices; checked in debug builds).
  T& at(int64_t i0, int64_t i1) { return data_[static_cast<size_t>(i0 * shape_[1] + i1)]; }
  T& at(int64_t i0, int64_t i1, int64_t i2) {
    return data_[static_cast<size_t>((i0 * shape_[1] + i1) * shape_[2] + i2)];
  }
  T& at(int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    return data_[static_cast<size_t>(((i0 * shape_[1] + i1) * shape_[2] + i2) * shape_[3] + i3)];
  }
  T at(int64_t i0, int64_t i1) const { return const_cast<TensorT*>(this)->at(i0, i1); }
  T at(int64_t i0, int64_t i1, int64_t i2) const { return const_cast<TensorT*>(this)->at(i0, i1, i2); }
  T at(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const {
    return const_cast<TensorT*>(this)->at(i0, i1, i2, i3);
  }

  void fill(T v);
  void zero() { fill(T(0)); }
  void copy_from(const TensorT& o);  // resizes to o's shape and copies

  // Eigen views for linear algebra, no copies.
  Eigen::Map<Matrix> matrix(int64_t rows, int64_t cols);
  Eigen::Map<const Matrix> matrix(int64_t rows, int64_t cols) const;
  Eigen::Map<Vector> vec() { return Eigen::Map<Vector>(data(), numel_); }
  Eigen::Map<const Vector> vec() const { return Eigen::Map<const Vector>(data(), numel_); }

  // Conversion between precisions (used by the double-precision gradient checks).
  template <class U>
  TensorT<U> cast() const {
    TensorT<U> r;
    if (numel_ > 0 || rank() > 0) r.resize(shape_);  // a default (empty) tensor stays empty, not a 0-d scalar
    for (int64_t i = 0; i < numel_; ++i) r[i] = static_cast<U>(data_[static_cast<size_t>(i)]);
    return r;
  }

 private:
  Shape shape_;
  int64_t numel_ = 0;
  std::vector<T> data_;
};

using Tensor = TensorT<float>;
using TensorD = TensorT<double>;

// The N×C×H×W reading of a tensor of rank 2..4: rank 3 is C×H×W (N = 1), rank 2 is H×W (N = C = 1).
struct Dims4 {
  int64_t n, c, h, w;
};
Dims4 as4d(const Shape& s);

}  // namespace invgfx
