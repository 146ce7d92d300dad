// What the dashboard's image panels show, as 8-bit RGBA pixels built from the loop's tensors
// (planar float, C×S×S). Qt- and GL-free, so the colour mapping is tested on its own.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <vector>

namespace invgfx {

struct Rgba8Image {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // row-major RGBA, row 0 at the top
  bool empty() const { return width == 0 || height == 0; }
  void resize(int w, int h) {
    width = w;
    height = h;
    pixels.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 4);
  }
};

// 3×H×W sRGB-encoded values in [0, 1] (clamped) → RGBA.
void srgb_to_rgba(const Tensor& srgb, Rgba8Image& out);
// 3×H×W linear values → sRGB-encoded RGBA (IEC 61966-2-1 transfer function).
void linear_to_rgba(const Tensor& linear, Rgba8Image& out);
// 1×H×W error → heat map (perceptually ordered "inferno"-like ramp), `max_value` maps to the top.
void heat_to_rgba(const Tensor& error, float max_value, Rgba8Image& out);
// Silhouette (1×H×W alpha) against the mask, as soft confusion colours: light grey where both cover
// a pixel, orange where only the render does (spill), blue where only the mask does (miss). Without
// a mask, the silhouette alone in grey.
void silhouette_to_rgba(const Tensor& silhouette, const Tensor& mask, Rgba8Image& out);
// 3×H×W linear albedo texture → sRGB RGBA (the 3D view's texture).
inline void texture_to_rgba(const Tensor& texture, Rgba8Image& out) { linear_to_rgba(texture, out); }

// The q-quantile (q ∈ [0, 1]) of a tensor's values (0 for an empty one); the heat map's auto scale.
float percentile(const Tensor& t, double q);

// The "inferno" ramp at t ∈ [0, 1], RGB in [0, 1] (polynomial fit of matplotlib's colormap).
void inferno(float t, float rgb[3]);

}  // namespace invgfx
