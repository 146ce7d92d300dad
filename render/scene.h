// The scene the loop recovers for one photo, as plain tensors: what the decoder heads output, what
// per-photo refinement optimises directly, what the renderer draws and what export writes. A SceneT
// is also the type of its own gradient (same shapes), so heads, renderer and optimiser share one
// layout. Its fields are listed once (SceneField, visit_fields): everything that goes over all of
// them (zeroing, gradients, refinement parameters, sessions) goes through that list.
#pragma once

#include "core/tensor.h"
#include "render/mesh.h"

#include <string>

namespace invgfx {

enum class LightModel {
  kSphericalHarmonics,   // 27 values: 3 channels × 9 SH radiance coefficients (shading.h order)
  kAmbientDirectional,   // 9 values: ambient RGB, direction towards the light (xyz), directional RGB
};
const char* to_string(LightModel m);
LightModel light_model_from_string(const std::string& s);  // "sh" | "ambient_directional"; throws
inline int light_size(LightModel m) { return m == LightModel::kSphericalHarmonics ? 27 : 9; }

// The pinhole layout of SceneT::camera (render/camera.h conventions).
inline constexpr int kPinholeCameraSize = 10;

// The fields of a scene, in the order every list of them follows.
enum class SceneField { kPositions, kTexture, kColors, kLight, kCamera, kBackground };
inline constexpr int kNumSceneFields = 6;
const char* scene_field_name(SceneField f);   // "positions", "texture", …
const char* scene_field_group(SceneField f);  // its parameter group: shape, texture, light, camera, background

template <class T>
struct SceneT {
  TensorT<T> positions;   // V×3 world units: the template's vertices plus the decoded offsets
  TensorT<T> texture;     // 3×Ht×Wt linear albedo in [0, 1] (texel layout of render/texture.h)
  TensorT<T> colors;      // V×3 linear albedo per vertex; when not empty it replaces the texture
  TensorT<T> light;       // light_size(model) values, layout above
  TensorT<T> camera;      // 4: azimuth rad, elevation rad, distance (world units, > 0), roll rad;
                          // an orbit around the origin as render/camera.h defines it; or
                          // kPinholeCameraSize (10): a known camera of a multi-view dataset,
                          // axis-angle rotation (3, rad) and translation (3, world units) of
                          // cam_from_world, fx, fy, cx, cy (px of the rendered image, OpenCV)
  TensorT<T> background;  // 3: linear RGB in [0, 1]

  TensorT<T>& field(SceneField f);
  const TensorT<T>& field(SceneField f) const { return const_cast<SceneT*>(this)->field(f); }
  // f(SceneField, tensor) for every field, in order.
  template <class F>
  void visit_fields(F&& f) {
    for (int i = 0; i < kNumSceneFields; ++i) f(static_cast<SceneField>(i), field(static_cast<SceneField>(i)));
  }
  template <class F>
  void visit_fields(F&& f) const {
    for (int i = 0; i < kNumSceneFields; ++i) f(static_cast<SceneField>(i), field(static_cast<SceneField>(i)));
  }

  // Same shapes as `like`, all zero (for gradients).
  static SceneT zeros_like(const SceneT& like);
  // Resizes every field to `like`'s shape (an absent field stays absent) and zeroes it; no
  // allocation once the shapes are stable.
  void zeros_like_into(const SceneT& like);
  void zero();
  // Every tensor finite.
  bool finite() const;
  // Projects one field's values onto what the renderer draws sensibly: albedo (texture, colours) and
  // background in [0, 1]; the camera's elevation within ±1.5 rad (short of the poles, where the
  // orbit's up vector degenerates) and its distance ≥ 0.1 world units (in front of the near plane);
  // a pinhole camera's focal lengths ≥ 1 px.
  static void clamp_field(SceneField f, TensorT<T>& values);
};

using Scene = SceneT<float>;
using SceneD = SceneT<double>;

// The template the shapes deform: a mesh with a single UV layout (mesh.uvs with mesh.uv_faces, as
// make_icosphere and load_obj give) and, when loaded from OBJ, its texture.
// Builds the icosphere of `level` (radius `radius`), or loads `obj_path` when it is not empty (its
// texture becomes the initial albedo). Throws std::runtime_error naming the file on a bad OBJ.
Mesh make_scene_template(int icosphere_level, float radius = 1.f, const std::string& obj_path = "");

}  // namespace invgfx
