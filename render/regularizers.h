// Mesh regularizers, each a scalar loss of the vertex positions with its gradient. Every function
// returns weight·L and ADDS weight·dL/dp into *dL_dp (V×3) when it is not null. All gradients are
// gathered per vertex over fixed neighbour lists, so they are bit-identical at any thread count.
//
//   laplacian:           L = (1/V) Σ_i |p_i − mean_{j∈N(i)} p_j|²      (uniform weights; Sorkine 2006)
//   edge_length:         L = (1/E) Σ_(i,j) (|p_i − p_j| − target)²     (target 0 → mean squared length)
//   normal_consistency:  L = (1/P) Σ_(f,g) (1 − n_f·n_g) over the P pairs of faces sharing an edge
//   symmetry:            L = (1/V) Σ_i |M p_i − p_m(i)|², M = diag(−1, 1, 1), m(i) the mirror vertex
//                        of i found once on a symmetric reference (the template).
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace invgfx {

template <class T>
class MeshRegularizerT {
 public:
  // Builds the neighbour lists once; throws std::invalid_argument on a bad face index.
  MeshRegularizerT(const std::vector<int32_t>& faces, int64_t num_vertices);

  T laplacian(const TensorT<T>& p, TensorT<T>* dL_dp, T weight = T(1)) const;
  T edge_length(const TensorT<T>& p, TensorT<T>* dL_dp, T weight = T(1), T target = T(0)) const;
  T normal_consistency(const TensorT<T>& p, TensorT<T>* dL_dp, T weight = T(1));
  // Needs set_mirror first.
  T symmetry(const TensorT<T>& p, TensorT<T>* dL_dp, T weight = T(1)) const;

  // Pairs every vertex of `reference` (V×3, symmetric under x → −x) with the vertex nearest its
  // mirror image; throws if some vertex has none within `tolerance` (world units).
  void set_mirror(const TensorT<T>& reference, T tolerance = T(1e-5));
  const std::vector<int32_t>& mirror() const { return mirror_; }

  int64_t num_edges() const { return num_edges_; }
  int64_t num_face_pairs() const { return static_cast<int64_t>(pairs_.size() / 2); }

 private:
  void check(const TensorT<T>& p, TensorT<T>* dL_dp, const char* what) const;
  std::vector<int32_t> faces_;
  int64_t num_vertices_;
  int64_t num_edges_ = 0;
  std::vector<int32_t> nbr_start_, nbr_;             // unique vertex neighbours, CSR, ascending
  std::vector<int32_t> pairs_;                       // face pairs sharing an edge (f < g), flat
  std::vector<int32_t> vc_start_, vc_;               // vertex → corners 3f + k, CSR, ascending
  std::vector<int32_t> mirror_;
  mutable std::vector<T> delta_, term_;              // scratch, reused
  std::vector<T> face_n_, face_len_, face_g_, corner_g_;
};

using MeshRegularizer = MeshRegularizerT<float>;
using MeshRegularizerD = MeshRegularizerT<double>;

extern template class MeshRegularizerT<float>;
extern template class MeshRegularizerT<double>;

}  // namespace invgfx
