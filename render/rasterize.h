// Hard rasterization with a depth test, in the manner of nvdiffrast's rasterize op (Laine et al. 2020,
// "Modular Primitives for High-Performance Differentiable Rendering", §3.1), on the CPU.
//
// Input: clip-space positions (V×4: x y z w, OpenGL convention) and faces (flat F×3). Every pixel is
// point-sampled at its centre (pixel (x, y) at NDC ((2x+1)/W − 1, 1 − (2y+1)/H), row 0 at the top).
// For the pixel's NDC point f = (f_x, f_y, 1) and the homogeneous vertices P_i = (x_i, y_i, w_i), the
// edge functions a_0 = (P_1 × P_2)·f, a_1 = (P_2 × P_0)·f, a_2 = (P_0 × P_1)·f are affine in f and
// (u, v) = (a_0, a_1)/Σa are the perspective-correct barycentrics, with no division by w (2-D
// homogeneous rasterization, Olano & Greer 1997). With D = det[P_0; P_1; P_2] (= Σ a_i w_i), the hit
// point has w = D/Σa and NDC depth z/w = Σ a_i z_i / D, and the triangle faces the camera (counter-
// clockwise on screen) when D > 0. A pixel is covered when every a_i·sgn D ≥ 0, Σa·sgn D > 0 and, for
// triangles that reach past the near or far plane, Σ a_i (w_i ± z_i)·sgn D ≥ 0: that is exact near-
// plane clipping without splitting the triangle, and the covered pixels keep the original triangle's
// barycentrics, so gradients need no bookkeeping for clipped pieces (render/clip.h gives the bounds).
//
// Backward: from dL/d(u, v) per pixel to the clip positions (x, y, w) of the covered triangle through
// the closed form above; z/w and the triangle id get no gradient (they are piecewise constant in the
// sense of coverage, whose gradients come from render/antialias.h).
//
// Speed and determinism: faces are set up in parallel, binned into 16×16 tiles in face order, and the
// tiles rasterized in parallel (ties in depth go to the lower face id, independent of scheduling).
// The backward accumulates each face's gradient over its pixel list (built by the forward, in a fixed
// order) and gathers per-vertex sums over a fixed corner order: bit-identical at any thread count.
// All buffers live in the rasterizer object and are reused, so steady state does not allocate.
#pragma once

#include "core/tensor.h"
#include "render/clip.h"
#include "render/raster_topology.h"

#include <cstdint>
#include <vector>

namespace invgfx {

enum class CullMode {
  kNone,   // draw both sides (default: meshes may be open, and SoftRas/PyTorch3D default to it)
  kBack,   // skip triangles that are clockwise on screen
  kFront,  // skip triangles that are counter-clockwise on screen
};

struct RasterizeOptions {
  int width = 256;                // image width, px, 1..16384
  int height = 256;               // image height, px, 1..16384
  CullMode cull = CullMode::kNone;  // which sides to drop
  // Throws std::invalid_argument naming `what` when a field is out of range.
  void check(const char* what = "RasterizeOptions") const;
};

template <class T>
struct RasterOutputT {
  int width = 0, height = 0;
  int64_t num_faces = 0;
  // 4×H×W: u, v (barycentric weights of the face's vertices 0 and 1; vertex 2 gets 1 − u − v),
  // NDC depth z/w in [−1, 1], face id + 1 (0 = background). All zero on the background.
  TensorT<T> rast;
  std::vector<int32_t> face;              // H×W face index, −1 = background
  std::vector<int32_t> face_pixel_start;  // F + 1: pixels of face f are face_pixels[start[f] .. start[f+1])
  std::vector<int32_t> face_pixels;       // covered pixel indices y·W + x, grouped by face (tile order,
                                          // row-major within a 16×16 tile)

  int32_t face_at(int x, int y) const { return face[static_cast<size_t>(y) * width + x]; }
  int64_t covered_pixels() const { return static_cast<int64_t>(face_pixels.size()); }
};

using RasterOutput = RasterOutputT<float>;
using RasterOutputD = RasterOutputT<double>;

template <class T>
class RasterizerT {
 public:
  static constexpr int kTileSize = 16;  // px; a 16×16 tile of depths and ids stays in L1

  // Throws std::invalid_argument when clip_pos is not V×4, a face index is out of range, or the
  // options are out of range.
  void forward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const RasterizeOptions& opt,
               RasterOutputT<T>& out);

  // dL_drast: C×H×W with C ≥ 2 (channels 0 and 1 are dL/du and dL/dv; others are ignored).
  // Adds dL/d(clip_pos) into dL_dpos (V×4; resized and zeroed first if its shape differs).
  void backward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const RasterOutputT<T>& r,
                const TensorT<T>& dL_drast, TensorT<T>& dL_dpos);

 private:
  struct FaceSetup {
    T edge[3][3];    // sgn D · a_i = edge[i][0]·f_x + edge[i][1]·f_y + edge[i][2]
    T depth[3];      // sgn D · Σ a_i z_i, affine in f the same way; z/w = depth(f) / |D|
    T clip[2][3];    // sgn D · Σ a_i (w_i + z_i) (near) and (w_i − z_i) (far), used when `clipped`
    T inv_abs_det;   // 1/|D|
    PixelRect rect;  // conservative pixel bounds, empty when the face is skipped
    bool clipped;    // some vertex lies outside the near or far plane
  };
  void setup_face(const T* pos, const int32_t* f, const RasterizeOptions& opt, FaceSetup& s) const;

  std::vector<FaceSetup> setup_;
  std::vector<int32_t> tile_start_, tile_faces_, tile_fill_;
  std::vector<int32_t> win_entry_;    // H×W: bin entry of the visible face, −1 background
  std::vector<int32_t> entry_count_;  // per bin entry: its pixel count, then its write offset
  std::vector<T> ndc_x_, ndc_y_;
  std::vector<T> corner_grad_;  // F×3×4 per-corner dL/d(x, y, z, w)
  RasterTopology topology_;
};

using Rasterizer = RasterizerT<float>;
using RasterizerD = RasterizerT<double>;

// Checks that `pos` is a V×4 clip-space tensor; throws std::invalid_argument naming `what` otherwise.
template <class T>
void check_clip_positions(const TensorT<T>& pos, const char* what);

}  // namespace invgfx
