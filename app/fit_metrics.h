// How well a fit explains its photos, evaluated at the current parameters without changing them:
// per photo the loss (its terms plus the camera's), PSNR, SSIM and mask IoU of the render against
// the photo (core/metrics.h, sRGB, over the whole working square), PSNR over the object alone
// (psnr_object: the pixels inside the mask or the render's silhouette, so a background the scene
// does not model does not hold it down), and their means.
//
// metrics.json is FitMetrics::to_json(). PSNR of a render identical to its photo is +∞; JSON has no
// infinity, so it is written as null (a mean over photos of which one is +∞ is +∞ too).
#pragma once

#include "app/loss_terms.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace invgfx {

struct PhotoMetrics {
  std::string path;
  double loss = 0;
  double psnr = 0;   // dB, render vs photo, sRGB, whole working square; +∞ when identical
  double psnr_object = 0;  // dB, over the pixels inside mask ∪ silhouette (> 0.5); NaN when there are none
  double ssim = 0;
  double iou = -1;   // render silhouette (alpha > 0.5) vs mask (> 0.5); −1 without a mask
};

struct FitMetrics {
  double loss = 0;                      // mean total loss over photos
  LossValues terms{};                   // mean weighted terms over photos; NaN where a term is off
  std::vector<PhotoMetrics> photos;
  double psnr = 0, ssim = 0, iou = -1;  // means (iou over photos with masks; −1 if none)
  double psnr_object = 0;               // mean over photos where it is defined
  double iterations_per_second = 0;     // over the steps run by this loop object
  int64_t iterations = 0;

  // Adds one photo: its render (sRGB), silhouette, photo and mask (empty without), its weighted terms
  // (the camera's terms included) and their total.
  void add_photo(const std::string& path, const Tensor& render, const Tensor& alpha, const Tensor& photo,
                 const Tensor& mask, const LossValues& photo_terms, double loss);
  // Turns the sums of add_photo into means.
  void finish();

  nlohmann::json to_json() const;
};

// PSNR (dB, peak 1) of render vs photo (C×H×W) over the pixels where alpha > 0.5 or mask > 0.5 (mask
// may be empty); +∞ when they agree there, NaN when no pixel is inside.
double object_psnr(const Tensor& render, const Tensor& photo, const Tensor& alpha, const Tensor& mask);

// A number as JSON: itself when finite, null otherwise (JSON has no infinity or NaN).
nlohmann::json json_number(double v);

}  // namespace invgfx
