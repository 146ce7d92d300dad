// Implementation of core/metrics.h.
#include "core/metrics.h"

#include "core/ssim_loss.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace invgfx {

template <class T>
double psnr(const TensorT<T>& a, const TensorT<T>& b, int border, double peak) {
  if (a.shape() != b.shape() || a.rank() < 2)
    throw std::invalid_argument("psnr: the images differ in shape or are not images: " + a.shape().str() + " vs " +
                                b.shape().str());
  const Dims4 d = as4d(a.shape());
  if (border < 0 || d.h <= 2 * border || d.w <= 2 * border)
    throw std::invalid_argument("psnr: a border of " + std::to_string(border) + " px leaves nothing of " +
                                a.shape().str());
  double se = 0.0;
  int64_t n = 0;
  for (int64_t p = 0; p < d.n * d.c; ++p)
    for (int64_t y = border; y < d.h - border; ++y) {
      const T* ra = a.data() + (p * d.h + y) * d.w;
      const T* rb = b.data() + (p * d.h + y) * d.w;
      for (int64_t x = border; x < d.w - border; ++x) {
        const double e = static_cast<double>(ra[x]) - static_cast<double>(rb[x]);
        se += e * e;
      }
      n += d.w - 2 * border;
    }
  if (se == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak / (se / static_cast<double>(n)));
}

template double psnr<float>(const Tensor&, const Tensor&, int, double);
template double psnr<double>(const TensorD&, const TensorD&, int, double);

double ssim(const Tensor& a, const Tensor& b) {
  SsimLoss loss;
  return 1.0 - static_cast<double>(loss.forward(a, b, {}));
}

double mask_iou(const Tensor& a, const Tensor& b, float threshold) {
  if (a.numel() != b.numel())
    throw std::invalid_argument("mask_iou: masks of " + a.shape().str() + " and " + b.shape().str());
  int64_t inter = 0, uni = 0;
  for (int64_t k = 0; k < a.numel(); ++k) {
    const bool x = a[k] > threshold, y = b[k] > threshold;
    inter += x && y;
    uni += x || y;
  }
  return uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
}

}  // namespace invgfx
