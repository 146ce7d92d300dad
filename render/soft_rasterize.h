// Soft rasterization in the manner of SoftRas (Liu et al. 2019, "Soft Rasterizer: A Differentiable
// Renderer for Image-based 3D Reasoning", eqs. 1–6), with a fused hand-written backward.
//
// Per pixel (NDC point f) and face j with screen vertices q_i = (x_i, y_i)/w_i:
//   D_j = sigmoid(δ_j · d_j² / σ)            d_j: distance from f to the triangle's boundary (NDC),
//                                            δ_j = +1 inside, −1 outside;
// faces farther than d² ≥ σ·ln(1/ε_d − 1) outside are skipped (D < ε_d), and of the rest the
// `max_faces` nearest in depth are kept (as PyTorch3D's top-K). With the screen barycentrics λ of f
// clamped to the triangle (λ̂ = max(λ, 0)/Σ max(λ, 0), PyTorch3D's clip_barycentric_coords), the face's
// NDC depth is z_j = Σ λ̂_i z_i/w_i (z/w is affine on screen for a plane), z̃_j = (1 − z_j)/2 ∈ [0, 1]
// (1 = near plane), and its colour c_j = Σ λ̂_i C_i (per-vertex attributes, any number of channels).
// Aggregation (softmax over depth, eq. 6) with the background term ε_b:
//   w_j = D_j·exp((z̃_j − z̃_max)/γ), w_b = exp((ε_b − z̃_max)/γ), I = (Σ w_j c_j + w_b·bg) / (Σ w_j + w_b),
// and the silhouette A = 1 − Π_j (1 − D_j) (eq. 5). z̃_max cancels, it only keeps exp() in range.
//
// Gradients reach every kept face of every pixel — covered or within σ reach — through D (the
// point–segment distance, by the envelope theorem ∂d²/∂a = −2(f − c)(1 − t), ∂d²/∂b = −2(f − c)t for
// the closest point c = a + t(b − a)), through z̃ and through c_j (both via λ̂), to clip positions
// (x, y, z, w) and to the per-vertex colours.
//
// Speed and determinism: faces are binned into 16×16 tiles (bounds grown by the cut-off radius) and
// tiles run in parallel in forward and backward. Within a tile the forward goes face by face, each
// evaluated on a whole tile row at once without branches (so across SIMD lanes), and the pixels it
// reaches take it into their K-nearest lists; faces arrive in face order, so ties resolve as in a
// per-pixel loop. The kept faces' evaluations (λ̂, D, the softmax factor, the closest edge) are stored
// for the backward, which therefore evaluates no face again. The backward accumulates into one record
// per (tile, face) bin entry — each owned by one tile — then sums each face's records in tile order
// and gathers per-vertex sums in corner order: bit-identical at any thread count, no atomic sums.
//
// Near and far planes: a face with a vertex outside −w ≤ z ≤ w (e.g. behind the camera, w ≤ 0) is
// clipped in clip space (Sutherland–Hodgman, render/clip.h) into a convex polygon of 3..5 vertices,
// each a linear combination of the face's vertices, and drawn as a fan of sub-triangles. A sub-
// triangle's colour at λ̂ is Σ_k μ_k C_k with μ = Bᵀλ̂ (B: its vertices' weights over the face's), so
// colours stay per source vertex; its screen-space gradients go to its clip-space vertices and from
// there, through the recorded cuts (including each cut parameter t's own dependence on the
// vertices), back to the face's vertices. Each sub-triangle is a primitive of its own in binning and
// in the top-K, with the source face's id in nearest_face().
#pragma once

#include "core/tensor.h"
#include "render/raster_topology.h"
#include "render/rasterize.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

namespace invgfx {

struct SoftRasterizeOptions {
  int width = 256;               // image width, px, 1..16384
  int height = 256;              // image height, px, 1..16384
  double sigma = 1e-5;           // σ, squared NDC distance, > 0 (SoftRas default 1e-5)
  double gamma = 1e-4;           // γ, depth softmax temperature in z̃ units, > 0 (SoftRas default 1e-4)
  double dist_eps = 1e-4;        // ε_d in (0, 0.5): faces with D < ε_d are skipped (cut-off ln(1/ε_d − 1)·σ)
  double background_eps = 1e-3;  // ε_b in [0, 1): the background's z̃ in the softmax (SoftRas eps)
  double background = 0.0;       // background colour, every channel
  int max_faces = 8;             // K, faces kept per pixel (nearest in depth), 1..32
  CullMode cull = CullMode::kNone;
  // Throws std::invalid_argument naming `what` and the field when out of range.
  void check(const char* what = "SoftRasterizeOptions") const;
};

template <class T>
class SoftRasterizerT {
 public:
  static constexpr int kTileSize = 16;

  // clip_pos V×4, faces F×3, colors V×C → out (C+1)×H×W: C aggregated colour channels, then A.
  void forward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& colors,
               const SoftRasterizeOptions& opt, TensorT<T>& out);

