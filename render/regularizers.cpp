// Implementation of render/regularizers.h.
#include "render/regularizers.h"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace invgfx {

namespace {
template <class T>
using V3 = Eigen::Matrix<T, 3, 1>;
template <class T>
V3<T> row(const T* p, int64_t i) {
  return V3<T>(p[3 * i], p[3 * i + 1], p[3 * i + 2]);
}
}  // namespace

template <class T>
MeshRegularizerT<T>::MeshRegularizerT(const std::vector<int32_t>& faces, int64_t num_vertices)
    : faces_(faces), num_vertices_(num_vertices) {
  if (faces.size() % 3 != 0) throw std::invalid_argument("MeshRegularizer: face index count is not a multiple of 3");
  for (int32_t i : faces)
    if (i < 0 || i >= num_vertices)
      throw std::invalid_argument("MeshRegularizer: face index " + std::to_string(i) + " outside [0, " +
                                  std::to_string(num_vertices) + ")");
  const int64_t F = static_cast<int64_t>(faces.size() / 3), V = num_vertices;
  // Unique undirected edges → neighbour lists; edge → faces → face pairs.
  std::vector<std::vector<int32_t>> nb(static_cast<size_t>(V));
  std::map<std::pair<int32_t, int32_t>, std::vector<int32_t>> edge_faces;
  for (int64_t f = 0; f < F; ++f)
    for (int k = 0; k < 3; ++k) {
      const int32_t a = faces[static_cast<size_t>(3 * f + k)], b = faces[static_cast<size_t>(3 * f + (k + 1) % 3)];
      if (a == b) continue;
      nb[static_cast<size_t>(a)].push_back(b);
      nb[static_cast<size_t>(b)].push_back(a);
      edge_faces[{std::min(a, b), std::max(a, b)}].push_back(static_cast<int32_t>(f));
    }
  nbr_start_.assign(1, 0);
  for (auto& n : nb) {
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
    nbr_.insert(nbr_.end(), n.begin(), n.end());
    nbr_start_.push_back(static_cast<int32_t>(nbr_.size()));
  }
  num_edges_ = static_cast<int64_t>(edge_faces.size());
  for (const auto& [e, fs] : edge_faces)  // every pair of faces on an edge (two on a manifold edge)
    for (size_t i = 0; i < fs.size(); ++i)
      for (size_t j = i + 1; j < fs.size(); ++j) pairs_.insert(pairs_.end(), {fs[i], fs[j]});
  std::vector<std::vector<int32_t>> vc(static_cast<size_t>(V));
  for (int64_t c = 0; c < 3 * F; ++c) vc[static_cast<size_t>(faces[static_cast<size_t>(c)])].push_back(static_cast<int32_t>(c));
  vc_start_.assign(1, 0);
  for (const auto& l : vc) {
    vc_.insert(vc_.end(), l.begin(), l.end());
    vc_start_.push_back(static_cast<int32_t>(vc_.size()));
  }
}

template <class T>
void MeshRegularizerT<T>::check(const TensorT<T>& p, TensorT<T>* dL_dp, const char* what) const {
  if (p.rank() != 2 || p.dim(0) != num_vertices_ || p.dim(1) != 3)
    throw std::invalid_argument(std::string("MeshRegularizer::") + what + ": positions must be " +
                                std::to_string(num_vertices_) + "×3, got " + p.shape().str());
  if (dL_dp && dL_dp->shape() != p.shape())
    throw std::invalid_argument(std::string("MeshRegularizer::") + what + ": dL_dp must have the shape of positions");
}

template <class T>
T MeshRegularizerT<T>::laplacian(const TensorT<T>& p, TensorT<T>* dL_dp, T weight) const {
  check(p, dL_dp, "laplacian");
  const int64_t V = num_vertices_;
  if (V == 0) return T(0);
  const T* P = p.data();
  std::vector<T>& delta = delta_;
  delta.resize(static_cast<size_t>(3 * V));
#pragma omp parallel for schedule(static) if (V > 4096)
  for (int64_t i = 0; i < V; ++i) {
    const int32_t b = nbr_start_[static_cast<size_t>(i)], e = nbr_start_[static_cast<size_t>(i) + 1];
    V3<T> d = V3<T>::Zero();
    if (e > b) {
      V3<T> m = V3<T>::Zero();
      for (int32_t k = b; k < e; ++k) m += row(P, nbr_[static_cast<size_t>(k)]);
      d = row(P, i) - m / T(e - b);
    }
    for (int k = 0; k < 3; ++k) delta[static_cast<size_t>(3 * i + k)] = d(k);
  }
  T sum = 0;  // in vertex order, so the value does not depend on the thread count
  for (int64_t i = 0; i < V; ++i) sum += row(delta.data(), i).squaredNorm();
  if (dL_dp) {
    // dL/dp_k = (2w/V)·(δ_k − Σ_{i∈N(k)} δ_i/|N(i)|): N is symmetric, so a gather.
    const T s = T(2) * weight / T(V);
    T* G = dL_dp->data();
#pragma omp parallel for schedule(static) if (V > 4096)
    for (int64_t k = 0; k < V; ++k) {
      V3<T> g = row(delta.data(), k);
      for (int32_t j = nbr_start_[static_cast<size_t>(k)]; j < nbr_start_[static_cast<size_t>(k) + 1]; ++j) {
        const int32_t i = nbr_[static_cast<size_t>(j)];
        g -= row(delta.data(), i) / T(nbr_start_[static_cast<size_t>(i) + 1] - nbr_start_[static_cast<size_t>(i)]);
      }
      for (int c = 0; c < 3; ++c) G[3 * k + c] += s * g(c);
    }
  }
  return weight * sum / T(V);
}

