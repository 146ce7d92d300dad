// Implementation of render/scene_light.h.
#include "render/scene_light.h"

#include "render/export.h"

#include <stdexcept>

namespace invgfx {

ShadingOptions shading_options(LightModel model) {
  ShadingOptions so;
  so.specular = false;
  const bool sh = model == LightModel::kSphericalHarmonics;
  so.ambient = !sh;
  so.directional = !sh;
  so.spherical_harmonics = sh;
  return so;
}

template <class T>
void light_to_shading(const TensorT<T>& light, LightModel model, ShadingT<T>& shading) {
  if (model == LightModel::kSphericalHarmonics) {
    std::copy(light.begin(), light.end(), shading.sh.value.begin());
  } else {
    for (int c = 0; c < 3; ++c) {
      shading.ambient.value[c] = light[c];
      shading.direction.value[c] = light[3 + c];
      shading.color.value[c] = light[6 + c];
    }
  }
}

template <class T>
void add_shading_gradient(const ShadingT<T>& shading, LightModel model, TensorT<T>& g) {
  if (model == LightModel::kSphericalHarmonics) {
    for (int k = 0; k < 27; ++k) g[k] += shading.sh.grad[k];
  } else {
    for (int c = 0; c < 3; ++c) {
      g[c] += shading.ambient.grad[c];
      g[3 + c] += shading.direction.grad[c];
      g[6 + c] += shading.color.grad[c];
    }
  }
}

nlohmann::json lights_json(const Scene& scene, LightModel model) {
  if (scene.light.numel() != light_size(model))
    throw std::invalid_argument(std::string("scene light holds ") + std::to_string(scene.light.numel()) +
                                " values, the " + to_string(model) + " model takes " + std::to_string(light_size(model)));
  ShadingD s(shading_options(model));
  light_to_shading(scene.light.cast<double>(), model, s);
  return lights_to_json(s);
}

template void light_to_shading<float>(const Tensor&, LightModel, ShadingT<float>&);
template void light_to_shading<double>(const TensorD&, LightModel, ShadingT<double>&);
template void add_shading_gradient<float>(const ShadingT<float>&, LightModel, Tensor&);
template void add_shading_gradient<double>(const ShadingT<double>&, LightModel, TensorD&);

}  // namespace invgfx
