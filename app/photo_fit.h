// Where a photo goes in the working square (scaled to fit its long side, centred, padded), shared by
// the readers of photo folders (dataset.h) and of multi-view datasets (multiview_dataset.h).
#pragma once

#include "core/tensor.h"

#include <opencv2/core.hpp>

namespace invgfx {

// Where an image of cols × rows goes in an S×S square: scaled to fit, centred. The image itself then
// spans w × h pixels from (left, top); its scale per axis is w / cols and h / rows.
struct Placement {
  float scale = 1.f;
  int w = 0, h = 0, left = 0, top = 0;
};
Placement fit_placement(int cols, int rows, int size);

// Resizes `img` to the placement's w × h and pads it to S×S (area interpolation when shrinking), the
// borders replicating the edge for photos (so no hard frame appears for the losses to fit) or
// constant 0 for masks (border_mode, an OpenCV cv::BorderTypes).
cv::Mat place(const cv::Mat& img, int size, const Placement& p, int border_mode);

// A float HxWxC matrix as a C×H×W tensor, values clamped to [0, 1].
Tensor to_planar(const cv::Mat& m);

}  // namespace invgfx