template <class T>
T MeshRegularizerT<T>::edge_length(const TensorT<T>& p, TensorT<T>* dL_dp, T weight, T target) const {
  check(p, dL_dp, "edge_length");
  if (num_edges_ == 0) return T(0);
  const int64_t V = num_vertices_;
  const T* P = p.data();
  const T s = weight / T(num_edges_);
  term_.resize(static_cast<size_t>(V));
  // Each edge is visited from both ends; the value counts it from its lower end only.
#pragma omp parallel for schedule(static) if (V > 4096)
  for (int64_t k = 0; k < V; ++k) {
    V3<T> g = V3<T>::Zero();
    T sum = 0;
    for (int32_t j = nbr_start_[static_cast<size_t>(k)]; j < nbr_start_[static_cast<size_t>(k) + 1]; ++j) {
      const int32_t i = nbr_[static_cast<size_t>(j)];
      const V3<T> e = row(P, k) - row(P, i);
      const T len = e.norm();
      const T r = len - target;
      if (k < i) sum += r * r;
      // d(len − t)²/dp_k = 2(len − t)·e/len; with t = 0 that is 2e, also at len = 0.
      if (target == T(0)) g += T(2) * e;
      else if (len > T(0)) g += T(2) * r * e / len;
    }
    term_[static_cast<size_t>(k)] = sum;
    if (dL_dp)
      for (int c = 0; c < 3; ++c) (*dL_dp)[3 * k + c] += s * g(c);
  }
  T sum = 0;  // in vertex order: independent of the thread count
  for (T t : term_) sum += t;
  return s * sum;
}

template <class T>
T MeshRegularizerT<T>::normal_consistency(const TensorT<T>& p, TensorT<T>* dL_dp, T weight) {
  check(p, dL_dp, "normal_consistency");
  const int64_t F = static_cast<int64_t>(faces_.size() / 3), P_ = num_face_pairs();
  if (P_ == 0) return T(0);
  const T* P = p.data();
  face_n_.resize(static_cast<size_t>(3 * F));
  face_len_.resize(static_cast<size_t>(F));
  for (int64_t f = 0; f < F; ++f) {
    const int32_t* t = &faces_[static_cast<size_t>(3 * f)];
    const V3<T> c = (row(P, t[1]) - row(P, t[0])).cross(row(P, t[2]) - row(P, t[0]));
    const T len = c.norm();
    face_len_[static_cast<size_t>(f)] = len;
    const V3<T> n = len > T(0) ? V3<T>(c / len) : V3<T>::Zero();
    for (int k = 0; k < 3; ++k) face_n_[static_cast<size_t>(3 * f + k)] = n(k);
  }
  // dL/dn_f = −(w/P)·Σ_{g paired with f} n_g, accumulated serially in pair order (O(P), cheap).
  face_g_.assign(static_cast<size_t>(3 * F), T(0));
  T sum = 0;
  const T s = weight / T(P_);
  for (size_t q = 0; q < pairs_.size(); q += 2) {
    const int32_t f = pairs_[q], g = pairs_[q + 1];
    const V3<T> nf = row(face_n_.data(), f), ng = row(face_n_.data(), g);
    sum += T(1) - nf.dot(ng);
    for (int k = 0; k < 3; ++k) {
      face_g_[static_cast<size_t>(3 * f + k)] -= s * ng(k);
      face_g_[static_cast<size_t>(3 * g + k)] -= s * nf(k);
    }
  }
  if (dL_dp) {
    // Through n = c/|c| and c = (p1 − p0) × (p2 − p0), per corner, then gathered per vertex.
    corner_g_.resize(static_cast<size_t>(9 * F));
    for (int64_t f = 0; f < F; ++f) {
      const T len = face_len_[static_cast<size_t>(f)];
      V3<T> da = V3<T>::Zero(), db = V3<T>::Zero();
      if (len > T(0)) {
        const int32_t* t = &faces_[static_cast<size_t>(3 * f)];
        const V3<T> n = row(face_n_.data(), f), gn = row(face_g_.data(), f);
        const V3<T> gc = (gn - n * n.dot(gn)) / len;
        const V3<T> a = row(P, t[1]) - row(P, t[0]), b = row(P, t[2]) - row(P, t[0]);
        da = b.cross(gc);
        db = gc.cross(a);
      }
      const V3<T> d[3] = {-da - db, da, db};
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 3; ++k) corner_g_[static_cast<size_t>(9 * f + 3 * j + k)] = d[j](k);
    }
    for (int64_t v = 0; v < num_vertices_; ++v)
      for (int32_t i = vc_start_[static_cast<size_t>(v)]; i < vc_start_[static_cast<size_t>(v) + 1]; ++i)
        for (int k = 0; k < 3; ++k) (*dL_dp)[3 * v + k] += corner_g_[static_cast<size_t>(3 * vc_[static_cast<size_t>(i)] + k)];
  }
  return s * sum;
}

