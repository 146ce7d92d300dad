#pragma once
// A RAW at the resolution a calibration or an alignment works at: a window of the visible area, either
// as the Bayer mosaic itself (pitch 1) or as RGB superpixels of pitch × pitch raw pixels (pitch even).
//
// A superpixel is the block's mean of a bilinear demosaic of the mosaic, per colour: every R, G or B
// sample within a pixel of the block weighted by what it contributes to the interpolated block (red
// and blue through separable tents, green by itself plus a quarter per neighbouring red or blue site
// in the block). Averaging the interpolation rather than the block's own sites of each colour keeps
// the three colours centred on the block: a 2×2 block's red would otherwise be one sample half a
// pixel off centre, which aliases on texture. Each sample's own black level (RawImage::black_at,
// pattern included) is subtracted first and the black the ISP's black/white stage subtracts for that
// channel (the first site of the colour, isp/black_white_level.h) added back, so that the stage, run
// per channel on the 3-channel image, removes exactly each pixel's black. The demosaic and the linear
// stages before it commute for bilinear interpolation, so no demosaic runs on superpixels. This is
// LibRaw's half_size generalised to any even pitch, and what lets a 24-megapixel RAW be fitted at the
// size of its JPEG preview.
//
// Clipping: a raw pixel at or above kClipFraction of its black-to-white range is clipped (the sensor
// saturated, or nearly, so its colour cannot be trusted); `clipped` marks the working pixels it
// reaches — its superpixel, or for the mosaic the pixels within the 5×5 footprint of a demosaic.
#include "isp/pipeline.h"
#include "isp/raw_file.h"

namespace invgfx {

inline constexpr double kClipFraction = 0.98;

// A window of the visible area in pixels; y0 and x0 even (the CFA phase is kept), h and w multiples
// of the pitch.
struct RawWindow {
  int y0 = 0, x0 = 0, h = 0, w = 0;
};

struct BinnedRaw {
  Tensor image;    // pitch 1: 1×h×w mosaic in DN; pitch 2k: 3×(h/2k)×(w/2k) camera RGB in DN
  Tensor clipped;  // 1×h'×w' of the image: 1 where clipped raw data reaches the pixel, else 0
  int pitch = 1;
  RawWindow window;
  IspRawSettings settings;  // of the RAW (isp/develop.h isp_raw_settings); the window keeps its CFA
};

// The window of the visible area that holds the rectangle [x0, x1) × [y0, y1) (visible-area pixels,
// any real numbers), grown to even edges and to a multiple of the pitch, and clipped to the image.
RawWindow raw_window_around(const RawImage& raw, double x0, double y0, double x1, double y1, int pitch);

// The pitch to develop at for a grid whose pixels are `raw_per_grid` raw pixels wide: the mosaic
// below 2, else the largest even pitch that is not larger (with 0.5 % slack, so that a preview at
// 1.9997 raw pixels per pixel still gets superpixels of 2 per grid pixel of 4).
int working_pitch(double raw_per_grid);

// Throws std::invalid_argument for a pitch that is not 1 or even, or a window outside the image.
BinnedRaw bin_raw(const RawImage& raw, const RawWindow& window, int pitch);

// A development of the binned RAW with an ISP configuration (isp/develop.h make_develop_pipeline,
// metadata applied, the demosaic stage switched off for superpixels): 3×h'×w' sRGB, not clipped,
// not oriented.
Tensor develop_binned(const BinnedRaw& binned, const nlohmann::json& isp_config);
// The same pipeline, built but not run (the calibration runs it itself).
IspPipeline binned_pipeline(const BinnedRaw& binned, const nlohmann::json& isp_config);

}  // namespace invgfx
