#include "isp/raw_binning.h"

#include "isp/develop.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace invgfx {

int working_pitch(double raw_per_grid) {
  const double r = raw_per_grid * 1.005;
  return r < 2 ? 1 : 2 * static_cast<int>(r / 2);
}

RawWindow raw_window_around(const RawImage& raw, double x0, double y0, double x1, double y1, int pitch) {
  auto down_even = [](double v) { return static_cast<int>(std::floor(v / 2)) * 2; };
  RawWindow w;
  w.x0 = std::clamp(down_even(x0), 0, raw.width - raw.width % 2);
  w.y0 = std::clamp(down_even(y0), 0, raw.height - raw.height % 2);
  const int xe = std::clamp(static_cast<int>(std::ceil(x1)), w.x0, raw.width);
  const int ye = std::clamp(static_cast<int>(std::ceil(y1)), w.y0, raw.height);
  w.w = xe - w.x0;
  w.h = ye - w.y0;
  if (pitch > 1) {  // whole superpixels: grow to a multiple of the pitch, back inside if that passes the edge
    w.w = (w.w + pitch - 1) / pitch * pitch;
    w.h = (w.h + pitch - 1) / pitch * pitch;
    while (w.x0 + w.w > raw.width) w.w -= pitch;
    while (w.y0 + w.h > raw.height) w.h -= pitch;
  }
  return w;
}

