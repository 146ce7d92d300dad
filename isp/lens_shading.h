#pragma once
// Lens shading (vignetting) correction: y = x · g_c(r), a radial polynomial gain per colour
//   g_c(r) = 1 + k_{c,1} r² + k_{c,2} r⁴ + k_{c,3} r⁶,
//   r² = ((j + ½ − c_x·W)² + (i + ½ − c_y·H)²) / D²,  D = ½·√(W² + H²)
// so r = 1 at the corners of a centred image. The centre (c_x, c_y), in fractions of width and height,
// is learnable too (as in PPISP). Works on the mosaic (colour from the CFA) or on RGB. Sensor simulation
// multiplies by a falloff (gain < 1 off-centre); this ISP stage undoes it (gain > 1). k = 0 is the exact
// identity. No clipping: gradients are exact w.r.t. x, k and the centre.
#include "isp/isp_stage.h"

#include <array>

namespace invgfx {

struct LensShadingParams {
  std::array<double, 9> k{0, 0, 0, 0, 0, 0, 0, 0, 0};  // (k1, k2, k3) for R, G, B; unitless; [-4, 4]; default 0
  std::array<double, 2> centre{0.5, 0.5};              // optical centre (x/W, y/H); [0, 1]; default image centre
};

template <class T>
class LensShadingT : public IspStageT<T> {
 public:
  explicit LensShadingT(const LensShadingParams& p = {}) { set_params(p); }
  std::string name() const override { return "lens_shading"; }

  LensShadingParams params() const;
  void set_params(const LensShadingParams& p);
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { set_params({}); }
  bool has_inverse() const override { return true; }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override { v(k_); v(centre_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  void apply(const TensorT<T>& x, TensorT<T>& y, bool divide) const;
  ParameterT<T> k_{"lens_shading.k", "isp", Shape{3, 3}};
  ParameterT<T> centre_{"lens_shading.centre", "isp", Shape{2}};
};

using LensShading = LensShadingT<float>;
using LensShadingD = LensShadingT<double>;

}  // namespace invgfx
