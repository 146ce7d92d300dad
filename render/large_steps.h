// The Large Steps parameterisation of a mesh's vertex positions (Nicolet, Jacobson & Jakob 2021,
// "Large Steps in Inverse Rendering of Geometry", eq. 7–9): the optimiser moves u = (I + λL)·v, with L
// the combinatorial Laplacian (L_ii = degree, L_ij = −1 for an edge ij), and the positions are
// v = (I + λL)⁻¹·u. A gradient step on u is a step on v preconditioned by (I + λL)⁻², which diffuses it
// over the surface: large, smooth steps instead of the spiky ones plain gradient descent on v takes.
// The matrix is symmetric positive definite, so the backward is the same solve:
// dL/du = (I + λL)⁻¹·dL/dv. It is factorised once per topology (Eigen's SimplicialLDLT, a sparse
// Cholesky) and each solve is two triangular sweeps over three right-hand sides.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace invgfx {

template <class T>
class LargeStepsT {
 public:
  // faces: F×3 into num_vertices. lambda ≥ 0 (0: u = v). Throws std::invalid_argument on a bad face
  // index or lambda.
  LargeStepsT(const std::vector<int32_t>& faces, int64_t num_vertices, double lambda);
  ~LargeStepsT();
  LargeStepsT(LargeStepsT&&) noexcept;
  LargeStepsT& operator=(LargeStepsT&&) noexcept;

  double lambda() const { return lambda_; }
  int64_t num_vertices() const { return num_vertices_; }

  // u = (I + λL)·v, V×3 each.
  void to_u(const TensorT<T>& v, TensorT<T>& u) const;
  // v = (I + λL)⁻¹·u.
  void to_v(const TensorT<T>& u, TensorT<T>& v) const;
  // ADDS dL/du = (I + λL)⁻¹·dL/dv into dL_du (V×3; resized and zeroed when its shape differs).
  void backward(const TensorT<T>& dL_dv, TensorT<T>& dL_du) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double lambda_;
  int64_t num_vertices_;
};

using LargeSteps = LargeStepsT<float>;
using LargeStepsD = LargeStepsT<double>;

extern template class LargeStepsT<float>;
extern template class LargeStepsT<double>;

}  // namespace invgfx
