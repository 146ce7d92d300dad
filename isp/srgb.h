#pragma once
// sRGB transfer function (IEC 61966-2-1) with its linear toe, and its inverse.
//   encode: V = 12.92·L               for L ≤ 0.0031308
//           V = 1.055·L^{1/2.4} − 0.055 otherwise
//   decode: L = V/12.92               for V ≤ 0.04045
//           L = ((V + 0.055)/1.055)^{2.4} otherwise
// The toe keeps the slope finite at 0 (a pure power 1/2.2 has an infinite slope there; notes/isp.md
// "Numerical pitfalls"). Negative values follow the toe line; values above 1 follow the power branch.
// Nothing is clipped, so gradients are the exact derivative everywhere (the knee's one-sided slopes
// 12.92 and 12.70 differ by 2%, a negligible kink). The power is never evaluated off its branch, so the
// unused branch cannot inject Inf/NaN (pytorch#187297).
#include "isp/isp_stage.h"

namespace invgfx {

struct SrgbParams {
  bool decode = false;  // false: linear → sRGB (encode, the ISP's last stage); true: sRGB → linear
};

// Scalar forms (float uses a fast vectorisable power accurate to ~2e-7 relative; double uses std::pow).
template <class T> T srgb_encode(T linear);
template <class T> T srgb_decode(T encoded);

template <class T>
class SrgbT : public IspStageT<T> {
 public:
  explicit SrgbT(const SrgbParams& p = {}) : decode_(p.decode) {}
  std::string name() const override { return "srgb"; }

  SrgbParams params() const { return {decode_}; }
  void set_params(const SrgbParams& p) { decode_ = p.decode; }
  nlohmann::json params_to_json() const override { return {{"decode", decode_}}; }
  void params_from_json(const nlohmann::json& j) override;
  // A transfer function has no identity parameter: the identity setting disables the stage.
  void set_identity() override { this->set_enabled(false); }
  bool has_inverse() const override { return true; }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  bool decode_ = false;
};

using Srgb = SrgbT<float>;
using SrgbD = SrgbT<double>;

}  // namespace invgfx
