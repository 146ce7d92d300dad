#pragma once
// Colour difference ΔE₀₀ (CIEDE2000, CIE 142-2001) as written out by Sharma, Wu & Dalal, "The CIEDE2000
// Color-Difference Formula: Implementation Notes, Supplementary Test Data, and Mathematical
// Observations", Color Research & Application 30(1), 2005 — including their rules for the hue of
// achromatic colours and the mean hue across the 0°/360° seam — and the CIELAB values of sRGB pixels
// (IEC 61966-2-1 primaries, D65 white, CIE 1976 L*a*b*) it is applied to.
//
// A ΔE₀₀ near 1 is about the smallest difference an observer notices side by side; 2–3 is visible
// on close inspection, above 5 two colours read as different. The calibration reports the mean over
// the compared pixels.
#include "core/tensor.h"

namespace invgfx {

struct Lab {
  double L = 0, a = 0, b = 0;  // CIE 1976 L* (0..100), a*, b*
};

// CIELAB of a linear-light sRGB colour (components nominally in [0, 1]), relative to D65 white (the
// white of the sRGB primaries, so (1, 1, 1) ↦ L* = 100, a* = b* = 0 exactly).
Lab lab_from_linear_srgb(double r, double g, double b);
// The same for sRGB-encoded values (the transfer function of isp/srgb.h undone first).
Lab lab_from_srgb(double r, double g, double b);

// ΔE₀₀ with the parametric weights k_L = k_C = k_H = 1 unless given (Sharma et al. 2005, eqs. 1–22).
double delta_e_2000(const Lab& x, const Lab& y, double kL = 1, double kC = 1, double kH = 1);

// Per-pixel ΔE₀₀ between two sRGB-encoded 3×H×W images, as a 1×H×W map (parallel over rows).
Tensor delta_e_2000_map(const Tensor& srgb_a, const Tensor& srgb_b);

}  // namespace invgfx
