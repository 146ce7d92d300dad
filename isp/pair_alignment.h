#pragma once
// Where a camera's JPEG lies on its RAW: the orientation, the camera's crop and the JPEG's scale, found
// by matching the RAW's neutral development (its metadata alone, isp/develop.h) against the JPEG, and
// checked, so that a JPEG of another photo or of another shape is refused with a clear message.
//
// The geometry. The RAW's visible area, turned by `flip` (LibRaw's convention, orient_image), has
// oriented size Wo × Ho; target pixel (c, r) covers
//   X ∈ [offset_x + scale_x·c, offset_x + scale_x·(c + 1)),  Y ∈ [offset_y + scale_y·r, … ·(r + 1))
// of it (raw pixels). A full-size camera JPEG has scale 1 and an offset of a few pixels (the camera
// crops the sensor's edge); a preview has the scale of its reduction; an aspect-ratio mode (16:9 from
// 3:2) crops one side.
//
// The search compares luma Y′ = 0.2126 R′ + 0.7152 G′ + 0.0722 B′ of both, each blurred by a binomial
// [1 2 1]/4 (so that bilinear sampling between pixels, which smooths away the development's noise and
// aliasing, does not favour positions off the exact alignment), by normalised cross-correlation (NCC):
//  1. coarse, on a grid of ~64 pixels: every rotation a camera writes (flips 0, 3, 5, 6) whose shape
//     fits, scales from 1.02 down to 0.90 of the largest crop that fits, every offset in one-pixel
//     steps (crops up to 10 % per side), by the NCC of luma;
//  2. on a grid of ~256 pixels, the best orientations refined by a pattern search over the target
//     centre's position and the two scales (separate: a preview's rounding can stretch one axis), by
//     the NCC of luma plus that of its gradients (luma alone is biased where the tone curves differ;
//     gradients peak where the edges coincide); the RAW's own orientation wins unless another is
//     clearly better;
//  3. on the working grid (AlignOptions::size), refined again; a geometry at scale 1 with whole-pixel
//     offsets is preferred when it matches as well (a full-size JPEG is an exact crop).
// The pair passes when the NCC of luma and of its gradients (which a JPEG of another photo with a
// similar layout — sky above, ground below — does not reproduce) reach the thresholds.
#include "isp/area_resample.h"
#include "isp/raw_binning.h"
#include "isp/raw_file.h"

#include <string>

namespace invgfx {

struct AlignOptions {
  int size = 512;                      // long side of the finest grid, target pixels (≥ 64); default 512
  double min_correlation = 0.7;        // NCC of luma the pair must reach, (−1, 1]; default 0.7
  double min_detail_correlation = 0.4; // NCC of luma gradients the pair must reach, (−1, 1]; default 0.4
  double min_coverage = 0.6;           // least fraction of each side of the RAW a crop keeps, (0, 1]; default 0.6
  int min_target_size = 64;            // least long side of a target, pixels; default 64
};

struct PairGeometry {
  int flip = 0;                        // LibRaw flip applied to the development
  double scale_x = 1, scale_y = 1;     // raw pixels per target pixel, after orientation
  double offset_x = 0, offset_y = 0;   // oriented raw coordinates of the target's top-left corner
  int target_w = 0, target_h = 0;      // target size in pixels
  double correlation = 0;              // NCC of luma at the finest grid
  double detail_correlation = 0;       // NCC of luma gradients at the finest grid
};

// Finds and checks the geometry of `target` (sRGB 3×H×W as a viewer shows it) on `raw`. Throws
// std::runtime_error with one line starting with target_name when the target is too small, has a
// shape no crop of the RAW has in any orientation, is larger than the RAW's image, or does not show
// the same picture.
PairGeometry align_pair(const RawImage& raw, const Tensor& target, const std::string& target_name,
                        const AlignOptions& options = {});

// Visible-area coordinates: oriented (X, Y) of an image W × H (unoriented size) turned by `flip` ↔
// unoriented (x, y). Continuous coordinates, pixel i covering [i, i + 1).
void unorient_point(int flip, double W, double H, double X, double Y, double& x, double& y);
void orient_point(int flip, double W, double H, double x, double y, double& X, double& Y);

// The rectangle [x0, x1) × [y0, y1) of the (unoriented) visible area that the target pixels
// [c0, c1) × [r0, r1) cover.
void target_footprint(const PairGeometry& g, const RawImage& raw, double c0, double r0, double c1, double r1,
                      double& x0, double& y0, double& x1, double& y1);

// The map that carries a development of `window` at `pitch` (unoriented, (window.h/pitch) × (window.w/
// pitch) pixels) onto the target downsampled by m: out_h × out_w pixels, grid pixel (c, r) covering
// target pixels [m·c, m·(c + 1)) × [m·r, m·(r + 1)).
AreaResampleGeometry development_to_target(const PairGeometry& g, const RawImage& raw, const RawWindow& window,
                                           int pitch, int m, int64_t out_h, int64_t out_w);

// Luma Y′ of an sRGB-encoded 3×H×W image, 1×H×W.
Tensor srgb_luma(const Tensor& srgb);

}  // namespace invgfx
