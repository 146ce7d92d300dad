#pragma once
// What a calibration leaves on disk (isp/calibration.h):
//  - isp.json: the fitted IspPipeline JSON, which `invgfx-cli develop --isp`, a fit's "isp" config and
//    the GUI load;
//  - calibration.json: the settings, each pair's target, geometry and left-out pixels, PSNR and mean
//    ΔE₀₀ before (metadata only) and after, on the fitted and the held-out tiles, per pair and over
//    all pairs, the loss curve and the fitted look (tint, matrix, tone curve, saturation, sharpening);
//  - per pair, <RAW stem>_calibration.png: neutral development | camera JPEG | calibrated development
//    | error (ΔE₀₀: black 0, red 5, yellow 10, white ≥ 20; dimmed and tinted blue where a pixel is
//    left out of the figures — clipped in the RAW or in a channel of the JPEG), on the working grid.
// Everything is computed before the first file is written, and every file is written atomically
// (core/atomic_file.h), so a failure leaves no half-written file, only whole ones or none.
#include "isp/calibration.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace invgfx {

struct CalibrationRun {
  double seconds = 0;            // wall time of the fit
  std::vector<double> losses;    // loss of every iteration
  bool interrupted = false;      // stopped before its iterations were done
};

// The report above as JSON (`pictures` names each pair's PNG, in pair order).
nlohmann::ordered_json calibration_report_json(Calibration& cal, const CalibrationRun& run, const std::string& isp_path,
                                       const std::vector<std::string>& pictures);

// The ΔE₀₀ heat map of a pair as an sRGB 3×gh×gw image (the colours above).
Tensor calibration_error_image(const CalibrationImages& images);
// neutral | target | calibrated | ΔE₀₀ heat map, 3×gh×(4·gw + 3·gap) with grey gaps.
Tensor calibration_side_by_side(const CalibrationImages& images);

// The file names the pictures of the pairs get in report_dir: <RAW stem>_calibration.png, made
// unique with _2, _3 … when two RAWs share a stem.
std::vector<std::string> calibration_picture_paths(const Calibration& cal, const std::string& report_dir);

// Writes the pictures, calibration.json (in report_dir) and isp_path. Throws std::runtime_error
// naming the path that could not be written. Returns the paths written, isp.json last.
std::vector<std::string> write_calibration(Calibration& cal, const CalibrationRun& run, const std::string& isp_path,
                                           const std::string& report_dir);

}  // namespace invgfx
