// Implementation of app/config_budget.h.
#include "app/config_budget.h"

#include "app/loop_config.h"
#include "core/limits.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace invgfx {

namespace {

void require_at_most(int64_t value, int64_t limit, const std::string& field, const std::string& why) {
  if (value > limit)
    throw std::invalid_argument("config: field '" + field + "' = " + std::to_string(value) +
                                " is above the limit of " + std::to_string(limit) + " (" + why + ")");
}

}  // namespace

ConfigBudget check_config_budget(const LoopConfig& c, int64_t vertices) {
  using namespace limits;
  const std::string width_why = "network widths above it exhaust the memory of a desktop";
  require_at_most(c.render.size, kMaxWorkingSize, "render.size", "a step would take minutes");
  require_at_most(c.decoder.texture_size, kMaxTextureSize, "decoder.texture_size", "a texture above it needs GiBs");
  require_at_most(c.decoder.code_size, kMaxNetworkWidth, "decoder.code_size", width_why);
  require_at_most(c.decoder.shape_modes, kMaxShapeModes, "decoder.shape_modes", width_why);
  require_at_most(c.features.channels, kMaxNetworkWidth, "features.channels", width_why);
  require_at_most(c.denoiser.features, kMaxNetworkWidth, "denoiser.features", width_why);
  require_at_most(static_cast<int64_t>(c.encoder.channels.size()), 16, "encoder.channels (layers)", "the size halves each layer");
  for (int64_t ch : c.encoder.channels) require_at_most(ch, kMaxNetworkWidth, "encoder.channels", width_why);
  require_at_most(c.batch_size, kMaxPhotos, "batch_size", "no fit holds more photos");

  // Element counts of each part: parameters count four times (value, gradient, Adam's m and v),
  // activations three times (output, its gradient, a layer's scratch), all float32.
  const double S = c.render.size, B = c.batch_size, Z = c.decoder.code_size;
  const double V = vertices > 0 ? static_cast<double>(vertices)
                                : 10.0 * static_cast<double>(int64_t{1} << (2 * c.icosphere_level)) + 2.0;
  struct Part {
    const char* field;
    double elements;
  };
  double enc_params = 0, enc_acts = 0, prev = 3, side = S;
  for (int64_t ch : c.encoder.channels) {
    enc_params += prev * static_cast<double>(ch) * static_cast<double>(c.encoder.kernel * c.encoder.kernel);
    side /= 2;
    enc_acts += B * static_cast<double>(ch) * side * side;
    prev = static_cast<double>(ch);
  }
  enc_params += prev * side * side * Z;  // the final dense layer
  const double K = c.decoder.shape_modes, T = c.decoder.texture_size, F = c.features.channels;
  const Part parts[] = {
      {"encoder.channels", 4 * enc_params + 3 * enc_acts},
      {"decoder.shape_modes", 4 * (Z * K + K * 3 * V) + 3 * B * K},
      {"decoder.texture_size", 4 * (Z * 64 * 16) + 3 * B * 64 * T * T},
      {"features.channels", 4 * (32 * F * 16) + 3 * 2 * B * F * (S / 4) * (S / 4)},
      {"denoiser.features", 4 * (c.denoiser.features * 9.0 * 8) + 3 * B * c.denoiser.features * S * S},
      // The per-pixel buffers of render, sensor, ISP and losses: about 64 floats a pixel per photo.
      {"render.size", 64 * B * S * S},
  };
  ConfigBudget budget;
  double total = 0, largest = -1;
  for (const Part& p : parts) {
    total += 4 * p.elements;
    if (p.elements > largest) largest = p.elements, budget.largest = p.field;
  }
  budget.bytes = static_cast<uint64_t>(std::min(total, 1e19));
  if (total > static_cast<double>(kMaxModelBytes))
    throw std::invalid_argument("config: this configuration would need about " + format_bytes(budget.bytes) +
                                " (mostly for '" + budget.largest + "'), more than the limit of " +
                                format_bytes(kMaxModelBytes));
  return budget;
}

std::string slow_step_warning(int size, int batch_size) {
  if (size <= limits::kSlowWorkingSize) return "";
  const double ratio = (size / 128.0) * (size / 128.0);
  const double seconds = limits::kStepSecondsAt128 * ratio * std::max(1, batch_size);
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "working size %d: a step will take about %.0f s (%.0fx the pixels of 128, %d photo(s) a step)",
                size, seconds, ratio, std::max(1, batch_size));
  return buf;
}

}  // namespace invgfx
