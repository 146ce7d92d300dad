#pragma once
// White balance on the Bayer mosaic (or per channel on an RGB image): y = g_c · x with
// g = (e^{ℓ_R}, 1, e^{ℓ_B}); the gains are log-gains relative to green, so they stay positive and
// exposure (a common scale) is not part of white balance.
//
// Clipped pixels. A pixel saturated in every channel reads (1, 1, 1) on the sensor; multiplying by
// (g_R, 1, g_B) would turn it magenta (hdrmerge#196, darktable#11587). With clip_highlights the output
// is limited to m = min(g_R, 1, g_B), the value a fully saturated pixel reaches in its weakest
// channel:  y = min(g_c · x, m).  Then fully saturated areas come out neutral (m, m, m), as in
// dcraw/LibRaw. Gradient through the clip is the exact derivative: 0 w.r.t. x for clipped pixels, and
// the clipped output follows m, i.e. the gain that is the minimum (nothing if that is green).
// Without clip_highlights (the HDR training path) y = g_c · x everywhere, gradients pass unchanged.
// Negative values (noise below black) are never clipped.
#include "isp/isp_stage.h"

#include <array>

namespace invgfx {

struct WhiteBalanceParams {
  double log_gain_red = 0.0;     // ln(red gain / green gain); [-4, 4]; default 0 (gain 1)
  double log_gain_blue = 0.0;    // ln(blue gain / green gain); [-4, 4]; default 0 (gain 1)
  bool clip_highlights = false;  // limit output to min gain so saturated pixels stay neutral; default off
};

template <class T>
class WhiteBalanceT : public IspStageT<T> {
 public:
  explicit WhiteBalanceT(const WhiteBalanceParams& p = {});
  std::string name() const override { return "white_balance"; }

  WhiteBalanceParams params() const;
  void set_params(const WhiteBalanceParams& p);
  // Linear multipliers (r, g, b), e.g. LibRaw cam_mul; normalised by green.
  void set_gains(const std::array<double, 3>& rgb);
  std::array<double, 3> gains() const;
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { set_params({}); }
  bool has_inverse() const override { return true; }
  // x = y / g_c (clipped highlights cannot be recovered; they map back to m / g_c).
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override { v(log_gains_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  int colour_of(int64_t c, int64_t channels, int64_t row, int64_t col) const {
    return channels == 1 ? cfa_colour_at(this->cfa_, static_cast<int>(row), static_cast<int>(col))
                         : static_cast<int>(c);
  }

  ParameterT<T> log_gains_{"white_balance.log_gains", "isp", Shape{2}};  // (ℓ_R, ℓ_B)
  bool clip_highlights_ = false;
};

using WhiteBalance = WhiteBalanceT<float>;
using WhiteBalanceD = WhiteBalanceT<double>;

}  // namespace invgfx
