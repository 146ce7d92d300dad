// Implementation of render/vertex_normals.h.
#include "render/vertex_normals.h"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <stdexcept>

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
void VertexNormalsT<T>::forward(const TensorT<T>& positions, TensorT<T>& normals) {
  if (positions.rank() != 2 || positions.dim(1) != 3)
    throw std::invalid_argument("VertexNormals: positions must be V×3, got " + positions.shape().str());
  const int64_t V = positions.dim(0), F = static_cast<int64_t>(faces_.size() / 3);
  topology_.update(faces_, V, "VertexNormals faces");
  face_cross_.resize({F, 3});
  corner_.resize(static_cast<size_t>(F * 9));
  const T* P = positions.data();
#pragma omp parallel for schedule(static) if (F > 2048)
  for (int64_t f = 0; f < F; ++f) {
    const int32_t* t = &faces_[static_cast<size_t>(3 * f)];
    const V3<T> p0 = row(P, t[0]);
    const V3<T> c = (row(P, t[1]) - p0).cross(row(P, t[2]) - p0);
    for (int k = 0; k < 3; ++k) {
      face_cross_[3 * f + k] = c(k);
      for (int j = 0; j < 3; ++j) corner_[static_cast<size_t>(9 * f + 3 * j + k)] = c(k);
    }
  }
  vertex_sum_.resize({V, 3});
  vertex_sum_.zero();
  topology_.gather_corners(corner_.data(), 3, vertex_sum_.data());
  normals.resize({V, 3});
  const T* M = vertex_sum_.data();
  T* N = normals.data();
#pragma omp parallel for schedule(static) if (V > 4096)
  for (int64_t v = 0; v < V; ++v) {
    const V3<T> m = row(M, v);
    const T len = m.norm();
    const V3<T> n = len > T(0) ? V3<T>(m / len) : V3<T>::Zero();
    for (int k = 0; k < 3; ++k) N[3 * v + k] = n(k);
  }
}

template <class T>
void VertexNormalsT<T>::backward(const TensorT<T>& positions, const TensorT<T>& normals,
                                 const TensorT<T>& dL_dnormals, TensorT<T>* dL_dpositions) {
  if (!dL_dpositions) return;
  const int64_t V = positions.dim(0), F = static_cast<int64_t>(faces_.size() / 3);
  if (dL_dnormals.shape() != normals.shape() || vertex_sum_.dim(0) != V)
    throw std::invalid_argument("VertexNormals::backward: call forward first with the same positions; dL_dnormals " +
                                dL_dnormals.shape().str());
  const T* P = positions.data();
  const T* M = vertex_sum_.data();
  const T* N = normals.data();
  const T* G = dL_dnormals.data();
  std::vector<T>& dc = corner_;  // per corner: dL/dm of that corner's vertex, then the position grads
#pragma omp parallel for schedule(static) if (F > 2048)
  for (int64_t f = 0; f < F; ++f) {
    const int32_t* t = &faces_[static_cast<size_t>(3 * f)];
    V3<T> g = V3<T>::Zero();  // dL/dc = Σ over the three corners of dL/dm at that vertex
    for (int j = 0; j < 3; ++j) {
      const V3<T> m = row(M, t[j]);
      const T len = m.norm();
      if (len > T(0)) {
        const V3<T> n = row(N, t[j]), gn = row(G, t[j]);
        g += (gn - n * n.dot(gn)) / len;
      }
    }
    const V3<T> p0 = row(P, t[0]);
    const V3<T> a = row(P, t[1]) - p0, b = row(P, t[2]) - p0;
    const V3<T> da = b.cross(g), db = g.cross(a);
    const V3<T> d[3] = {-da - db, da, db};
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) dc[static_cast<size_t>(9 * f + 3 * j + k)] = d[j](k);
  }
  topology_.gather_corners(dc.data(), 3, dL_dpositions->data());
}

template class VertexNormalsT<float>;
template class VertexNormalsT<double>;

}  // namespace invgfx
