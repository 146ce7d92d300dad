#include "isp/calibration_pair.h"

#include "isp/develop.h"
#include "isp/jpeg_io.h"
#include "isp/raw_preview.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// Margin of raw development around the target's footprint, in working pixels, so that the
// demosaic and sharpening near the grid's edge see real neighbours rather than mirrored ones.
constexpr int kContextPixels = 8;
// Most raw pixels a step may develop at full resolution (the mosaic, demosaiced by the ISP).
constexpr double kMosaicBudget = 2.5e6;
// 8-bit codes at which a camera JPEG is taken as clipped.
constexpr float kJpegLow = 1.5f / 255.f, kJpegHigh = 253.5f / 255.f;

struct Target {
  Tensor rgb;  // as a viewer shows it
  std::string name, source;
};

Target load_target(const CalibrationPairSpec& spec) {
  Target t;
  JpegImage img;
  if (!spec.jpeg.empty()) {
    img = read_jpeg(spec.jpeg);
    t.name = spec.jpeg;
    t.source = "jpeg";
  } else if (const std::string side = find_sidecar_jpeg(spec.raw); !side.empty()) {
    img = read_jpeg(side);
    t.name = side;
    t.source = "sidecar";
  } else {
    try {
      img = read_raw_preview(spec.raw).image;
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      if (what.find("has no embedded preview") != std::string::npos)
        throw std::runtime_error(spec.raw + ": has no embedded preview, and no JPEG was given for it (--jpeg) or "
                                 "found beside it (" + fs::path(spec.raw).stem().string() + ".jpg)");
      throw;
    }
    t.name = spec.raw + " (embedded preview)";
    t.source = "embedded preview";
  }
  t.rgb = img.orientation == 1 ? std::move(img.rgb) : orient_image(img.rgb, flip_from_exif_orientation(img.orientation));
  return t;
}

}  // namespace

std::string find_sidecar_jpeg(const std::string& raw_path) {
  const fs::path p(raw_path);
  for (const char* ext : {".jpg", ".JPG", ".jpeg", ".JPEG"}) {
    fs::path side = p;
    side.replace_extension(ext);
    std::error_code ec;
    if (side != p && fs::is_regular_file(side, ec)) return side.string();
  }
  return "";
}

