// Implementation of app/fit_metrics.h.
#include "app/fit_metrics.h"

#include "core/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace invgfx {

void FitMetrics::add_photo(const std::string& path, const Tensor& render, const Tensor& alpha, const Tensor& photo,
                           const Tensor& mask, const LossValues& photo_terms, double photo_loss) {
  if (photos.empty()) terms.fill(0.0);
  PhotoMetrics pm;
  pm.path = path;
  pm.loss = photo_loss;
  pm.psnr = invgfx::psnr(render, photo);
  pm.ssim = invgfx::ssim(render, photo);
  pm.psnr_object = object_psnr(render, photo, alpha, mask);
  if (!mask.empty()) pm.iou = mask_iou(alpha, mask);
  for (size_t t = 0; t < terms.size(); ++t) terms[t] += photo_terms[t];  // NaN stays NaN: the term is off
  photos.push_back(pm);
}

void FitMetrics::finish() {
  const double n = static_cast<double>(photos.size());
  int with_mask = 0, with_object = 0;
  double iou_sum = 0, object_sum = 0;
  loss = psnr = ssim = 0;
  for (const PhotoMetrics& p : photos) {
    loss += p.loss;
    psnr += p.psnr;
    ssim += p.ssim;
    if (!std::isnan(p.psnr_object)) {
      object_sum += p.psnr_object;
      ++with_object;
    }
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
  psnr_object = with_object ? object_sum / with_object : std::numeric_limits<double>::quiet_NaN();
}

double object_psnr(const Tensor& render, const Tensor& photo, const Tensor& alpha, const Tensor& mask) {
  const int64_t plane = alpha.numel(), channels = render.numel() / std::max<int64_t>(plane, 1);
  double se = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < plane; ++i) {
    if (!(alpha[i] > 0.5f || (!mask.empty() && mask[i] > 0.5f))) continue;
    for (int64_t c = 0; c < channels; ++c) {
      const double d = static_cast<double>(render[c * plane + i]) - photo[c * plane + i];
      se += d * d;
    }
    n += channels;
  }
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return se == 0 ? std::numeric_limits<double>::infinity() : 10 * std::log10(static_cast<double>(n) / se);
}

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json FitMetrics::to_json() const {
  nlohmann::json t = nlohmann::json::object();
  for (int k = 0; k < kNumLossTerms; ++k)
    if (std::isfinite(terms[static_cast<size_t>(k)])) t[loss_terms()[static_cast<size_t>(k)].name] = terms[static_cast<size_t>(k)];
  nlohmann::json ps = nlohmann::json::array();
  for (const PhotoMetrics& p : photos)
    ps.push_back({{"path", p.path}, {"loss", json_number(p.loss)}, {"psnr", json_number(p.psnr)},
                  {"psnr_object", json_number(p.psnr_object)}, {"ssim", p.ssim},
                  {"iou", p.iou}});
  return {{"loss", json_number(loss)},
          {"terms", t},
          {"psnr", json_number(psnr)},
          {"psnr_object", json_number(psnr_object)},
          {"ssim", ssim},
          {"iou", iou},
          {"iterations_per_second", iterations_per_second},
          {"iterations", iterations},
          {"photos", ps}};
}

}  // namespace invgfx
