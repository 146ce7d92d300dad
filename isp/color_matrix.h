#pragma once
// Colour correction matrix: camera RGB → linear sRGB primaries, y = M·x per pixel (3×H×W input).
//
// Rows sum to one so that a neutral (white-balanced) grey stays grey: M = A − ((A·𝟙 − 𝟙)/3)·𝟙ᵀ, a
// projection of the free 3×3 parameter A onto {M : M·𝟙 = 𝟙} (6 degrees of freedom, the LibRaw / Brooks
// convention). The gradient w.r.t. A is the projected one, ∂L/∂A_ik = G_ik − (1/3)·Σ_j G_ij with
// G = ∂L/∂M. With rows_sum_to_one = false, M = A (e.g. a matrix that also carries exposure). Nothing is
// clipped: out-of-gamut negatives and values above 1 pass on with exact gradients.
#include "isp/isp_stage.h"

#include <array>

namespace invgfx {

struct ColorMatrixParams {
  std::array<double, 9> matrix{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major 3×3, unitless, entries in [-8, 8]; default I
  bool rows_sum_to_one = true;                              // project rows to sum 1; default on
};

template <class T>
class ColorMatrixT : public IspStageT<T> {
 public:
  explicit ColorMatrixT(const ColorMatrixParams& p = {});
  std::string name() const override { return "color_matrix"; }

  // The effective matrix M (after the projection).
  ColorMatrixParams params() const;
  void set_params(const ColorMatrixParams& p);
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { set_params({}); }
  bool has_inverse() const override { return true; }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override { v(matrix_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  std::array<T, 9> effective() const;

  ParameterT<T> matrix_{"color_matrix.matrix", "isp", Shape{3, 3}};  // A
  bool rows_sum_to_one_ = true;
};

using ColorMatrix = ColorMatrixT<float>;
using ColorMatrixD = ColorMatrixT<double>;

}  // namespace invgfx
