// The scene's light tensor (render/scene.h: LightModel's two layouts) as the shading node's
// parameters, both ways, and as export's light JSON. The renderer, export and reports go through
// these, so a new light layout is added here once.
#pragma once

#include "render/scene.h"
#include "render/shading.h"

#include <nlohmann/json.hpp>

namespace invgfx {

// The shading terms a light model uses (no specular: the scene has no view-dependent material).
ShadingOptions shading_options(LightModel model);

// light (light_size(model) values) → the shading node's ambient/direction/colour or SH parameters.
template <class T>
void light_to_shading(const TensorT<T>& light, LightModel model, ShadingT<T>& shading);
// ADDS the shading parameters' gradients into dL_dlight (same layout as the light).
template <class T>
void add_shading_gradient(const ShadingT<T>& shading, LightModel model, TensorT<T>& dL_dlight);

// render/export.h's lights_to_json of the scene's light. Throws std::invalid_argument when the
// light tensor does not have the model's size.
nlohmann::json lights_json(const Scene& scene, LightModel model);

}  // namespace invgfx
