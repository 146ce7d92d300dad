#pragma once
// Denoise: a differentiable bilateral filter on RGB (Tomasi & Manduchi 1998), self-guided:
//   y_p = Σ_q w_pq x_q / Σ_q w_pq,   w_pq = exp(−|p − q|²/2σ_s²) · exp(−‖x_p − x_q‖²/2σ_r²)
// over the (2R+1)² window inside the image (no padding, so weights stay symmetric: w_pq = w_qp).
// σ_r (range, in linear units) is learnable through ln σ_r; σ_s and R are fixed. R = 0 is the exact
// identity. The backward is exact, including the dependence of the weights on x: with
// a_p = G_p / W_p and b_p = a_p·y_p,
//   ∂L/∂x_q = Σ_r w_qr [a_r + ((a_r·x_q − b_r) + (a_q·x_r − b_q)) (x_r − x_q)/σ_r²],
//   ∂L/∂ln σ_r = Σ_{p,q} (a_p·x_q − b_p) w_pq ‖x_p − x_q‖²/σ_r²,
// evaluated as a gather per pixel (parallel over rows, no write conflicts). Cost O(R²) per pixel.
#include "isp/isp_stage.h"

namespace invgfx {

struct DenoiseParams {
  int radius = 2;              // window radius R in pixels; [0, 6]; default 2 (0 = identity)
  double sigma_spatial = 1.5;  // σ_s in pixels; [0.3, 10]; default 1.5
  double sigma_range = 0.1;    // σ_r in linear units; [1e-4, 10]; default 0.1; learnable (as ln σ_r)
};

template <class T>
class DenoiseT : public IspStageT<T> {
 public:
  explicit DenoiseT(const DenoiseParams& p = {}) { set_params(p); }
  std::string name() const override { return "denoise"; }

  DenoiseParams params() const { return {radius_, sigma_s_, std::exp(static_cast<double>(log_sigma_r_.value[0]))}; }
  void set_params(const DenoiseParams& p);
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { auto p = params(); p.radius = 0; set_params(p); }
  void visit_parameters(const ParameterVisitor<T>& v) override { v(log_sigma_r_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  int radius_ = 2;
  double sigma_s_ = 1.5;
  ParameterT<T> log_sigma_r_{"denoise.log_sigma_range", "isp", Shape{1}};
  TensorT<T> wsum_, a_, b_;  // W_p per pixel; a_p (3 planes) and b_p for the backward
};

using Denoise = DenoiseT<float>;
using DenoiseD = DenoiseT<double>;

}  // namespace invgfx
