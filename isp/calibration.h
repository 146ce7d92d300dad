#pragma once
// ISP calibration: fits the differentiable ISP so that developing a camera's RAWs reproduces the JPEGs
// the camera made of them — its colour, tone curve, saturation and sharpening — the way camera and ISP
// engineers tune an ISP against a target (hardware-in-the-loop tuning, Mosleh et al., CVPR 2020; with
// differentiable proxies, Tseng et al., SIGGRAPH 2019), here with the ISP's own exact gradients.
//
// The calibrated pipeline, per pair (isp/calibration_pair.h prepares the pairs):
//   black/white level → white balance → demosaic (Malvar) → [denoise] → colour matrix → sRGB
//     → tone curve → saturation → sharpen
// The tone curve, saturation and sharpening come after the sRGB transfer, where cameras apply their
// picture style: uniform knots in display space resolve the toe and the highlight shoulder of an
// S-curve (in linear space the darkest fifth of the display range would fall in the first knot), and
// the curve is the learnable encoding beyond the fixed sRGB one.
//
// What is shared and what is per shot. One camera's JPEG look is one ISP: every fitted parameter is
// shared by all pairs. The white balance is per shot: the camera chose it when it took the picture and
// recorded it as the as-shot WB, which each RAW's metadata gives and the calibration keeps. Fitting
// `white_balance` fits one correction shared by all shots (the camera's systematic warmth or tint),
// applied on top of each as-shot WB.
//
// Gauge. A colour matrix that may scale greys and a tone curve after it describe the same look in
// many ways (a brighter matrix and a darker curve), so the fit would wander along that valley and its
// parameters would mean nothing. The matrix keeps its rows summing to 1 (greys stay grey, 6 degrees of
// freedom: the colour rendition), the white-balance correction carries the camera's tint (2), and the
// tone curve carries exposure and contrast. The written isp.json folds the correction into the matrix
// (M·diag(g), rows then free), which develop applies after each RAW's as-shot WB.
//
// The loss on the fitted tiles: Charbonnier (robust; core/charbonnier_loss.h) + ssim_weight·(1 − SSIM)
// (core/ssim_loss.h), with clipped pixels left out; SSIM only where its window stays inside the fitted
// tiles, so no held-out pixel of the target reaches the fit. Adam with a cosine schedule. Figures —
// PSNR and mean ΔE₀₀ (isp/ciede2000.h) — before (the RAW's metadata alone, isp/develop.h) and after,
// on the fitted and on the held-out tiles, per pair and over all pairs.
#include "isp/calibration_pair.h"
#include "isp/pipeline.h"

#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace invgfx {

// Stages the calibration can fit (CalibrationOptions::stages).
const std::vector<std::string>& calibration_stage_names();

struct CalibrationOptions {
  std::vector<std::string> stages = {"white_balance", "color_matrix", "tone_curve", "saturation", "sharpen"};  // fitted; see above
  int iterations = 300;       // Adam steps, each over every pair; [1, 100000]; default 300
  int knots = 32;             // tone-curve segments; [16, 64]; default 32
  double lr = 0.05;           // base learning rate (per-parameter multiples in calibration.cpp); (0, 1]; default 0.05
  double ssim_weight = 0.2;   // weight of 1 − SSIM beside the Charbonnier term; [0, 10]; default 0.2
  CalibrationPairOptions pair;  // working size, tiles, alignment thresholds

  // Throws std::invalid_argument naming the option out of range or the unknown stage.
  void check() const;
};

// PSNR (peak 1) over the compared channel values and mean ΔE₀₀ over the pixels compared in all three
// channels (`pixels` of them).
struct CalibrationFigures {
  double psnr = 0;
  double delta_e = 0;
  int64_t pixels = 0;
};

struct CalibrationPairFigures {
  CalibrationFigures fit, held_out;
};

// What the GUI and the report show of a pair; 3×gh×gw sRGB images (clipped to [0, 1]) on the grid.
struct CalibrationImages {
  Tensor neutral, target, calibrated;
  Tensor delta_e;  // 1×gh×gw, ΔE₀₀ of calibrated vs target
  Tensor valid;    // 1×gh×gw, 1 where all three channels are compared (either split)
};

class Calibration {
 public:
  // Loads and checks every pair before anything is fitted (the pairs must come from one camera).
  // `log` receives a line per pair as it is read and aligned. Throws std::runtime_error with one line
  // naming the file and the problem, std::invalid_argument for bad options.
  Calibration(const std::vector<CalibrationPairSpec>& specs, const CalibrationOptions& options,
              const std::function<void(const std::string&)>& log = {});
  ~Calibration();

  // One Adam step over all pairs; returns the loss (mean over the pairs). Allocates nothing after
  // the first step.
  double step();
  int64_t iteration() const { return iteration_; }
  // The loss of the current parameters (what step() minimises), with its gradients in every
  // parameter's grad when asked; and the parameters the fit optimises (those of the fitted stages,
  // named "<stage>.<field>", and the tint "white_balance.tint").
  double loss(bool gradients);
  const std::vector<Parameter*>& parameters() const;
  const CalibrationOptions& options() const { return options_; }
  size_t size() const { return pairs_.size(); }
  const CalibrationPair& pair(size_t i) const { return *pairs_[i]; }

  // Figures of pair i with the metadata-only development and with the current ISP.
  CalibrationPairFigures before(size_t i);
  CalibrationPairFigures after(size_t i);
  // Over all pairs (pixels pooled).
  CalibrationPairFigures before_overall();
  CalibrationPairFigures after_overall();
  CalibrationImages images(size_t i);

  // The fitted ISP as an IspPipeline JSON for `develop --isp`, a fit's "isp" config and the GUI: the
  // RAW's metadata fills black/white level, white balance (and the colour matrix unless fitted);
  // sharpening and denoising radii are scaled from the working pitch to full resolution.
  nlohmann::json isp_json();
  // The fitted tone curve's knots Y_0..Y_K (display space) and colour matrix (row-major).
  std::vector<double> tone_curve_knots();
  std::array<double, 9> color_matrix();
  // The shared white-balance correction (R, G, B gains on top of each as-shot WB; 1 when not fitted).
  std::array<double, 3> white_balance_correction();

 private:
  struct Slot;
  void develop(size_t i, bool calibrated, Tensor& out);
  CalibrationPairFigures figures(size_t i, bool calibrated);
  CalibrationPairFigures pooled(bool calibrated);

  CalibrationOptions options_;
  std::vector<std::unique_ptr<CalibrationPair>> pairs_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<IspPipeline> master_;  // the shared parameters and their gradients
  struct Fit;
  std::unique_ptr<Fit> fit_;
  int64_t iteration_ = 0;
};

// The calibration's pipeline configuration (the stage list above) with the given stages learnable.
nlohmann::json calibration_isp_json(const CalibrationOptions& options);

}  // namespace invgfx
