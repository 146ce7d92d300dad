#pragma once
// Camera RAW reader (LibRaw, thread-safe libraw_r): the Bayer mosaic of the visible area and the
// metadata the ISP is initialised from.
//
// How LibRaw 0.20 reports the levels (found with DNGs from dng_writer, see tests/isp/test_raw_file.cpp):
//  - After open_file + unpack, a DNG BlackLevel with BlackLevelRepeatDim 2×2 stays a *pattern*:
//    black = 0, cblack[0..3] = 0, cblack[4] × cblack[5] = 2 × 2, cblack[6..9] = the four values in
//    raster order of the visible area. Other formats use black + cblack[colour]. LibRaw folds the two
//    only inside dcraw_process (adjust_bl: per-colour excess over the minimum, minimum moved to black),
//    so this reader evaluates black + cblack[COLOR(y,x)] + pattern(y,x) itself, which covers both.
//  - COLOR(y,x) is in visible-area coordinates and numbers the second green of the tile 3.
//  - DNG AsShotNeutral n becomes cam_mul = 1/n (cam_mul[3] = 0); pre_mul is the daylight balance
//    1/rowsum(ColorMatrix·M_sRGB→XYZ); rgb_cam = (row-normalised ColorMatrix·M_sRGB→XYZ)⁻¹, so its
//    rows sum to 1. cam_xyz stays zero for a DNG: the matrix is in dng_color[i].colormatrix.
//  - LibRaw refuses images smaller than 22×22 pixels as "not RAW".
//  - A DNG ActiveArea becomes top/left_margin, but LibRaw moves an odd origin to the next even
//    row/column (dropping one); COLOR() and so `cfa` follow the DNG rule (CFAPattern given at the area
//    origin). The cblack pattern is *not* re-phased: it stays aligned with the sensor origin, and
//    black_pattern reports it as LibRaw applies it.
#include "core/tensor.h"
#include "isp/cfa.h"

#include <Eigen/Core>

#include <array>
#include <string>
#include <vector>

namespace invgfx {

struct RawImage {
  std::string path;  // file it was read from, for messages
  std::string make, model;

  // 1×H×W raw values in DN of the visible (cropped) area, as stored: no black subtraction, no scaling.
  Tensor mosaic;
  CfaPattern cfa = CfaPattern::RGGB;  // layout of the tile at visible (0,0), i.e. after the crop

  // Black level in DN of pixel (y, x) of the visible area:
  //   black_pattern[(y % black_rows) * black_cols + x % black_cols];
  // the period is a multiple of 2×2 so that it also carries the per-colour part.
  int black_rows = 2, black_cols = 2;
  std::vector<float> black_pattern;
  // DN, per 2×2 tile position in raster order; exact when the period is 2×2, else the mean over the
  // pattern of the pixels at that position.
  std::array<float, 4> black_level{0.f, 0.f, 0.f, 0.f};
  float black_min = 0.f;       // DN, smallest black level; LibRaw scales by 1/(white_level - black_min)
  float white_level = 65535.f; // DN, saturation (LibRaw `maximum`, before any data-driven adjustment)

  // As-shot white balance: multipliers for camera R, G, B with green = 1 (LibRaw cam_mul / cam_mul[1]);
  // falls back to daylight_wb when the file has none (has_as_shot_wb = false).
  std::array<float, 3> as_shot_wb{1.f, 1.f, 1.f};
  bool has_as_shot_wb = false;
  std::array<float, 3> daylight_wb{1.f, 1.f, 1.f};  // LibRaw pre_mul / pre_mul[1]

  // Camera RGB (white-balanced) → linear sRGB (LibRaw rgb_cam), rows sum to 1.
  Eigen::Matrix3f cam_to_srgb = Eigen::Matrix3f::Identity();
  // XYZ → camera RGB (Adobe/DNG ColorMatrix) when the file or LibRaw's table has one.
  Eigen::Matrix3f xyz_to_cam = Eigen::Matrix3f::Identity();
  bool has_xyz_to_cam = false;

  // LibRaw flip: 0 none, 3 = 180°, 5 = 90° counter-clockwise, 6 = 90° clockwise (bit 0 mirrors
  // columns, bit 1 mirrors rows, bit 2 transposes, applied to the developed image in that order).
  int flip = 0;
  // Sensor size and the visible area inside it (pixels).
  int raw_width = 0, raw_height = 0;
  int top_margin = 0, left_margin = 0, width = 0, height = 0;

  float iso = 0.f;            // ISO speed, 0 if unknown
  float shutter_s = 0.f;      // exposure time in seconds, 0 if unknown
  float aperture = 0.f;       // f-number, 0 if unknown
  float baseline_exposure = 0.f;  // EV, DNG BaselineExposure (0 if absent)

  // Black level of visible pixel (y, x) in DN.
  float black_at(int64_t y, int64_t x) const {
    return black_pattern[static_cast<size_t>((y % black_rows) * black_cols + x % black_cols)];
  }
};

// Reads a RAW file (any format LibRaw reads: DNG, CR2/CR3, NEF, ARW, …). Throws std::runtime_error with
// a message naming the file when it is missing, unreadable, not a RAW, truncated or corrupt, or when
// it is not a 2×2 Bayer sensor (X-Trans, Foveon, linear DNG, monochrome, 4-colour CMYG, Leaf).
RawImage read_raw(const std::string& path);
// The same from the bytes of a RAW file already in memory; `path` names it in messages (fuzzing and
// tests use this).
RawImage read_raw_memory(const std::string& bytes, const std::string& path);

}  // namespace invgfx
