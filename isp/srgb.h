#pragma once
// The sRGB transfer stage: core/srgb_transfer.h's encode (linear → sRGB, the ISP's last stage) or
// decode on every element. Nothing is clipped, so gradients are the exact derivative everywhere (the
// knee's one-sided slopes 12.92 and 12.70 differ by 2%, a negligible kink).
#include "core/srgb_transfer.h"
#include "isp/isp_stage.h"

namespace invgfx {

struct SrgbParams {
  bool decode = false;  // false: linear → sRGB (encode, the ISP's last stage); true: sRGB → linear
};

template <class T>
class SrgbT : public IspStageT<T> {
 public:
  explicit SrgbT(const SrgbParams& p = {}) : decode_(p.decode) {}
  std::string name() const override { return "srgb"; }

  SrgbParams params() const { return {decode_}; }
  void set_params(const SrgbParams& p) { decode_ = p.decode; }
  nlohmann::json params_to_json() const override { return {{"decode", decode_}}; }
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
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
