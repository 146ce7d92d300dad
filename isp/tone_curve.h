#pragma once
// Tone curve applied per channel to linear RGB in [0, 1] (before the sRGB transfer).
//
// pwl: a monotone piecewise-linear curve through K + 1 uniform knots x_k = k/K (K in [16, 64]) with
//   Y_k = Σ_{j<k} softplus(θ_j) / Σ_j softplus(θ_j),
// so Y_0 = 0, Y_K = 1 and the curve is strictly increasing for any θ (learnable without constraints;
// notes/isp.md §3.7). Up to 64 knots, so that a camera's S-curve with its toe and highlight shoulder
// can be followed when the curve is fitted after the sRGB transfer (isp/calibration.h). Outside [0, 1] the end segments are extended linearly: no clipping, gradients flow
// for HDR and negative values. Equal θ give the exact identity (forward returns x unchanged).
// smoothstep: y = 3x² − 2x³ on [0, 1] (the curve Brooks et al. 2019 invert), x clamped to [0, 1]
//   first, so the gradient is 0 outside [0, 1] (it is also 0 at the ends, so this is C¹). Fixed.
#include "isp/isp_stage.h"

#include <vector>

namespace invgfx {

enum class ToneCurveKind { Pwl, Smoothstep };

inline constexpr int kToneCurveMinKnots = 16, kToneCurveMaxKnots = 64;

struct ToneCurveParams {
  ToneCurveKind kind = ToneCurveKind::Pwl;  // pwl | smoothstep; default pwl
  int knots = 16;                           // K segments of the pwl curve; [16, 64] (constants above); default 16
  std::vector<double> values;               // pwl Y_0..Y_K, strictly increasing from 0 to 1; empty = identity
};

template <class T>
class ToneCurveT : public IspStageT<T> {
 public:
  explicit ToneCurveT(const ToneCurveParams& p = {});
  std::string name() const override { return "tone_curve"; }

  ToneCurveParams params() const;
  void set_params(const ToneCurveParams& p);
  // Knot values Y_0..Y_K of the current pwl curve.
  std::vector<double> knot_values() const;
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override;
  bool has_inverse() const override { return true; }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override {
    if (kind_ == ToneCurveKind::Pwl) v(theta_);
  }
  ParameterT<T>& theta() { return theta_; }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  // Y_k from θ (and whether all θ are equal, i.e. the curve is the identity).
  bool update_knots();

  ToneCurveKind kind_ = ToneCurveKind::Pwl;
  ParameterT<T> theta_{"tone_curve.theta", "isp", Shape{16}};
  std::vector<T> Y_;        // K + 1 knot values
  double S_ = 1;            // Σ softplus(θ)
  bool identity_ = true;
};

using ToneCurve = ToneCurveT<float>;
using ToneCurveD = ToneCurveT<double>;

}  // namespace invgfx
