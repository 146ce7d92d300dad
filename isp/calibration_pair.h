#pragma once
// One RAW and the picture its camera made of it, made ready for the ISP calibration (isp/calibration.h):
//
//   RAW ─read_raw─► window around the target's footprint, binned to the working pitch (raw_binning)
//   target (--jpeg, else a sidecar JPEG with the RAW's stem, else the RAW's embedded preview)
//     ─EXIF orientation─► as a viewer shows it ─align_pair─► geometry ─area means─► working grid
//
// The working grid is the target shrunk by a whole factor m so that its long side is at most
// CalibrationOptions::size; the development is made at `pitch` raw pixels per pixel (1: the mosaic,
// demosaiced by the ISP; even: RGB superpixels) close to one grid pixel, and carried onto the grid by
// an AreaResample (orientation, the camera's crop, the remaining scale).
//
// What cannot be compared is left out of every loss and figure: pixels whose footprint reaches outside
// the RAW's image, pixels that clipped RAW data reaches (raw_binning.h), and — per channel — values
// whose target block holds that channel at 0–1 or 254–255 of 255 (clipped by the camera; a saturated
// red keeps its green and blue), grown by one grid pixel for the JPEG's ringing around them. The rest
// is split into a checkerboard of tile × tile squares: the fit sees the "white" tiles only, the
// "black" ones are held out to measure how the calibration generalises.
#include "isp/area_resample.h"
#include "isp/pair_alignment.h"
#include "isp/raw_binning.h"

#include <memory>
#include <string>

namespace invgfx {

struct CalibrationPairSpec {
  std::string raw;   // camera RAW file
  std::string jpeg;  // its camera JPEG; empty = a sidecar JPEG beside the RAW, else the embedded preview
};

struct CalibrationPairOptions {
  int size = 512;  // long side of the working grid, target pixels; [64, 4096]; default 512
  int tile = 32;   // side of the held-out checkerboard's tiles, grid pixels; [4, 1024]; default 32
  int ssim_radius = 5;  // the SSIM window's half-width: fit pixels this close to a held-out tile get no SSIM
  AlignOptions align;   // thresholds of the alignment check (its size is set from `size`)
};

struct CalibrationPair {
  std::string raw_path, target_name;
  std::string source;                // "jpeg", "sidecar" or "embedded preview"
  std::string make, model;
  int raw_width = 0, raw_height = 0; // visible area of the RAW
  PairGeometry geometry;
  BinnedRaw binned;                  // the development's input
  int m = 1;                         // target pixels per grid pixel
  Tensor target;                     // 3×gh×gw sRGB: the target on the working grid
  Tensor fit_mask, held_mask;        // 3×gh×gw: comparable values of the fitted / held-out tiles
  Tensor ssim_mask;                  // 3×gh×gw: fit values at least ssim_radius from a held-out tile
  std::unique_ptr<AreaResample> to_target;  // development → grid
  // Grid pixels left out (outside, clipped in the RAW) or with a channel left out (clipped in the target).
  int64_t outside = 0, clipped_raw = 0, clipped_target = 0;
};

// The sidecar JPEG of a RAW: same folder and stem, extension .jpg/.JPG/.jpeg/.JPEG; "" when none.
std::string find_sidecar_jpeg(const std::string& raw_path);

// Reads, aligns and prepares a pair. Throws std::runtime_error with one line naming the file and the
// problem: an unreadable RAW or JPEG, a RAW without a preview when no JPEG is given or found, a corrupt
// preview, a target of another shape or of another photo, or one with too few comparable pixels.
CalibrationPair load_calibration_pair(const CalibrationPairSpec& spec, const CalibrationPairOptions& options);

}  // namespace invgfx
