// Implementation of render/raster_topology.h.
#include "render/raster_topology.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace invgfx {

void check_faces(const std::vector<int32_t>& faces, int64_t num_vertices, const char* what) {
  if (faces.size() % 3 != 0)
    throw std::invalid_argument(std::string(what) + ": face list length " + std::to_string(faces.size()) +
                                " is not a multiple of 3");
  for (size_t i = 0; i < faces.size(); ++i)
    if (faces[i] < 0 || faces[i] >= num_vertices)
      throw std::invalid_argument(std::string(what) + ": face " + std::to_string(i / 3) + " has vertex index " +
                                  std::to_string(faces[i]) + " outside [0, " + std::to_string(num_vertices) + ")");
}

bool RasterTopology::update(const std::vector<int32_t>& faces, int64_t num_vertices, const char* what) {
  if (num_vertices == num_vertices_ && faces == faces_) return false;
  check_faces(faces, num_vertices, what);
  faces_ = faces;
  num_vertices_ = num_vertices;
  const size_t nc = faces.size();

  // Vertex → corners by counting sort; corners of one vertex come out in ascending order.
  vertex_corner_start_.assign(static_cast<size_t>(num_vertices) + 1, 0);
  for (size_t c = 0; c < nc; ++c) ++vertex_corner_start_[static_cast<size_t>(faces[c]) + 1];
  for (size_t v = 0; v < static_cast<size_t>(num_vertices); ++v)
    vertex_corner_start_[v + 1] += vertex_corner_start_[v];
  vertex_corners_.resize(nc);
  std::vector<int32_t> fill(vertex_corner_start_.begin(), vertex_corner_start_.end() - 1);
  for (size_t c = 0; c < nc; ++c) vertex_corners_[static_cast<size_t>(fill[static_cast<size_t>(faces[c])]++)] =
      static_cast<int32_t>(c);

  // Edge neighbours: sort (undirected edge, corner) records so faces sharing an edge are adjacent.
  struct EdgeRec {
    int32_t a, b, corner;
  };
  std::vector<EdgeRec> edges(nc);
  for (size_t c = 0; c < nc; ++c) {
    const size_t f = c / 3, k = c % 3;
    const int32_t v0 = faces[3 * f + (k + 1) % 3], v1 = faces[3 * f + (k + 2) % 3];
    edges[c] = {std::min(v0, v1), std::max(v0, v1), static_cast<int32_t>(c)};
  }
  std::sort(edges.begin(), edges.end(), [](const EdgeRec& x, const EdgeRec& y) {
    return x.a != y.a ? x.a < y.a : x.b != y.b ? x.b < y.b : x.corner < y.corner;
  });
  edge_neighbor_.assign(nc, kBoundary);
  for (size_t i = 0; i < nc;) {
    size_t j = i;
    while (j < nc && edges[j].a == edges[i].a && edges[j].b == edges[i].b) ++j;
    if (j - i == 2) {
      edge_neighbor_[static_cast<size_t>(edges[i].corner)] = edges[i + 1].corner;
      edge_neighbor_[static_cast<size_t>(edges[i + 1].corner)] = edges[i].corner;
    } else if (j - i > 2) {
      for (size_t k = i; k < j; ++k) edge_neighbor_[static_cast<size_t>(edges[k].corner)] = kNonManifold;
    }
    i = j;
  }
  return true;
}

template <class T>
void RasterTopology::gather_corners(const T* corner_values, int K, T* out) const {
  const int64_t V = num_vertices_;
#pragma omp parallel for schedule(static) if (V * K > 4096)
  for (int64_t v = 0; v < V; ++v) {
    const int32_t b = vertex_corner_start_[static_cast<size_t>(v)], e = vertex_corner_start_[static_cast<size_t>(v) + 1];
    for (int c = 0; c < K; ++c) {
      T s = T(0);
      for (int32_t i = b; i < e; ++i) s += corner_values[static_cast<int64_t>(vertex_corners_[static_cast<size_t>(i)]) * K + c];
      out[v * K + c] += s;
    }
  }
}

template <class T>
std::vector<int32_t> weld_faces_by_position(const TensorT<T>& positions, const std::vector<int32_t>& faces) {
  if (positions.rank() != 2 || positions.dim(1) < 3)
    throw std::invalid_argument("weld_faces_by_position: positions must be V×3 (or V×4), got " +
                                positions.shape().str());
  const int64_t V = positions.dim(0), D = positions.dim(1);
  check_faces(faces, V, "weld_faces_by_position: faces");
  std::vector<int32_t> order(static_cast<size_t>(V));
  for (int64_t i = 0; i < V; ++i) order[static_cast<size_t>(i)] = static_cast<int32_t>(i);
  auto key = [&](int32_t i) {
    return std::array<T, 3>{positions[i * D], positions[i * D + 1], positions[i * D + 2]};
  };
  std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) { return key(x) < key(y); });
  std::vector<int32_t> rep(static_cast<size_t>(V));
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    int32_t first = order[i];
    while (j < order.size() && key(order[j]) == key(order[i])) first = std::min(first, order[j++]);
    for (size_t k = i; k < j; ++k) rep[static_cast<size_t>(order[k])] = first;
    i = j;
  }
  std::vector<int32_t> out(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) out[i] = rep[static_cast<size_t>(faces[i])];
  return out;
}

template void RasterTopology::gather_corners<float>(const float*, int, float*) const;
template void RasterTopology::gather_corners<double>(const double*, int, double*) const;
template std::vector<int32_t> weld_faces_by_position<float>(const Tensor&, const std::vector<int32_t>&);
template std::vector<int32_t> weld_faces_by_position<double>(const TensorD&, const std::vector<int32_t>&);

}  // namespace invgfx
