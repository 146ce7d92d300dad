// Implementation of app/gui/panel_image.h.
#include "app/gui/panel_image.h"

#include "core/srgb_transfer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace invgfx {
namespace {

uint8_t to_byte(float v) {
  return static_cast<uint8_t>(std::lround(std::clamp(v, 0.f, 1.f) * 255.f));
}

float encode_srgb(float x) { return srgb_encode(std::clamp(x, 0.f, 1.f)); }

void check_image(const Tensor& t, int channels, const char* what) {
  if (t.rank() != 3 || t.dim(0) != channels)
    throw std::invalid_argument(std::string("panel image: ") + what + " must be " +
                                std::to_string(channels) + "×H×W");
}

template <class F>
void map_rgb(const Tensor& t, Rgba8Image& out, F&& f) {
  check_image(t, 3, "an RGB image");
  const int h = static_cast<int>(t.dim(1)), w = static_cast<int>(t.dim(2));
  out.resize(w, h);
  const int64_t plane = static_cast<int64_t>(w) * h;
  const float* r = t.data();
  const float* g = r + plane;
  const float* b = g + plane;
  for (int64_t i = 0; i < plane; ++i) {
    out.pixels[4 * i + 0] = to_byte(f(r[i]));
    out.pixels[4 * i + 1] = to_byte(f(g[i]));
    out.pixels[4 * i + 2] = to_byte(f(b[i]));
    out.pixels[4 * i + 3] = 255;
  }
}

}  // namespace

void srgb_to_rgba(const Tensor& srgb, Rgba8Image& out) {
  map_rgb(srgb, out, [](float v) { return v; });
}

void linear_to_rgba(const Tensor& linear, Rgba8Image& out) { map_rgb(linear, out, encode_srgb); }

void inferno(float t, float rgb[3]) {
  // Polynomial approximation of matplotlib's inferno by Matt Zucker (CC0), degree 6 per channel.
  t = std::clamp(t, 0.f, 1.f);
  static const float c[7][3] = {{0.000218940f, 0.001651004f, -0.019480899f},
                                {0.106513079f, 0.563956947f, 3.932712388f},
                                {11.60249308f, -3.972853966f, -15.94239411f},
                                {-41.70399613f, 17.43639889f, 44.35414520f},
                                {77.16293570f, -33.40235894f, -81.80730926f},
                                {-71.31942825f, 32.62606426f, 73.20951985f},
                                {25.13112623f, -12.24266895f, -23.07032500f}};
  for (int ch = 0; ch < 3; ++ch) {
    float v = c[6][ch];
    for (int k = 5; k >= 0; --k) v = v * t + c[k][ch];
    rgb[ch] = std::clamp(v, 0.f, 1.f);
  }
}

void heat_to_rgba(const Tensor& error, float max_value, Rgba8Image& out) {
  check_image(error, 1, "the error");
  const int h = static_cast<int>(error.dim(1)), w = static_cast<int>(error.dim(2));
  out.resize(w, h);
  const float scale = max_value > 0 ? 1.f / max_value : 1.f;
  for (int64_t i = 0; i < static_cast<int64_t>(w) * h; ++i) {
    float rgb[3];
    inferno(error[i] * scale, rgb);
    for (int ch = 0; ch < 3; ++ch) out.pixels[4 * i + ch] = to_byte(rgb[ch]);
    out.pixels[4 * i + 3] = 255;
  }
}

void silhouette_to_rgba(const Tensor& silhouette, const Tensor& mask, Rgba8Image& out) {
  check_image(silhouette, 1, "the silhouette");
  const bool has_mask = !mask.empty();
  if (has_mask && mask.numel() != silhouette.numel())
    throw std::invalid_argument("panel image: mask and silhouette differ in size");
  const int h = static_cast<int>(silhouette.dim(1)), w = static_cast<int>(silhouette.dim(2));
  out.resize(w, h);
  // Soft confusion colours: both = light grey, render only (spill) = orange, mask only (miss) = blue.
  static const float both[3] = {0.85f, 0.85f, 0.85f}, spill[3] = {1.f, 0.55f, 0.1f}, miss[3] = {0.2f, 0.45f, 0.95f};
  for (int64_t i = 0; i < static_cast<int64_t>(w) * h; ++i) {
    const float a = std::clamp(silhouette[i], 0.f, 1.f);
    const float m = has_mask ? std::clamp(mask[i], 0.f, 1.f) : 0.f;
    const float tp = a * m, fp = a * (1 - m), fn = m * (1 - a);
    for (int ch = 0; ch < 3; ++ch)
      out.pixels[4 * i + ch] = to_byte(has_mask ? tp * both[ch] + fp * spill[ch] + fn * miss[ch] : a * both[ch]);
    out.pixels[4 * i + 3] = 255;
  }
}

float percentile(const Tensor& t, double q) {
  if (t.empty()) return 0.f;
  std::vector<float> v(t.begin(), t.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace invgfx
