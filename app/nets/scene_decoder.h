// The heads of the reconstruction network: from the encoder's code (B×Z) to one SceneT per image.
// Each head's output is bounded so that a freshly initialised network (small last-layer weights)
// decodes a sensible scene: the template shape, mid-grey texture, soft frontal light, the default
// camera and a mid-grey background.
//   shape:      offsets o = max_offset·tanh(W₂W₁z + b₂), optionally made left/right symmetric
//               (o_i ← ½(o_i + M o_m(i)), M = diag(−1, 1, 1), m the mirror map of the template);
//               positions = template + o. W₁: Z → K shape modes, W₂: K → 3V, no activation
//               between: the bias b₂ holds the per-vertex mean offsets, and the code moves the shape
//               along K learnt deformation modes (a rank-K linear head, ≈ 8× fewer weights than a
//               full Z → 3V layer for the level-4 icosphere; the optimizer's cost follows).   group "shape"
//   texture:    a small decoder (linear → 4×4 grid → [upsample ×2 → conv3×3 → LeakyReLU]… to T/2 →
//               upsample ×2 → conv)
//               to 3×T×T, then sigmoid; or, with per_vertex_color, linear → V×3 sigmoid colours
//               into SceneT::colors (texture left empty).                               group "texture"
//   light:      SH: L00 = sh_base + sh_range·tanh(·), others sh_range·tanh(·);
//               ambient+directional: ambient, colour ∈ (0, 1) by sigmoid, direction unbounded
//               (normalised by the shader).                                             group "light"
//   camera:     azimuth = az0 + az_range·tanh, elevation = el0 + el_range·tanh,
//               distance = d0·exp(dist_range·tanh), roll = roll_range·tanh; or fixed at the
//               initial values (no head).                                               group "camera"
//   background: sigmoid, starting near background0.                                    group "background"
// The heads' weights carry their head's group, so freezing "camera" freezes the camera head in
// training and the camera parameters in refinement alike.
#pragma once

#include "render/scene.h"
#include "core/node.h"

#include <memory>
#include <vector>

namespace invgfx {

struct SceneDecoderOptions {
  int code_size = 256;              // Z, the encoder's output features
  int texture_size = 64;            // T, texels per side, power of two ≥ 8
  bool per_vertex_color = false;    // see above
  bool symmetric = true;            // left/right symmetric shape offsets
  int shape_modes = 64;             // K, deformation modes of the shape head, ≥ 1
  bool learn_shape = true;          // false: positions = template (no head; e.g. a known OBJ template)
  bool learn_texture = true;        // false: texture = initial_texture (no head)
  bool learn_camera = true;         // false: camera fixed at (az0, el0, d0, 0)
  double max_offset = 0.35;         // world units, bound of each offset coordinate
  LightModel light = LightModel::kSphericalHarmonics;
  double sh_base = 0.9, sh_range = 0.6;        // radiance of the SH L00 term and the bound of the rest
  double az0 = 0, az_range = 3.14159265358979;  // radians
  double el0 = 0.25, el_range = 1.0;           // radians
  double d0 = 3.0, dist_range = 0.7;           // world units; log-range
  double roll_range = 0.5;                     // radians
  double background0 = 0.5;                    // linear grey the background head starts from
  double last_layer_scale = 0.01;              // init scale of each head's last layer (≈ sensible start)
  uint64_t seed = 7;
};

template <class T>
class SceneDecoderT {
 public:
  // tmpl: the template mesh (its positions are the zero-offset shape; its texture, if any, is the
  // initial texture when learn_texture is false). Throws std::invalid_argument on bad options.
  SceneDecoderT(const Mesh& tmpl, const SceneDecoderOptions& options);
  ~SceneDecoderT();

  const SceneDecoderOptions& options() const;

  // code: B×Z → scenes[0..B) (resized to B; tensors reused across calls).
  void forward(const TensorT<T>& code, std::vector<SceneT<T>>& scenes);
  // ADDS parameter gradients and dL/dcode (B×Z, resized and zeroed if its shape differs; may be null).
  void backward(const TensorT<T>& code, const std::vector<SceneT<T>>& scenes,
                const std::vector<SceneT<T>>& dL_dscenes, TensorT<T>* dL_dcode);

  // Every head's parameters, named "<head>.<layer>.weight", with the head's group.
  void visit_parameters(const ParameterVisitor<T>& visit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

using SceneDecoder = SceneDecoderT<float>;
using SceneDecoderD = SceneDecoderT<double>;

extern template class SceneDecoderT<float>;
extern template class SceneDecoderT<double>;

}  // namespace invgfx
