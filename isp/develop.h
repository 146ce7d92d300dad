#pragma once
// Developing a camera RAW to an sRGB image with the invgfx ISP, the way dcraw/LibRaw does, plus PNG
// output. This is what `invgfx-develop` (and later `invgfx-cli develop`) runs.
//
//   RAW file ──read_raw──► mosaic (DN) + metadata ──isp_raw_settings──► IspPipeline ──► orient ──► clip
//
// Matching LibRaw's dcraw_process (bilinear, camera WB, highlight = 0, sRGB, no auto-brightness) is a
// matter of how the metadata initialises the ISP, not of special cases in the stages
// (tests/isp/test_raw_develop.cpp measures the parity):
//  - LibRaw subtracts the black level of each pixel but divides every channel by (white − min black)
//    (raw2image_ex lowers `maximum` by the common black only). The ISP's black/white stage divides
//    site s by (W' − b_s) with one W'. isp_raw_settings sets W' = white − min black + mean green black
//    (so green is scaled exactly as in LibRaw) and folds the ratio (W' − b_s)/(white − min black) of the
//    red and blue sites into their white-balance gains.
//  - LibRaw's scale_colors divides the multipliers by the smallest one (with highlight = 0) and clips
//    at 1, so a saturated pixel stays neutral. The white-balance stage with clip_highlights does the
//    same (gains relative to green, output limited to the smallest gain), which coincides whenever green
//    has the smallest multiplier — true of practically every camera (green is the most sensitive
//    channel; a DNG's AsShotNeutral has its largest entry in green). Otherwise the ISP's result is the
//    smallest gain m times LibRaw's, clipped pixels included, and make_develop_pipeline gives the
//    colour matrix the factor 1/m (rows then sum to 1/m).
//  - LibRaw clips the black-subtracted raw at 0 and the colour-matrix output to [0, 1]; the ISP keeps
//    negatives and out-of-range values (exact gradients) and develop_raw clips the final sRGB to [0, 1].
//    For data at or above black level the two agree (sRGB is monotone and maps 0 → 0, 1 → 1); pixels
//    with noise below black differ after the demosaic averages them.
//  - LibRaw quantises to 16 bits after each step (≤ 1e-4 difference) and uses dcraw's gamma_curve,
//    whose knee is solved for continuity (≈ 1e-4 from IEC 61966-2-1).
#include "core/tensor.h"
#include "isp/pipeline.h"
#include "isp/raw_file.h"

#include <nlohmann/json.hpp>

#include <string>

namespace invgfx {

struct DevelopConfig {
  // IspPipeline configuration (see pipeline.h); null = default_develop_isp_json(). Stages in it that
  // carry explicit "params" keep them; the others are initialised from the RAW's metadata.
  nlohmann::json isp;
  bool orient = true;  // apply the file's orientation (LibRaw flip), as LibRaw's output does; default on
  bool clip = true;    // clip the sRGB output to [0, 1] (display-referred); default on
};

// Black/white level → white balance (camera multipliers, highlights clipped neutral) → bilinear
// demosaic → camera-to-sRGB matrix → sRGB transfer: the dcraw/LibRaw default development.
nlohmann::json default_develop_isp_json();

// ISP settings from the metadata (CFA, levels, as-shot WB, rgb_cam) that reproduce LibRaw's scaling,
// see the notes above.
IspRawSettings isp_raw_settings(const RawImage& raw);

// Builds the pipeline for a RAW: config (or the default), metadata applied to stages without explicit
// params. Throws std::invalid_argument on a bad configuration. The second form starts from settings
// already derived from a RAW (e.g. for a crop or a binned copy of it, isp/raw_binning.h).
IspPipeline make_develop_pipeline(const RawImage& raw, const nlohmann::json& isp_config);
IspPipeline make_develop_pipeline(const IspRawSettings& settings, const nlohmann::json& isp_config);

// Develops an already-read RAW / a RAW file to sRGB 3×H×W (H×W after orientation). Errors name the file.
Tensor develop(const RawImage& raw, const DevelopConfig& config = {});
Tensor develop_raw(const std::string& path, const DevelopConfig& config = {});

// LibRaw's own development of the same file as sRGB 3×H×W in [0, 1], for comparison: dcraw_process with
// user_qual = 0 (bilinear), use_camera_wb = 1, highlight = 0, no_auto_bright = 1, output_color = 1
// (sRGB), output_bps = 16, gamma (1/2.4, 12.92), adjust_maximum_thr = 0, half_size = 0; oriented.
Tensor develop_raw_libraw(const std::string& path);

// Orientation in LibRaw's convention (RawImage::flip): out(r, c) = in(r', c') with (r', c') = (c, r)
// if bit 2, then r' = H−1−r' if bit 1, c' = W−1−c' if bit 0. Works on C×H×W.
Tensor orient_image(const Tensor& img, int flip);

// Writes a 1- or 3-channel C×H×W image with values in [0, 1] (clamped; non-finite refused) as an 8- or
// 16-bit PNG, atomically (temp file + rename). Throws std::invalid_argument on bad input and
// std::runtime_error naming the path when it cannot be written.
void write_png(const std::string& path, const Tensor& img, int bits = 8);

}  // namespace invgfx
