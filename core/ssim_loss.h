// SSIM loss (Wang, Bovik, Sheikh & Simoncelli, "Image Quality Assessment: From Error Visibility to
// Structural Similarity", IEEE TIP 2004, eq. 13 with the Gaussian window of §III-C):
//   SSIM(x, y) = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),
// per channel and pixel, with local statistics from an 11×11 Gaussian window (σ = 1.5) and
// C1 = (0.01·L)², C2 = (0.03·L)² for data range L. The loss is L = s · Σ m w (1 − SSIM) / Σ m, the
// masked, weighted mean of core/loss.h with penalty 1 − SSIM (so 1 − mean SSIM without mask/weight).
//
// Borders: the window is truncated at the image edge and renormalised to sum to 1 (rather than
// zero-padded, which biases μ and σ near edges, or 'valid', which shrinks the map below the mask's
// size). As the window is separable, so is the renormalisation, and the filter stays linear: its
// transpose (used by backward) is the same truncated filter applied after dividing by both
// normalisers.
//
// Backward: with A = 2μxμy + C1, B = 2σxy + C2, C = μx² + μy² + C1, D = σx² + σy² + C2 and the local
// moments Sxx = G*x², Syy = G*y², Sxy = G*xy (σx² = Sxx − μx², σxy = Sxy − μxμy):
//   ∂SSIM/∂μx = 2μy(B − A)/(CD) − 2μx·SSIM·(1/C − 1/D)   (and x ↔ y for ∂/∂μy)
//   ∂SSIM/∂Sxx = ∂SSIM/∂Syy = −SSIM/D,   ∂SSIM/∂Sxy = 2A/(CD)
// so dL/dx = Gᵀ(a_x) + 2x ⊙ Gᵀ(b) + y ⊙ Gᵀ(c) with the per-pixel coefficient maps a_x, b, c; no
// division by A or B, so the gradient is finite for any finite input (C ≥ C1 > 0, D ≥ C2 > 0).
#pragma once

#include "core/loss.h"

#include <vector>

namespace invgfx {

struct SsimSettings {
  int radius = 5;           // window half-width in pixels (window 2r+1 wide), ≥ 1; default 5 (11×11)
  double sigma = 1.5;       // Gaussian σ of the window in pixels, > 0; default 1.5
  double k1 = 0.01;         // C1 = (k1·data_range)², > 0; default 0.01
  double k2 = 0.03;         // C2 = (k2·data_range)², > 0; default 0.03
  double data_range = 1.0;  // dynamic range L of the pixel values, > 0; default 1

  void check() const;
};

template <class T>
class SsimLossT : public LossT<T> {
 public:
  explicit SsimLossT(const SsimSettings& settings = {});
  std::string name() const override { return "ssim_loss"; }
  const SsimSettings& settings() const { return settings_; }

  T forward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting) override;
  void backward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting, T dL_dloss,
                TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget, TensorT<T>* dL_dmask) override;

  // SSIM per element (pred's shape) from the last forward, for display and error maps.
  const TensorT<T>& ssim_map() const { return ssim_; }

 private:
  void prepare(const Dims4& d);

  SsimSettings settings_;
  T c1_, c2_;
  std::vector<T> taps_;            // g[|k|], k = −r..r, normalised to sum 1 over the full window
  std::vector<T> inv_zr_, inv_zc_; // 1 / (sum of the taps inside the image) per row / column
  TensorT<T> stat_[5];             // μx, μy, Sxx, Syy, Sxy (kept from forward for backward)
  TensorT<T> tmp_[5];              // after the first separable pass
  TensorT<T> coef_[4];             // backward: a_x, a_y, b, c, then their filtered transposes
  TensorT<T> ssim_;
  T value_ = T(0);                 // L of the last forward, for the mask gradient
  std::vector<double> partial_;    // per-row sums for a thread-count-independent reduction
};

using SsimLoss = SsimLossT<float>;
using SsimLossD = SsimLossT<double>;

}  // namespace invgfx
