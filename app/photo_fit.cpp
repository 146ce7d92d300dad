// Implementation of app/photo_fit.h.
#include "app/photo_fit.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace invgfx {

Placement fit_placement(int cols, int rows, int size) {
  Placement p;
  p.scale = static_cast<float>(size) / static_cast<float>(std::max(cols, rows));
  p.w = std::max(1, static_cast<int>(std::lround(cols * p.scale)));
  p.h = std::max(1, static_cast<int>(std::lround(rows * p.scale)));
  p.left = (size - p.w) / 2;
  p.top = (size - p.h) / 2;
  return p;
}

cv::Mat place(const cv::Mat& img, int size, const Placement& p, int border_mode) {
  cv::Mat resized;
  const bool shrink = p.w < img.cols || p.h < img.rows;
  cv::resize(img, resized, cv::Size(p.w, p.h), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Mat out;
  cv::copyMakeBorder(resized, out, p.top, size - p.h - p.top, p.left, size - p.w - p.left, border_mode,
                     cv::Scalar::all(0));
  return out;
}

Tensor to_planar(const cv::Mat& m) {
  const int c = m.channels();
  Tensor t({c, m.rows, m.cols});
  for (int y = 0; y < m.rows; ++y) {
    const float* row = m.ptr<float>(y);
    for (int x = 0; x < m.cols; ++x)
      for (int k = 0; k < c; ++k) t.at(k, y, x) = std::clamp(row[x * c + k], 0.f, 1.f);
  }
  return t;
}

}  // namespace invgfx
