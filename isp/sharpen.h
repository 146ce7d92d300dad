#pragma once
// Unsharp mask on luma (RGB in, RGB out): Y = wᵀx (Rec. 709), B = G_σ ∗ Y, y_c = x_c + λ·(Y − B).
// Sharpening luma only adds the same detail to all channels and so avoids colour fringes (notes/isp.md
// §3.9). G_σ is a separable Gaussian of radius ⌈3σ⌉ with clamp-to-edge borders; the backward applies
// its exact adjoint (a scatter, so the borders are right). λ = 0 is the exact identity. No clipping.
#include "isp/isp_stage.h"

#include <vector>

namespace invgfx {

struct SharpenParams {
  double amount = 0.0;  // λ, unitless; [0, 8]; default 0 (identity); learnable
  double sigma = 1.0;   // blur σ in pixels; [0.3, 8]; default 1; fixed
};

template <class T>
class SharpenT : public IspStageT<T> {
 public:
  explicit SharpenT(const SharpenParams& p = {}) { set_params(p); }
  std::string name() const override { return "sharpen"; }

  SharpenParams params() const { return {static_cast<double>(amount_.value[0]), sigma_}; }
  void set_params(const SharpenParams& p);
  nlohmann::json params_to_json() const override { return {{"amount", params().amount}, {"sigma", sigma_}}; }
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { set_params({0.0, sigma_}); }
  void visit_parameters(const ParameterVisitor<T>& v) override { v(amount_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  // dst = G ∗ src (adjoint = false) or Gᵀ src (adjoint = true) on one H×W plane; tmp is scratch.
  void blur(const T* src, T* dst, T* tmp, int64_t h, int64_t w, bool adjoint) const;
  void luma(const T* x, T* Y, int64_t hw) const;

  ParameterT<T> amount_{"sharpen.amount", "isp", Shape{1}};
  double sigma_ = 1.0;
  std::vector<T> taps_;  // 2R + 1 normalised Gaussian weights
  TensorT<T> Y_, B_, tmp_, gY_, gB_;
};

using Sharpen = SharpenT<float>;
using SharpenD = SharpenT<double>;

}  // namespace invgfx
