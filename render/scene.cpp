// Implementation of render/scene.h.
#include "render/scene.h"

#include "core/parameter.h"
#include "render/mesh_templates.h"
#include "render/obj_loader.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace invgfx {

const char* to_string(LightModel m) {
  return m == LightModel::kSphericalHarmonics ? "sh" : "ambient_directional";
}

LightModel light_model_from_string(const std::string& s) {
  if (s == "sh") return LightModel::kSphericalHarmonics;
  if (s == "ambient_directional") return LightModel::kAmbientDirectional;
  throw std::invalid_argument("light model \"" + s + "\" is not one of: sh, ambient_directional");
}

const char* scene_field_name(SceneField f) {
  static const char* const names[kNumSceneFields] = {"positions", "texture", "colors", "light", "camera", "background"};
  return names[static_cast<int>(f)];
}

const char* scene_field_group(SceneField f) {
  static const char* const groups[kNumSceneFields] = {group::kShape, group::kTexture, group::kTexture,
                                                      group::kLight, group::kCamera,  group::kBackground};
  return groups[static_cast<int>(f)];
}

template <class T>
TensorT<T>& SceneT<T>::field(SceneField f) {
  switch (f) {
    case SceneField::kPositions: return positions;
    case SceneField::kTexture: return texture;
    case SceneField::kColors: return colors;
    case SceneField::kLight: return light;
    case SceneField::kCamera: return camera;
    case SceneField::kBackground: return background;
  }
  throw std::invalid_argument("scene: no field " + std::to_string(static_cast<int>(f)));
}

template <class T>
SceneT<T> SceneT<T>::zeros_like(const SceneT& like) {
  SceneT s;
  s.zeros_like_into(like);
  return s;
}

template <class T>
void SceneT<T>::zeros_like_into(const SceneT& like) {
  visit_fields([&](SceneField f, TensorT<T>& t) {
    t.resize_like(like.field(f));  // an absent field stays absent
    t.zero();
  });
}

template <class T>
void SceneT<T>::zero() {
  visit_fields([](SceneField, TensorT<T>& t) { t.zero(); });
}

template <class T>
bool SceneT<T>::finite() const {
  bool ok = true;
  visit_fields([&](SceneField, const TensorT<T>& t) {
    for (const T v : t) ok = ok && std::isfinite(v);
  });
  return ok;
}

template <class T>
void SceneT<T>::clamp_field(SceneField f, TensorT<T>& v) {
  if (f == SceneField::kTexture || f == SceneField::kColors || f == SceneField::kBackground) {
    for (T& x : v) x = std::clamp(x, T(0), T(1));
  } else if (f == SceneField::kCamera && v.numel() == kPinholeCameraSize) {
    v[6] = std::max(v[6], T(1));
    v[7] = std::max(v[7], T(1));
  } else if (f == SceneField::kCamera && v.numel() >= 3) {
    v[1] = std::clamp(v[1], T(-1.5), T(1.5));
    v[2] = std::max(v[2], T(0.1));
  }
}

template struct SceneT<float>;
template struct SceneT<double>;

Mesh make_scene_template(int icosphere_level, float radius, const std::string& obj_path) {
  if (obj_path.empty()) {
    if (icosphere_level < 0 || icosphere_level > 7)
      throw std::invalid_argument("scene template: icosphere level " + std::to_string(icosphere_level) +
                                  " outside [0, 7]");
    if (!(radius > 0.f)) throw std::invalid_argument("scene template: radius must be positive");
    return make_icosphere<float>(icosphere_level, radius);
  }
  Mesh m = load_obj<float>(obj_path);  // throws std::runtime_error naming the path
  if (m.num_faces() == 0) throw std::runtime_error(obj_path + ": the OBJ has no faces");
  if (!m.has_uvs())
    throw std::runtime_error(obj_path + ": the OBJ has no texture coordinates (vt); the scene needs a UV layout");
  return m;
}

}  // namespace invgfx
