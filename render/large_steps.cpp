// Implementation of render/large_steps.h.
#include "render/large_steps.h"

#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include <cmath>
#include <stdexcept>
#include <string>

namespace invgfx {

template <class T>
struct LargeStepsT<T>::Impl {
  Eigen::SparseMatrix<double> M;                        // I + λL
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt;
  mutable Eigen::Matrix<double, Eigen::Dynamic, 3> rhs, sol;  // scratch, reused
};

template <class T>
LargeStepsT<T>::LargeStepsT(const std::vector<int32_t>& faces, int64_t V, double lambda)
    : impl_(std::make_unique<Impl>()), lambda_(lambda), num_vertices_(V) {
  if (!(lambda >= 0) || !std::isfinite(lambda)) throw std::invalid_argument("LargeSteps: lambda must be ≥ 0 and finite");
  if (faces.size() % 3 != 0) throw std::invalid_argument("LargeSteps: faces must be F×3");
  for (int32_t i : faces)
    if (i < 0 || i >= V) throw std::invalid_argument("LargeSteps: face index " + std::to_string(i) + " outside [0, V)");
  // Unique undirected edges; each adds λ to both diagonals and −λ off the diagonal.
  std::vector<Eigen::Triplet<double>> trip;
  trip.reserve(static_cast<size_t>(V) + faces.size() * 4);
  for (int64_t i = 0; i < V; ++i) trip.emplace_back(static_cast<int>(i), static_cast<int>(i), 1.0);
  Eigen::SparseMatrix<double> A(V, V);
  {
    std::vector<Eigen::Triplet<double>> e;
    for (size_t f = 0; f < faces.size(); f += 3)
      for (int k = 0; k < 3; ++k) {
        const int a = faces[f + k], b = faces[f + (k + 1) % 3];
        e.emplace_back(a, b, 1.0);
        e.emplace_back(b, a, 1.0);
      }
    A.setFromTriplets(e.begin(), e.end());  // duplicates summed: an interior edge appears twice
  }
  for (int k = 0; k < A.outerSize(); ++k)
    for (Eigen::SparseMatrix<double>::InnerIterator it(A, k); it; ++it) {
      if (it.row() == it.col()) continue;
      trip.emplace_back(static_cast<int>(it.row()), static_cast<int>(it.row()), lambda);
      trip.emplace_back(static_cast<int>(it.row()), static_cast<int>(it.col()), -lambda);
    }
  impl_->M.resize(V, V);
  impl_->M.setFromTriplets(trip.begin(), trip.end());
  impl_->ldlt.compute(impl_->M);
  if (impl_->ldlt.info() != Eigen::Success) throw std::runtime_error("LargeSteps: factorising I + λL failed");
  impl_->rhs.resize(V, 3);
  impl_->sol.resize(V, 3);
}

template <class T>
LargeStepsT<T>::~LargeStepsT() = default;
template <class T>
LargeStepsT<T>::LargeStepsT(LargeStepsT&&) noexcept = default;
template <class T>
LargeStepsT<T>& LargeStepsT<T>::operator=(LargeStepsT&&) noexcept = default;

namespace {
template <class T>
void check_v3(const TensorT<T>& t, int64_t V, const char* what) {
  if (t.rank() != 2 || t.dim(0) != V || t.dim(1) != 3)
    throw std::invalid_argument(std::string("LargeSteps: ") + what + " must be [" + std::to_string(V) + ", 3], got " +
                                t.shape().str());
}
}  // namespace

template <class T>
void LargeStepsT<T>::to_u(const TensorT<T>& v, TensorT<T>& u) const {
  check_v3(v, num_vertices_, "v");
  const int64_t V = num_vertices_;
  for (int64_t i = 0; i < V; ++i)
    for (int c = 0; c < 3; ++c) impl_->rhs(i, c) = static_cast<double>(v[3 * i + c]);
  impl_->sol.noalias() = impl_->M * impl_->rhs;
  u.resize({V, 3});
  for (int64_t i = 0; i < V; ++i)
    for (int c = 0; c < 3; ++c) u[3 * i + c] = static_cast<T>(impl_->sol(i, c));
}

template <class T>
void LargeStepsT<T>::to_v(const TensorT<T>& u, TensorT<T>& v) const {
  check_v3(u, num_vertices_, "u");
  const int64_t V = num_vertices_;
  for (int64_t i = 0; i < V; ++i)
    for (int c = 0; c < 3; ++c) impl_->rhs(i, c) = static_cast<double>(u[3 * i + c]);
  impl_->sol = impl_->ldlt.solve(impl_->rhs);
  v.resize({V, 3});
  for (int64_t i = 0; i < V; ++i)
    for (int c = 0; c < 3; ++c) v[3 * i + c] = static_cast<T>(impl_->sol(i, c));
}

template <class T>
void LargeStepsT<T>::backward(const TensorT<T>& dL_dv, TensorT<T>& dL_du) const {
  check_v3(dL_dv, num_vertices_, "dL/dv");
  const int64_t V = num_vertices_;
  if (dL_du.shape() != dL_dv.shape()) {
    dL_du.resize({V, 3});
    dL_du.zero();
  }
  for (int64_t i = 0; i < V; ++i)
    for (int c = 0; c < 3; ++c) impl_->rhs(i, c) = static_cast<double>(dL_dv[3 * i + c]);
  impl_->sol = impl_->ldlt.solve(impl_->rhs);  // (I + λL) is symmetric: its inverse is its own transpose
  for (int64_t i = 0; i < V; ++i)
    for (int c = 0; c < 3; ++c) dL_du[3 * i + c] += static_cast<T>(impl_->sol(i, c));
}

template class LargeStepsT<float>;
template class LargeStepsT<double>;

}  // namespace invgfx