CalibrationPair load_calibration_pair(const CalibrationPairSpec& spec, const CalibrationPairOptions& o) {
  CalibrationPair pair;
  pair.raw_path = spec.raw;
  RawImage raw;
  try {
    raw = read_raw(spec.raw);
  } catch (const std::runtime_error& e) {
    // read_raw says "read_raw: 'path': problem"; the calibration's messages start with the path.
    std::string what = e.what();
    const std::string prefix = "read_raw: '" + spec.raw + "': ";
    if (what.rfind(prefix, 0) == 0) what = spec.raw + ": " + what.substr(prefix.size());
    throw std::runtime_error(what);
  }
  pair.make = raw.make;
  pair.model = raw.model;
  pair.raw_width = raw.width;
  pair.raw_height = raw.height;
  Target target = load_target(spec);
  pair.target_name = target.name;
  pair.source = target.source;

  AlignOptions align = o.align;
  align.size = o.size;
  pair.geometry = align_pair(raw, target.rgb, target.name, align);
  const PairGeometry& g = pair.geometry;

  // The working grid and the development's pitch.
  const int64_t Ht = target.rgb.dim(1), Wt = target.rgb.dim(2);
  pair.m = static_cast<int>((std::max(Ht, Wt) + o.size - 1) / o.size);
  const int64_t gh = Ht / pair.m, gw = Wt / pair.m;
  const double grid_pitch = std::min(g.scale_x, g.scale_y) * pair.m;
  // Superpixels of 2×2 lose too much on texture (a demosaic at full resolution then area means is what
  // a camera's downscaled JPEG is): below 4 raw pixels per grid pixel develop the mosaic itself when
  // that stays within a budget of pixels per step.
  const bool mosaic = grid_pitch < 4 && static_cast<double>(gh * gw) * grid_pitch * grid_pitch <= kMosaicBudget;
  const int pitch = mosaic ? 1 : working_pitch(grid_pitch);
  double x0, y0, x1, y1;
  target_footprint(g, raw, 0, 0, static_cast<double>(gw * pair.m), static_cast<double>(gh * pair.m), x0, y0, x1, y1);
  const double margin = kContextPixels * pitch;
  const RawWindow window = raw_window_around(raw, x0 - margin, y0 - margin, x1 + margin, y1 + margin, pitch);
  pair.binned = bin_raw(raw, window, pitch);
  pair.to_target = std::make_unique<AreaResample>(development_to_target(g, raw, window, pitch, pair.m, gh, gw));

  // The target on the grid, and which channels of its blocks hold clipped JPEG values.
  pair.target = shrink_by(target.rgb, pair.m);
  Tensor clipped_target({3, gh, gw});  // 1 where the channel of a block holds a clipped JPEG value
  for (int k = 0; k < 3; ++k)
    for (int64_t r = 0; r < gh; ++r)
      for (int64_t c = 0; c < gw; ++c) {
        bool clip = false;
        for (int64_t y = r * pair.m; y < (r + 1) * pair.m && !clip; ++y)
          for (int64_t x = c * pair.m; x < (c + 1) * pair.m; ++x) {
            const float v = target.rgb[(k * Ht + y) * Wt + x];
            clip = clip || v < kJpegLow || v > kJpegHigh;
          }
        clipped_target[(k * gh + r) * gw + c] = clip ? 1.f : 0.f;
      }
  Tensor clipped_raw;
  pair.to_target->forward(pair.binned.clipped, clipped_raw);

  const int64_t n = gh * gw;
  pair.fit_mask = Tensor({3, gh, gw});
  pair.held_mask = Tensor({3, gh, gw});
  pair.ssim_mask = Tensor({3, gh, gw});
  int64_t fit = 0, held = 0;  // channel values compared
  const int t = o.tile, rad = o.ssim_radius;
  for (int64_t r = 0; r < gh; ++r)
    for (int64_t c = 0; c < gw; ++c) {
      const int64_t i = r * gw + c;
      const bool outside = !pair.to_target->inside()[static_cast<size_t>(i)];
      const bool raw_clip = !outside && clipped_raw[i] > 0.f;
      pair.outside += outside;
      pair.clipped_raw += raw_clip;
      if (outside || raw_clip) continue;
      const bool white = ((r / t) + (c / t)) % 2 == 0;
      const int64_t rr = r % t, cc = c % t;
      const bool ssim = white && rr >= rad && rr < t - rad && cc >= rad && cc < t - rad;
      int kept = 0;
      for (int k = 0; k < 3; ++k) {
        bool clip = false;  // this channel clipped in the block or a neighbour (the JPEG rings around it)
        for (int64_t dr = std::max<int64_t>(0, r - 1); dr <= std::min(gh - 1, r + 1); ++dr)
          for (int64_t dc = std::max<int64_t>(0, c - 1); dc <= std::min(gw - 1, c + 1); ++dc)
            clip = clip || clipped_target[(k * gh + dr) * gw + dc] > 0.f;
        if (clip) continue;
        ++kept;
        (white ? fit : held) += 1;
        (white ? pair.fit_mask : pair.held_mask)[k * n + i] = 1.f;
        if (ssim) pair.ssim_mask[k * n + i] = 1.f;
      }
      pair.clipped_target += kept < 3;
    }
  const int64_t need = 3 * std::max<int64_t>(256, n / 50);  // values in each split
  if (fit < need || held < need)
    throw std::runtime_error(target.name + ": only " + std::to_string(fit + held) + " of " + std::to_string(3 * n) +
                             " values (3 per pixel) can be compared (" + std::to_string(pair.clipped_raw) +
                             " pixels clipped in the RAW, " + std::to_string(pair.clipped_target) + " in the JPEG, " +
                             std::to_string(pair.outside) + " outside the RAW's image); too few to calibrate from");
  return pair;
}

}  // namespace invgfx
