// Synthetic RAW + camera-JPEG pairs with a known camera look, for the calibration tests (tests/isp and
// the CLI tests in tests/app).
//
// A scene (one of the bundled photos, shrunk by area averaging) is unprocessed (Brooks et al. 2019,
// isp/unprocess.h) through the RAW's own metadata-only development into a Bayer mosaic in DN, with a
// little read noise and the sensor clipping at its white level, and written as a DNG. Its "camera
// JPEG" is that DNG developed by a known, non-trivial camera ISP — a colour matrix that is not the
// metadata's (more saturated, warmer, brighter: rows not summing to 1), a 64-knot S-curve with a toe and a
// highlight shoulder in display space, extra saturation and unsharp masking — cropped by a few pixels
// like a camera's JPEG and encoded at quality 95. The calibration must find that look again.
#pragma once

#include "core/random.h"
#include "isp/develop.h"
#include "isp/dng_writer.h"
#include "isp/jpeg_io.h"
#include "isp/raw_file.h"
#include "isp/unprocess.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace invgfx::synthetic {

// The camera's S-curve in display space: a logistic normalised to pass through (0, 0) and (1, 1).
inline double camera_curve(double x) {
  auto s = [](double v) { return 1 / (1 + std::exp(-7 * (v - 0.42))); };
  return (s(x) - s(0)) / (s(1) - s(0));
}

// The camera's colour rendition on top of the RAW's own camera→sRGB matrix: more saturated with a
// slight hue twist (rows summing to 1), after a warm tint of the as-shot white balance, 8 % brighter.
inline Eigen::Matrix3d camera_rendition() {
  Eigen::Matrix3d a;
  a << 1.12, -0.09, -0.03,  //
      -0.04, 1.08, -0.04,   //
      0.02, -0.10, 1.08;
  return a;
}
constexpr double kCameraTint[3] = {1.05, 1.0, 0.95};
constexpr double kCameraExposure = 1.08;
inline Eigen::Matrix3d camera_look_matrix() {
  return kCameraExposure * camera_rendition() *
         Eigen::Vector3d(kCameraTint[0], kCameraTint[1], kCameraTint[2]).asDiagonal();
}

constexpr double kCameraSaturation = 1.15;
constexpr double kCameraSharpenAmount = 0.7, kCameraSharpenSigma = 1.0;

// The camera ISP as an IspPipeline JSON for make_develop_pipeline: the RAW's levels and as-shot WB,
// then the look above (`matrix` = camera→sRGB of the look, row-major).
inline nlohmann::json camera_isp_json(const std::array<double, 9>& matrix) {
  std::vector<double> knots(65);
  for (int k = 0; k <= 64; ++k) knots[static_cast<size_t>(k)] = camera_curve(k / 64.0);
  return {{"stages",
           {{{"stage", "black_white_level"}},
            {{"stage", "white_balance"}, {"params", {{"clip_highlights", true}}}},
            {{"stage", "demosaic"}, {"params", {{"method", "malvar"}}}},
            {{"stage", "color_matrix"}, {"params", {{"matrix", matrix}, {"rows_sum_to_one", false}}}},
            {{"stage", "srgb"}},
            {{"stage", "tone_curve"}, {"params", {{"kind", "pwl"}, {"knots", 64}, {"values", knots}}}},
            {{"stage", "saturation"}, {"params", {{"saturation", kCameraSaturation}}}},
            {{"stage", "sharpen"}, {"params", {{"amount", kCameraSharpenAmount}, {"sigma", kCameraSharpenSigma}}}}}}};
}

// The camera's look matrix for a RAW: its metadata matrix times camera_look_matrix().
inline std::array<double, 9> camera_matrix_for(const RawImage& raw) {
  const Eigen::Matrix3d m = raw.cam_to_srgb.cast<double>() * camera_look_matrix();
  std::array<double, 9> out{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) out[static_cast<size_t>(3 * r + c)] = m(r, c);
  return out;
}

#ifdef INVGFX_SOURCE_DIR
// A bundled photo (assets/samples/NAME.jpg, 512×512) shrunk by a whole factor, sRGB 3×H×W.
inline Tensor sample_scene(const std::string& name, int shrink) {
  const JpegImage img = read_jpeg(std::string(INVGFX_SOURCE_DIR) + "/assets/samples/" + name + ".jpg");
  const int64_t h = img.rgb.dim(1) / shrink, w = img.rgb.dim(2) / shrink;
  Tensor out({3, h, w});
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double s = 0;
        for (int dy = 0; dy < shrink; ++dy)
          for (int dx = 0; dx < shrink; ++dx) s += img.rgb.at(c, y * shrink + dy, x * shrink + dx);
        out.at(c, y, x) = static_cast<float>(s / (shrink * shrink));
      }
  return out;
}
#endif

inline DngMetadata camera_metadata(const std::array<double, 3>& as_shot_neutral, int orientation) {
  DngMetadata md;
  md.cfa = CfaPattern::RGGB;
  md.black_level = {256, 256, 256, 256};
  md.white_level = 16383;
  md.color_matrix << 0.6722, -0.0635, -0.0963, -0.4287, 1.2460, 0.2028, -0.0908, 0.2162, 0.5668;
  md.as_shot_neutral = as_shot_neutral;
  md.orientation = orientation;
  md.make = "Acme";
  md.model = "Synthetic 1";
  md.unique_camera_model = "Acme Synthetic 1";
  return md;
}

// Writes `path` as a DNG whose metadata-only development is `scene` (up to noise and clipping), with
// `preview` (JPEG bytes) embedded when not empty. Returns the RAW as read back.
inline RawImage write_scene_dng(const std::string& path, const Tensor& scene, DngMetadata md,
                                const std::string& preview = "", uint64_t seed = 1) {
  // LibRaw is the authority on what the metadata means: write a placeholder, read its settings back.
  write_dng(path, Tensor(Shape{1, scene.dim(1), scene.dim(2)}, 1000.f), md);
  IspPipeline neutral = make_develop_pipeline(read_raw(path), nlohmann::json());
  Tensor mosaic;
  unprocess(neutral, scene, mosaic);
  Rng rng(seed);
  for (float& v : mosaic)
    v = std::clamp(v + 2.f * static_cast<float>(rng.normal()), 0.f, static_cast<float>(md.white_level));
  md.preview_jpeg = preview;
  write_dng(path, mosaic, md);
  return read_raw(path);
}

// The camera's JPEG of a RAW: its development by camera_isp_json, oriented, then the camera's crop of
// `crop` pixels on every side.
inline Tensor camera_picture(const RawImage& raw, int crop) {
  DevelopConfig dc;
  dc.isp = camera_isp_json(camera_matrix_for(raw));
  const Tensor full = develop(raw, dc);
  const int64_t h = full.dim(1) - 2 * crop, w = full.dim(2) - 2 * crop;
  Tensor out({3, h, w});
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) out.at(c, y, x) = full.at(c, y + crop, x + crop);
  return out;
}

}  // namespace invgfx::synthetic
