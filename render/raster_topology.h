// Mesh connectivity shared by the rasterizer passes: vertex → face-corner lists (for deterministic
// gathers of per-corner gradients into per-vertex gradients) and edge neighbours (for the silhouette
// test of the antialiasing pass). Rebuilt only when the face list changes.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace invgfx {

// A face corner is 3·f + k: corner k of face f. "Edge k" of a face is the edge opposite corner k,
// i.e. from vertex (k+1)%3 to vertex (k+2)%3.
class RasterTopology {
 public:
  static constexpr int32_t kBoundary = -1;     // edge used by one face only
  static constexpr int32_t kNonManifold = -2;  // edge used by three or more faces

  // Rebuilds when `faces` or `num_vertices` differ from the cached ones (an O(F) comparison);
  // throws std::invalid_argument naming `what` on a bad index. Returns true if it rebuilt.
  bool update(const std::vector<int32_t>& faces, int64_t num_vertices, const char* what = "faces");

  int64_t num_vertices() const { return num_vertices_; }
  int64_t num_faces() const { return static_cast<int64_t>(faces_.size() / 3); }

  // Across edge k of face f: the neighbouring face's corner opposite the shared edge (3g + j), or
  // kBoundary / kNonManifold.
  int32_t neighbor_corner(int64_t f, int k) const { return edge_neighbor_[static_cast<size_t>(3 * f + k)]; }

  // out[v·K + c] += Σ over the corners of v (ascending corner order) of corner_values[corner·K + c].
  // The summation order is fixed, so the result is bit-identical at any thread count.
  template <class T>
  void gather_corners(const T* corner_values, int K, T* out) const;

 private:
  std::vector<int32_t> faces_;
  int64_t num_vertices_ = -1;
  std::vector<int32_t> vertex_corner_start_;  // V + 1
  std::vector<int32_t> vertex_corners_;       // 3F, grouped by vertex, ascending
  std::vector<int32_t> edge_neighbor_;        // 3F
};

// Face list in which vertices at bit-identical positions share one index (the first of them), for the
// antialiasing pass: meshes with per-vertex UVs duplicate vertices along texture seams, and without
// welding every seam edge would look like a silhouette.
template <class T>
std::vector<int32_t> weld_faces_by_position(const TensorT<T>& positions, const std::vector<int32_t>& faces);

// Throws std::invalid_argument unless `faces` is a flat F×3 list with indices in [0, num_vertices).
void check_faces(const std::vector<int32_t>& faces, int64_t num_vertices, const char* what);

}  // namespace invgfx
