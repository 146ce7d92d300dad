// Per-pixel shading of the rasterizer's albedo and normal images:
//   out_c = a_c·(ambient_c + Ld_c·max(0, n·l) + E_c(n)/π) + k_s·Ld_c·[n·l > 0]·max(0, n·h)^α
// with a = albedo (linear RGB), n = normalised interpolated normal, l = the unit direction towards
// the directional light, h = normalize(l + v) for the unit direction v towards the eye, and E_c the
// irradiance of a second-order spherical-harmonics environment (Ramamoorthi & Hanrahan 2001, "An
// Efficient Representation for Irradiance Environment Maps", eq. 13), so that a constant environment
// of radiance L gives E/π = L and out = a·L. Each term can be switched off.
//
// Inputs (C×H×W images, C = 3): albedo, normals (any length; normalised here, zero stays zero), and —
// only when specular is on — view directions (towards the eye; normalised here). Output: 3×H×W.
#pragma once

#include "core/node.h"

#include <string>
#include <vector>

namespace invgfx {

struct ShadingOptions {
  bool ambient = true;       // add the ambient term
  bool directional = true;   // add the Lambert directional term
  bool spherical_harmonics = false;  // add the SH irradiance term
  bool specular = false;     // add Blinn-Phong specular (needs the view-direction input)
};

// Real SH basis order used for `sh` (per channel): L00, L1−1, L10, L11, L2−2, L2−1, L20, L21, L22,
// i.e. constant, y, z, x, xy, yz, 3z² − 1, xz, x² − y² (Ramamoorthi & Hanrahan's indexing).
template <class T>
class ShadingT : public NodeT<T> {
 public:
  using typename NodeT<T>::In;
  using typename NodeT<T>::Out;

  explicit ShadingT(const ShadingOptions& options = {});
  std::string name() const override { return "shading"; }
  int num_inputs() const override { return 3; }

  ShadingOptions options;

  ParameterT<T> ambient;    // 3: linear RGB ambient radiance, ≥ 0, default 0.3
  ParameterT<T> direction;  // 3: towards the light, world frame, any length > 0, default (0.3, 0.5, 1)
  ParameterT<T> color;      // 3: linear RGB directional radiance, ≥ 0, default 0.7
  ParameterT<T> sh;         // 3×9: SH radiance coefficients per channel, default all 0
  ParameterT<T> specular_strength;  // 1: k_s, ≥ 0, default 0.2
  ParameterT<T> shininess;          // 1: Blinn-Phong exponent α, ≥ 1 (clamped), default 32

  // in: {albedo, normals[, view]} → out: {colour}.
  void forward(In in, Out out) override;
  void backward(In in, In out, In dL_dout, Out dL_din) override;
  void visit_parameters(const ParameterVisitor<T>& visit) override;

  // E(n) of one channel's nine coefficients (exposed for tests and for the GUI's light preview).
  static T irradiance(const T* L, T x, T y, T z);

 private:
  static constexpr int kLightScalars = 3 + 3 + 3 + 27 + 2;
  std::vector<T> row_partials_;  // H × kLightScalars, reduced in row order (deterministic)
};

using Shading = ShadingT<float>;
using ShadingD = ShadingT<double>;

extern template class ShadingT<float>;
extern template class ShadingT<double>;

}  // namespace invgfx
