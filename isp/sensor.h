#pragma once
// Sensor model (simulation side of the loop): linear scene RGB N×3×H×W → Bayer RAW N×1×H×W, in units
// where 1 is the white (saturation) level.
//   v = 2^e · x                           exposure gain
//   m = v[cfa colour of the pixel]        CFA mosaic (RGGB, BGGR, GRBG, GBRG)
//   n = m + √(a·m + b) · ε,  ε ~ N(0, 1)  Poisson-Gaussian noise, heteroscedastic Gaussian form
//   y = min(n, white)                     clipping at the white level
// Noise levels follow Brooks et al. 2019 / DNG NoiseProfile: variance = shot·m + read (a = shot,
// b = read). Two noise modes:
//  - gaussian: the reparameterised surrogate above; ε is fixed for a given (seed, frame), so forward is
//    deterministic and the gradient is exact, including w.r.t. a, b (∂n/∂a = m·ε/2σ, ∂n/∂b = ε/2σ) and
//    through σ w.r.t. m. Where a·m + b ≤ 1e-12 there is no noise and no noise gradient (no 1/σ blow-up).
//  - poisson: physically sampled, n = a·Poisson(max(m, 0)/a) + √b·ε; not differentiable, so the
//    backward treats the realised noise as an additive constant (∂n/∂m = 1, nothing to a, b).
// Clipping gradient: clip_gradient = zero (the exact derivative; saturated pixels pass no gradient) or
// pass (straight-through: ∂y/∂n = 1 everywhere, to keep gradients on blown highlights).
// Noise draws come from a counter-based hash of (seed, frame, pixel), so they do not depend on the
// thread count; next_frame() draws a new realisation. An image draws as item `first_item` of a batch
// would, and a batch's items follow on from it (set_first_item), so a batch developed one image at a
// time draws what the whole batch does.
#include "isp/isp_stage.h"

#include <cstdint>

namespace invgfx {

enum class SensorNoise { None, Gaussian, Poisson };
enum class ClipGradient { Zero, Pass };

struct SensorParams {
  double exposure = 0.0;                      // log2 gain in stops; [-16, 16]; default 0
  bool mosaic = true;                         // output the 1-channel Bayer mosaic; false keeps RGB; default true
  SensorNoise noise = SensorNoise::None;      // none | gaussian | poisson; default none
  double shot = 0.0;                          // shot-noise variance per unit signal a; [0, 1]; default 0
  double read = 0.0;                          // read-noise variance b (units of white²); [0, 1]; default 0
  bool clip = false;                          // clip at the white level; default off
  double white = 1.0;                         // white level in output units; (0, 1e6]; default 1
  ClipGradient clip_gradient = ClipGradient::Zero;  // zero | pass; default zero
  uint64_t seed = 0;                          // noise seed; default 0
};

template <class T>
class SensorT : public IspStageT<T> {
 public:
  explicit SensorT(const SensorParams& p = {});
  std::string name() const override { return "sensor"; }

  SensorParams params() const;
  void set_params(const SensorParams& p);
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  // Exposure 0, no noise, no clipping; the mosaic setting is kept (without it this is exactly y = x).
  void set_identity() override;
  void next_frame() { ++frame_; }
  uint64_t frame() const { return frame_; }
  void set_frame(uint64_t f) { frame_ = f; }
  void set_first_item(int64_t n) { first_item_ = n; }
  void visit_parameters(const ParameterVisitor<T>& v) override { v(exposure_); v(noise_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  ParameterT<T> exposure_{"sensor.exposure", "camera", Shape{1}};
  ParameterT<T> noise_{"sensor.noise", "camera", Shape{2}};  // (shot a, read b)
  SensorParams p_;
  uint64_t frame_ = 0;
  int64_t first_item_ = 0;
  TensorT<T> pre_clip_;  // n, needed for the clip mask and the noise gradient
  TensorT<T> eps_;       // ε (gaussian) or the realised noise n − m (poisson)
};

using Sensor = SensorT<float>;
using SensorD = SensorT<double>;

}  // namespace invgfx
