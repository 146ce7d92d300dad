// Implementation of app/fit_metrics.h.
#include "app/fit_metrics.h"

#include "core/metrics.h"

#include <cmath>

namespace invgfx {

void FitMetrics::add_photo(const std::string& path, const Tensor& render, const Tensor& alpha, const Tensor& photo,
                           const Tensor& mask, const LossValues& photo_terms, double photo_loss) {
  if (photos.empty()) terms.fill(0.0);
  PhotoMetrics pm;
  pm.path = path;
  pm.loss = photo_loss;
  pm.psnr = invgfx::psnr(render, photo);
  pm.ssim = invgfx::ssim(render, photo);
  if (!mask.empty()) pm.iou = mask_iou(alpha, mask);
  for (size_t t = 0; t < terms.size(); ++t) terms[t] += photo_terms[t];  // NaN stays NaN: the term is off
  photos.push_back(pm);
}

void FitMetrics::finish() {
  const double n = static_cast<double>(photos.size());
  int with_mask = 0;
  double iou_sum = 0;
  loss = psnr = ssim = 0;
  for (const PhotoMetrics& p : photos) {
    loss += p.loss;
    psnr += p.psnr;
    ssim += p.ssim;
    if (p.iou >= 0) {
      iou_sum += p.iou;
      ++with_mask;
    }
  }
  if (n > 0) {
    loss /= n;
    psnr /= n;
    ssim /= n;
    for (double& t : terms) t /= n;
  }
  iou = with_mask ? iou_sum / with_mask : -1;
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json FitMetrics::to_json() const {
  nlohmann::json t = nlohmann::json::object();
  for (int k = 0; k < kNumLossTerms; ++k)
    if (std::isfinite(terms[static_cast<size_t>(k)])) t[loss_terms()[static_cast<size_t>(k)].name] = terms[static_cast<size_t>(k)];
  nlohmann::json ps = nlohmann::json::array();
  for (const PhotoMetrics& p : photos)
    ps.push_back({{"path", p.path}, {"loss", json_number(p.loss)}, {"psnr", json_number(p.psnr)}, {"ssim", p.ssim},
                  {"iou", p.iou}});
  return {{"loss", json_number(loss)},
          {"terms", t},
          {"psnr", json_number(psnr)},
          {"ssim", ssim},
          {"iou", iou},
          {"iterations_per_second", iterations_per_second},
          {"iterations", iterations},
          {"photos", ps}};
}

}  // namespace invgfx
