// Analytic antialiasing of silhouette edges, the visibility-gradient pass of nvdiffrast (Laine et al.
// 2020, "Modular Primitives for High-Performance Differentiable Rendering", §3.4), implemented from the
// paper.
//
// For each horizontally or vertically neighbouring pixel pair showing different faces, the face T that
// is nearer (or the only one) is examined: if one of T's edges crosses the segment between the two
// pixel centres, at t ∈ [0, 1] measured from T's pixel, and that edge is a silhouette (no neighbour
// face, or the neighbour folds to the same side of the edge on screen — a test on the sign of
// det[P_a; P_b; P_opposite] in homogeneous (x, y, w), so no division), the pair is blended as if each
// pixel were a box filter cut by the edge: with α = ½ − t,
//     α > 0:  C_T ← C_T + α (C_other − C_T)      (the edge lies inside T's pixel)
//     α ≤ 0:  C_other ← C_other − α (C_T − C_other)  (the edge lies inside the other pixel).
// Horizontal pairs take only edges steeper than 45°, vertical pairs the others, so each edge is
// counted once. When the edge T's pixel exits through is interior (a sub-pixel sliver face lies between
// the pixel centres, typical at the rim of a finely tessellated curved surface), the search walks on
// through the neighbouring faces (up to 4) to the silhouette edge the segment actually crosses — a
// small extension of the paper's test, which would leave such outlines unblended. This works against
// the background and against other surfaces alike. All blends read
// the input colours, so the pass is linear in the colours for fixed α.
//
// Gradients reach both colours and, through t = crossing(X_a, Y_a, X_b, Y_b) in pixel units and the
// projection X = (x/w + 1)·W/2 − ½, Y = (1 − y/w)·H/2 − ½, the clip positions of the edge's two
// vertices.
//
// Near/far clipping: for a face with vertices past the near or the far plane (each past one of them;
// the hard rasterizer clips such faces exactly), the visible outline is made of the visible parts of
// its edges — between vertices and cut points c = p_in + t (p_out − p_in), t = d_in/(d_in − d_out)
// with d = z + w (near) or w − z (far) for the plane p_out lies past — and of each plane's cut line
// between its two cut points, which is always a silhouette. A face that reaches from before the near
// plane to beyond the far one (a floor running to the horizon) has up to five such segments. They are
// blended like any edge, and their gradients reach both vertices of each cut edge, including through
// t. Faces with a vertex past both planes at once are not blended.
//
// Topology: face ids index `faces`; the silhouette test needs faces that share an edge to share vertex
// indices. Meshes with per-vertex UVs duplicate seam vertices: pass weld_faces_by_position(...) of them
// (render/raster_topology.h), or every seam edge becomes a silhouette.
//
// Determinism and speed: forward and colour backward copy (add) the image in parallel, then the pixels
// the pairs touch — the outline only, a small set — gather their (at most four) pairs in a fixed order,
// each pixel once, on one thread; position gradients are computed per pair in parallel and summed
// into vertices in pair order (row-major) on one thread.
#pragma once

#include "core/tensor.h"
#include "render/raster_topology.h"
#include "render/rasterize.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace invgfx {

template <class T>
class AntialiaserT {
 public:
  // color: C×H×W (as from InterpolatorT), clip_pos: V×4 as rasterized, faces as rasterized (welded).
  // out: C×H×W.
  void forward(const TensorT<T>& color, const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
               const RasterOutputT<T>& r, TensorT<T>& out);

  // Adds into *dL_dcolor (C×H×W) and *dL_dpos (V×4) when not null; each is resized and zeroed first
  // if its shape differs. Must follow the forward with the same inputs.
  void backward(const TensorT<T>& color, const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
                const RasterOutputT<T>& r, const TensorT<T>& dL_dout, TensorT<T>* dL_dcolor, TensorT<T>* dL_dpos);

  // Number of blended pixel pairs in the last forward (for tests and statistics).
  int64_t num_pairs() const;

 private:
  struct Pair {
    int32_t t_pixel, o_pixel;  // pixel of the nearer face T and the other pixel
    int32_t va, vb;            // the silhouette segment's endpoints: vertices inside the near/far planes,
    int32_t va_out, vb_out;    // or cut points of edge va → va_out (vb → vb_out) with a plane; −1: none
    T alpha;                   // ½ − t
    T s;                       // crossing parameter along the edge, a → b
    bool horizontal;
  };
  static int32_t modified_pixel(const Pair& pr) { return pr.alpha > T(0) ? pr.t_pixel : pr.o_pixel; }
  // Slots of the pairs touching pixel p, in the fixed order (own right, own down, left's right,
  // up's down); −1 for none.
  void touching_pairs(int32_t p, int W, int32_t out[4]) const;
  bool find_pair(const T* pos, const std::vector<int32_t>& faces, const RasterOutputT<T>& r, int32_t p,
                 int32_t q, bool horizontal, Pair& out) const;

  std::unique_ptr<Pair[]> pairs_;    // row y holds its pairs in slots [2·W·y, 2·W·y + row_count_[y])
  int64_t pairs_capacity_ = 0;
  std::vector<int32_t> row_count_, row_offset_;
  std::vector<int32_t> pair_at_;     // 2 per pixel: slot of its (right, down) pair, −1 for none
  static constexpr int kPairGrad = 16;
  std::vector<T> pair_grad_;         // 16 per pair (compact, row order): dL/d(x, y, z, w) of va, va_out, vb, vb_out
  RasterTopology topology_;
};

using Antialiaser = AntialiaserT<float>;
using AntialiaserD = AntialiaserT<double>;

}  // namespace invgfx