  // dL_dout (C+1)×H×W. Adds into *dL_dpos (V×4) and *dL_dcolors (V×C) when not null (each resized and
  // zeroed first if its shape differs). Must follow the forward with the same inputs.
  void backward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& colors,
                const SoftRasterizeOptions& opt, const TensorT<T>& out, const TensorT<T>& dL_dout, TensorT<T>* dL_dpos,
                TensorT<T>* dL_dcolors);

  // Non-differentiable extras of the last forward, for display: per pixel the nearest face whose
  // interior covers the pixel (−1 none) and its NDC depth z/w (0 where none).
  const std::vector<int32_t>& nearest_face() const { return nearest_face_; }
  const TensorT<T>& depth() const { return depth_; }
  // 3×H×W: that face's barycentric weights of its three vertices at the pixel (screen-space, as its
  // colour is interpolated; 0 where none), so that any vertex attribute can be shown smoothly.
  const TensorT<T>& nearest_weights() const { return nearest_weights_; }

 private:
  struct FaceSetup {
    T q[3][2];       // screen (NDC) vertices
    T zn[3];         // z/w per vertex
    T n[3][3];       // n_i(f) = n[i][0]·f_x + n[i][1]·f_y + n[i][2]; λ_i = n_i / area
    T inv_area;      // 1 / Σ n_i (twice the signed NDC area)
    T inv_len[3];    // 1 / length of edge i (opposite vertex i): |n_i|·inv_len_i is the distance to its line
    T inv_len2[3];   // 1 / squared length of edge i (0 for a zero-length edge: closest point parameter 0)
    T box[4];        // NDC bounds grown by the cut-off radius: x0, y0, x1, y1
    PixelRect rect;  // pixel bounds, empty when skipped
    int32_t face;    // source face
    int32_t clip;    // index into traces_ when the source face was clipped, −1 otherwise
    int8_t node[3];  // the trace nodes at this sub-triangle's vertices (clipped faces only)
  };
  // Screen-space setup of one triangle from its clip-space vertices (finite, w > 0 checked here);
  // leaves s.rect empty when the triangle is not drawn (degenerate, culled or off-screen).
  void setup_triangle(const T* const v[3], const SoftRasterizeOptions& opt, double reach, FaceSetup& s) const;
  // μ = Bᵀλ̂: the weights over the source face's vertices, for a fan triangle of a clipped face.
  void clipped_source_weights(const FaceSetup& s, const T lam_hat[3], T mu[3]) const;
  // One face on one tile row at once, lane l at NDC point (fx[l], fy): branch-free, so that it runs
  // across lanes. accept[l] is set for lanes in la..lb that the face reaches (d² < cut-off, or
  // inside) with z̃ above floor[l], the K-th kept face's there (−∞ while a pixel's list has room).
  // False when no lane is accepted. The closest edge's index is carried as T: an integer select
  // among float ones kept GCC from vectorising the loop (3× slower forward).
  using Mask = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  struct LaneSamples {
    T lam_hat[3][kTileSize], M[kTileSize], zt[kTileSize], d2[kTileSize], t[kTileSize], edge[kTileSize];
    Mask inside[kTileSize], accept[kTileSize];
  };
  bool sample_row(const FaceSetup& s, const T* fx, T fy, int la, int lb, const T* floor, T cutoff,
                  LaneSamples& out) const;
  // A face kept at a pixel, as the forward evaluated it; the backward reads it back instead of
  // evaluating the face again.
  struct Candidate {
    T lam_hat[3];
    T M;        // Σ max(λ_i, 0), so that λ_i = λ̂_i·M where λ_i > 0
    T zt, D;
    T e;        // exp((z̃ − z̃_max)/γ), the softmax factor (set when the pixel is aggregated)
    T t;        // closest point parameter on the closest edge
    int32_t entry;
    int8_t edge;  // closest edge (opposite vertex index), segment from (edge+1)%3 to (edge+2)%3
    bool inside;
  };
  // Per thread, one tile's lists during the forward: a pool of K + 1 candidates per pixel and their
  // order by z̃ (nearest first), so insertion moves bytes, not candidates; floor as in sample_row.
  struct TileCandidates {
    std::vector<Candidate> pool;
    std::vector<int8_t> ord, spare;
    std::vector<int> n;
    std::vector<T> floor;
    void resize(int K) {
      pool.resize(static_cast<size_t>(kTileSize * kTileSize * (K + 1)));
      ord.resize(static_cast<size_t>(kTileSize * kTileSize * K));
      spare.resize(kTileSize * kTileSize), n.resize(kTileSize * kTileSize), floor.resize(kTileSize * kTileSize);
    }
    void clear() {
      std::fill(spare.begin(), spare.end(), int8_t(0));
      std::fill(n.begin(), n.end(), 0);
      std::fill(floor.begin(), floor.end(), -std::numeric_limits<T>::infinity());
    }
  };

  std::vector<FaceSetup> setup_;                          // F faces, then the extra fan triangles of clipped ones
  std::vector<uint8_t> needs_clip_;                       // per face
  std::vector<int32_t> clip_faces_, clip_extra_start_;    // clipped faces; first extra primitive of each
  std::vector<ClipTraceT<T>> traces_;                     // per clipped face
  std::vector<int32_t> tile_start_, tile_faces_, fill_;
  std::vector<int32_t> face_entry_start_, face_entries_;  // primitive → bin entries, in tile order
  std::vector<TileCandidates> tiles_;                     // per thread, forward
  std::vector<Candidate> kept_;                           // the kept candidates, tile by tile
  std::vector<int64_t> tile_kept_;                        // per tile: where its candidates start in kept_
  std::vector<uint8_t> tile_again_;                       // per tile: found kept_ full, runs again
  std::vector<uint8_t> kept_count_;                       // per pixel: faces kept, 0..K
  std::vector<T> entry_grad_;                             // per bin entry: 9 screen + 3C colour grads
  std::vector<T> corner_pos_grad_, corner_color_grad_;
  std::vector<T> ndc_x_, ndc_y_;
  std::vector<int32_t> nearest_face_;
  TensorT<T> depth_, nearest_weights_;
  RasterTopology topology_;
};

using SoftRasterizer = SoftRasterizerT<float>;
using SoftRasterizerD = SoftRasterizerT<double>;

}  // namespace invgfx
