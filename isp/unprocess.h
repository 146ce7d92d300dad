#pragma once
// Unprocessing (Brooks et al., "Unprocessing Images for Learned Raw Denoising", CVPR 2019): run an ISP
// backwards, sRGB → linear → camera RGB → Bayer mosaic, so RAW-like training data can be made from
// JPEGs and the loop can compare in RAW space.
//
// unprocess() inverts any IspPipeline: its enabled stages are undone in reverse order with each stage's
// inverse (sRGB decode, inverse tone curve, inverse CCM, inverse saturation, inverse white balance,
// inverse lens shading, mosaic for the demosaic, back to DN for black/white level). Stages without an
// inverse (sharpen, sensor) are skipped: their inverse is taken as the identity. Only the mosaic step
// loses information, so on a pipeline without demosaic, process(unprocess(x)) == x up to rounding.
//
// brooks_random_isp() draws the camera of Brooks et al. 2019 (unprocess.py): a random convex
// combination of 4 XYZ→camera matrices composed with sRGB→XYZ and row-normalised (its inverse is the
// camera→sRGB CCM), red gain ~ U(1.9, 2.4), blue gain ~ U(1.5, 1.9), the smoothstep tone curve and the
// sRGB transfer, as an IspPipeline configuration. brooks_random_noise() draws (shot, read) variances.
#include "core/random.h"
#include "isp/pipeline.h"

#include <utility>

namespace invgfx {

struct UnprocessOptions {
  // Brooks' highlight-preserving inverse gains: near-white pixels (mean > 0.9) are divided by less, so
  // saturated areas are not dimmed into grey after unprocessing. Applied when white balance is inverted
  // on a 3-channel image. Off = the exact inverse (needed for exact round trips).
  bool safe_highlights = false;
};

template <class T>
void unprocess(IspPipelineT<T>& isp, const TensorT<T>& srgb, TensorT<T>& raw, const UnprocessOptions& opt = {});

// {"cfa": ..., "stages": [white_balance, demosaic, color_matrix, tone_curve(smoothstep), srgb]}.
nlohmann::json brooks_random_isp(Rng& rng, CfaPattern cfa = CfaPattern::RGGB);
// (shot, read) variances: log shot ~ U(log 1e-4, log 0.012), log read ~ N(2.18·log shot + 1.2, 0.26²).
std::pair<double, double> brooks_random_noise(Rng& rng);

}  // namespace invgfx
