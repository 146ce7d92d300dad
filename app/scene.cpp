#include "app/scene.h"

#include "render/mesh_templates.h"
#include "render/obj_loader.h"

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

namespace {

template <class T>
void zeros_of(const TensorT<T>& like, TensorT<T>& out) {
  out.resize_like(like);  // an absent field stays absent
  out.zero();
}

template <class T>
bool all_finite(const TensorT<T>& t) {
  for (const T v : t)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

template <class T>
SceneT<T> SceneT<T>::zeros_like(const SceneT& like) {
  SceneT s;
  zeros_of(like.positions, s.positions);
  zeros_of(like.texture, s.texture);
  zeros_of(like.colors, s.colors);
  zeros_of(like.light, s.light);
  zeros_of(like.camera, s.camera);
  zeros_of(like.background, s.background);
  return s;
}

template <class T>
void SceneT<T>::zero() {
  positions.zero();
  texture.zero();
  colors.zero();
  light.zero();
  camera.zero();
  background.zero();
}

template <class T>
bool SceneT<T>::finite() const {
  return all_finite(positions) && all_finite(texture) && all_finite(colors) && all_finite(light) &&
         all_finite(camera) && all_finite(background);
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
