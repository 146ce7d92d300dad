// Image comparison metrics, the one definition every report uses (fit metrics, the develop parity
// tests, the ISP quality tests): PSNR, SSIM and the intersection over union of two masks.
//
// PSNR of identical images is +∞ (the MSE is 0): that is the answer, not a capped stand-in such as
// 99 dB. JSON has no infinity, so writers of reports put it as null (app/fit_metrics.h says so).
#pragma once

#include "core/tensor.h"

namespace invgfx {

// 10·log10(peak² / MSE) in dB over same-shaped C×H×W (or N×C×H×W) images, leaving out a border of
// `border` pixels on every side of each plane (0 = the whole image). +∞ for identical images.
// Throws std::invalid_argument on different shapes or a border that leaves nothing.
template <class T>
double psnr(const TensorT<T>& a, const TensorT<T>& b, int border = 0, double peak = 1.0);

// Mean SSIM (core/ssim_loss.h: Wang et al. 2004, 11×11 Gaussian window, data range 1) of two
// same-shaped images; 1 for identical images.
double ssim(const Tensor& a, const Tensor& b);

// |A ∩ B| / |A ∪ B| of the masks a > threshold and b > threshold (same number of elements); 1 when
// both are empty (they agree).
double mask_iou(const Tensor& a, const Tensor& b, float threshold = 0.5f);

}  // namespace invgfx