BinnedRaw bin_raw(const RawImage& raw, const RawWindow& win, int pitch) {
  if (pitch < 1 || (pitch > 1 && pitch % 2 != 0))
    throw std::invalid_argument("bin_raw: pitch must be 1 or even, got " + std::to_string(pitch));
  if (win.y0 < 0 || win.x0 < 0 || win.y0 % 2 || win.x0 % 2 || win.h < pitch || win.w < pitch || win.h % pitch ||
      win.w % pitch || win.y0 + win.h > raw.height || win.x0 + win.w > raw.width)
    throw std::invalid_argument("bin_raw: window " + std::to_string(win.w) + "x" + std::to_string(win.h) + " at (" +
                                std::to_string(win.x0) + ", " + std::to_string(win.y0) + ") does not fit '" + raw.path +
                                "' (" + std::to_string(raw.width) + "x" + std::to_string(raw.height) +
                                ") at pitch " + std::to_string(pitch));
  BinnedRaw b;
  b.pitch = pitch;
  b.window = win;
  b.settings = isp_raw_settings(raw);  // even window offsets keep the CFA phase
  const float* m = raw.mosaic.data();
  const int64_t W = raw.width;
  auto is_clipped = [&](int64_t y, int64_t x) {
    const float black = raw.black_at(y, x);
    return m[y * W + x] - black >= kClipFraction * (raw.white_level - black);
  };

  if (pitch == 1) {
    b.image.resize({1, win.h, win.w});
    Tensor hit({1, win.h, win.w});
    for (int y = 0; y < win.h; ++y)
      for (int x = 0; x < win.w; ++x) {
        b.image[static_cast<int64_t>(y) * win.w + x] = m[(win.y0 + y) * W + win.x0 + x];
        hit[static_cast<int64_t>(y) * win.w + x] = is_clipped(win.y0 + y, win.x0 + x) ? 1.f : 0.f;
      }
    // A demosaiced pixel mixes the 5×5 mosaic around it (Malvar; bilinear uses 3×3).
    b.clipped.resize({1, win.h, win.w});
    b.clipped.zero();
    for (int y = 0; y < win.h; ++y)
      for (int x = 0; x < win.w; ++x) {
        if (hit[static_cast<int64_t>(y) * win.w + x] == 0.f) continue;
        for (int dy = std::max(0, y - 2); dy <= std::min(win.h - 1, y + 2); ++dy)
          for (int dx = std::max(0, x - 2); dx <= std::min(win.w - 1, x + 2); ++dx)
            b.clipped[static_cast<int64_t>(dy) * win.w + dx] = 1.f;
      }
    return b;
  }

  const int64_t h = win.h / pitch, w = win.w / pitch, plane = h * w;
  b.image.resize({3, h, w});
  b.clipped.resize({1, h, w});
  // The black the black/white stage subtracts from channel c of an RGB image: its first tile site.
  std::array<double, 3> stage_black{};
  for (int c = 0; c < 3; ++c)
    stage_black[static_cast<size_t>(c)] = b.settings.black[static_cast<size_t>(cfa_tile_index_of(raw.cfa, c))];
  const int64_t H = raw.height;
  // Weight of the sample at offset d (−1, 0 or +1 raw pixels) in a bilinear interpolation of a colour
  // whose samples are 2 apart: the tent 1, ½.
  auto tent = [](int64_t d) { return d == 0 ? 1.0 : (d == 1 || d == -1) ? 0.5 : 0.0; };
#pragma omp parallel for schedule(static) if (plane >= 4096)
  for (int64_t by = 0; by < h; ++by)
    for (int64_t bx = 0; bx < w; ++bx) {
      const int64_t ya = win.y0 + by * pitch, yb = ya + pitch, xa = win.x0 + bx * pitch, xb = xa + pitch;
      double sum[3] = {0, 0, 0}, wsum[3] = {0, 0, 0};
      bool clip = false;
      // Every sample within one pixel of the block, weighted by how much it contributes to the block's
      // bilinear demosaic: red and blue through separable tents; green by itself inside the block plus
      // a quarter for each of its 4-neighbours in the block that is not green.
      for (int64_t y = std::max<int64_t>(0, ya - 1); y < std::min(H, yb + 1); ++y)
        for (int64_t x = std::max<int64_t>(0, xa - 1); x < std::min(W, xb + 1); ++x) {
          const int c = cfa_colour_at(raw.cfa, static_cast<int>(y), static_cast<int>(x));
          double wt = 0;
          if (c != 1) {
            double wx = 0, wy = 0;
            for (int64_t q = xa; q < xb; ++q) wx += tent(q - x);
            for (int64_t q = ya; q < yb; ++q) wy += tent(q - y);
            wt = wx * wy;
          } else {
            const bool in = y >= ya && y < yb && x >= xa && x < xb;
            wt = in ? 1.0 : 0.0;
            const int64_t ny[4] = {y - 1, y + 1, y, y}, nx[4] = {x, x, x - 1, x + 1};
            for (int k = 0; k < 4; ++k)
              if (ny[k] >= ya && ny[k] < yb && nx[k] >= xa && nx[k] < xb) wt += 0.25;
          }
          if (wt <= 0) continue;
          sum[c] += wt * (m[y * W + x] - raw.black_at(y, x));
          wsum[c] += wt;
          clip = clip || is_clipped(y, x);
        }
      const int64_t i = by * w + bx;
      for (int c = 0; c < 3; ++c)
        b.image[c * plane + i] = static_cast<float>(sum[c] / wsum[c] + stage_black[static_cast<size_t>(c)]);
      b.clipped[i] = clip ? 1.f : 0.f;
    }
  return b;
}

IspPipeline binned_pipeline(const BinnedRaw& binned, const nlohmann::json& isp_config) {
  IspPipeline isp = make_develop_pipeline(binned.settings, isp_config);
  if (binned.pitch > 1)
    if (auto* d = isp.stage("demosaic")) d->set_enabled(false);
  return isp;
}

Tensor develop_binned(const BinnedRaw& binned, const nlohmann::json& isp_config) {
  IspPipeline isp = binned_pipeline(binned, isp_config);
  Tensor out;
  isp.forward(binned.image, out);
  if (out.rank() != 3 || out.dim(0) != 3)
    throw std::invalid_argument("develop_binned: the ISP produced " + out.shape().str() + ", expected 3×H×W");
  return out;
}

}  // namespace invgfx
