#pragma once
// Saturation on linear RGB: y = Y + s·(x − Y), Y = 0.2126 R + 0.7152 G + 0.0722 B (Rec. 709 luma of
// linear sRGB primaries). s = 1 is the identity (returned exactly), 0 gives grey. Luma is preserved for
// any s. No clipping; the gradient is exact: ∂L/∂x_c = s·G_c + (1 − s)·w_c·Σ_k G_k, ∂L/∂s = Σ G·(x − Y).
#include "isp/isp_stage.h"

namespace invgfx {

inline constexpr double kLumaRec709[3] = {0.2126, 0.7152, 0.0722};

struct SaturationParams {
  double saturation = 1.0;  // s, unitless; [0, 4]; default 1 (identity)
};

template <class T>
class SaturationT : public IspStageT<T> {
 public:
  explicit SaturationT(const SaturationParams& p = {}) { set_params(p); }
  std::string name() const override { return "saturation"; }

  SaturationParams params() const { return {static_cast<double>(s_.value[0])}; }
  void set_params(const SaturationParams& p);
  nlohmann::json params_to_json() const override { return {{"saturation", params().saturation}}; }
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { set_params({}); }
  bool has_inverse() const override { return s_.value[0] != T(0); }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override { v(s_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  void apply(const TensorT<T>& x, TensorT<T>& y, T s) const;
  ParameterT<T> s_{"saturation.saturation", "isp", Shape{1}};
};

using Saturation = SaturationT<float>;
using SaturationD = SaturationT<double>;

}  // namespace invgfx