template <class T>
void MeshRegularizerT<T>::set_mirror(const TensorT<T>& ref, T tolerance) {
  check(ref, nullptr, "set_mirror");
  const int64_t V = num_vertices_;
  // Hash grid with cells of size `tolerance`; the mirror of i is searched in the 27 cells round it.
  const double cell = std::max(static_cast<double>(tolerance), 1e-12);
  auto key = [&](int64_t x, int64_t y, int64_t z) { return (x * 73856093) ^ (y * 19349663) ^ (z * 83492791); };
  std::unordered_multimap<int64_t, int32_t> grid;
  auto q = [&](T v) { return static_cast<int64_t>(std::floor(static_cast<double>(v) / cell)); };
  for (int64_t i = 0; i < V; ++i) grid.emplace(key(q(ref.at(i, 0)), q(ref.at(i, 1)), q(ref.at(i, 2))), static_cast<int32_t>(i));
  mirror_.assign(static_cast<size_t>(V), -1);
  for (int64_t i = 0; i < V; ++i) {
    const V3<T> m(-ref.at(i, 0), ref.at(i, 1), ref.at(i, 2));
    double best = static_cast<double>(tolerance);
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dz = -1; dz <= 1; ++dz) {
          auto [b, e] = grid.equal_range(key(q(m.x()) + dx, q(m.y()) + dy, q(m.z()) + dz));
          for (auto it = b; it != e; ++it) {
            const double d = (row(ref.data(), it->second) - m).norm();
            if (d <= best) best = d, mirror_[static_cast<size_t>(i)] = it->second;
          }
        }
    if (mirror_[static_cast<size_t>(i)] < 0) {
      mirror_.clear();
      throw std::invalid_argument("MeshRegularizer::set_mirror: vertex " + std::to_string(i) +
                                  " has no mirror image within the tolerance; the reference is not x-symmetric");
    }
  }
  for (int64_t i = 0; i < V; ++i)
    if (mirror_[static_cast<size_t>(mirror_[static_cast<size_t>(i)])] != i) {
      mirror_.clear();
      throw std::invalid_argument("MeshRegularizer::set_mirror: mirror pairing is not one-to-one at vertex " +
                                  std::to_string(i) + "; lower the tolerance");
    }
}

template <class T>
T MeshRegularizerT<T>::symmetry(const TensorT<T>& p, TensorT<T>* dL_dp, T weight) const {
  check(p, dL_dp, "symmetry");
  if (mirror_.empty()) throw std::logic_error("MeshRegularizer::symmetry: call set_mirror first");
  const int64_t V = num_vertices_;
  const T* P = p.data();
  auto d = [&](int64_t i) {
    V3<T> x = row(P, i);
    x.x() = -x.x();
    return V3<T>(x - row(P, mirror_[static_cast<size_t>(i)]));
  };
  const T s = weight / T(V);
  term_.resize(static_cast<size_t>(V));
  // dL/dp_k = (2w/V)·(M d_k − d_{m⁻¹(k)}); m is an involution on a symmetric reference, m⁻¹ = m.
#pragma omp parallel for schedule(static) if (V > 4096)
  for (int64_t k = 0; k < V; ++k) {
    V3<T> dk = d(k);
    term_[static_cast<size_t>(k)] = dk.squaredNorm();
    if (dL_dp) {
      V3<T> g = dk;
      g.x() = -g.x();
      g -= d(mirror_[static_cast<size_t>(k)]);
      for (int c = 0; c < 3; ++c) (*dL_dp)[3 * k + c] += T(2) * s * g(c);
    }
  }
  T sum = 0;  // in vertex order: independent of the thread count
  for (T t : term_) sum += t;
  return s * sum;
}

template class MeshRegularizerT<float>;
template class MeshRegularizerT<double>;

}  // namespace invgfx
