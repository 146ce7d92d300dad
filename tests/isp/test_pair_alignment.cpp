// Alignment of a JPEG on its RAW (isp/pair_alignment.h) and the working images of a RAW
// (isp/raw_binning.h): known crops, scales, aspect-ratio crops and rotations are found (exactly where
// they are whole pixels); the development-to-target map agrees with cropping the oriented development;
// superpixels keep the three colours centred and subtract each pixel's own black.
#include "isp/area_resample.h"
#include "isp/pair_alignment.h"
#include "isp/raw_binning.h"
#include "tests/isp/synthetic_camera.h"
#include "tests/temp_dir_test.h"

#include <gtest/gtest.h>

namespace invgfx {
namespace {

using PairAlignmentTest = TempDirTest;

Tensor crop(const Tensor& img, int64_t y0, int64_t x0, int64_t h, int64_t w) {
  Tensor out({img.dim(0), h, w});
  for (int64_t c = 0; c < img.dim(0); ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) out.at(c, y, x) = img.at(c, y0 + y, x0 + x);
  return out;
}

// The RAW's metadata-only development, oriented: what a neutral "camera JPEG" of it would show.
Tensor neutral(const RawImage& raw) { return develop(raw, DevelopConfig{}); }

TEST_F(PairAlignmentTest, FindsWholePixelCropsAndRotations) {
  const RawImage raw = synthetic::write_scene_dng(path("a.dng"), synthetic::sample_scene("apple", 2),
                                                  synthetic::camera_metadata({0.5, 1, 0.6}, 1));
  const Tensor full = neutral(raw);
  const Tensor cut = crop(full, 5, 7, 240, 236);  // odd offsets, unequal margins
  PairGeometry g = align_pair(raw, cut, "cut");
  EXPECT_EQ(g.flip, 0);
  EXPECT_EQ(g.scale_x, 1.0);
  EXPECT_EQ(g.scale_y, 1.0);
  EXPECT_EQ(g.offset_x, 7.0);
  EXPECT_EQ(g.offset_y, 5.0);
  EXPECT_GT(g.correlation, 0.99);
  EXPECT_EQ(g.target_w, 236);
  // The same picture turned for display (a JPEG rotated by software, no EXIF tag): LibRaw flip 6.
  g = align_pair(raw, orient_image(cut, 6), "turned");
  EXPECT_EQ(g.flip, 6);
  EXPECT_EQ(g.scale_x, 1.0);
  // Turned clockwise, the sensor's rows 5..244 become columns 256 − 245 = 11 .. 250 and its columns
  // 7..242 become rows.
  EXPECT_EQ(g.offset_x, 11.0);
  EXPECT_EQ(g.offset_y, 7.0);
}

TEST_F(PairAlignmentTest, FindsReducedPreviewsAndAspectRatioCrops) {
  const RawImage raw = synthetic::write_scene_dng(path("a.dng"), synthetic::sample_scene("apple", 1),
                                                  synthetic::camera_metadata({0.5, 1, 0.6}, 1));
  const Tensor full = neutral(raw);  // 512 × 512
  // A preview of a camera crop of 2 pixels per side, reduced by 3 (area means).
  const Tensor cut = crop(full, 2, 2, 507, 507);
  Tensor preview;
  AreaResample({507, 507, 169, 169, 0, 3, 3, 0, 0}).forward(cut, preview);
  PairGeometry g = align_pair(raw, preview, "preview");
  EXPECT_EQ(g.flip, 0);
  EXPECT_NEAR(g.scale_x, 3.0, 0.01);
  EXPECT_NEAR(g.scale_y, 3.0, 0.01);
  EXPECT_NEAR(g.offset_x, 2.0, 0.75);
  EXPECT_NEAR(g.offset_y, 2.0, 0.75);
  // A 16:10 band of the picture at full width (an aspect-ratio mode).
  const Tensor band = crop(full, 96, 0, 320, 512);
  g = align_pair(raw, band, "band");
  EXPECT_EQ(g.scale_x, 1.0);
  EXPECT_EQ(g.offset_x, 0.0);
  EXPECT_EQ(g.offset_y, 96.0);
}

TEST_F(PairAlignmentTest, DevelopmentToTargetMatchesCroppingTheOrientedDevelopment) {
  const RawImage raw = synthetic::write_scene_dng(path("a.dng"), synthetic::sample_scene("orange", 4),
                                                  synthetic::camera_metadata({0.5, 1, 0.6}, 1));
  // Any development of the visible area will do: a random image, 1 raw pixel per pixel.
  Tensor dev({3, raw.height, raw.width});
  Rng rng(3);
  rng.fill_uniform(dev, 0, 1);
  for (int flip : {0, 3, 5, 6}) {
    const Tensor oriented = orient_image(dev, flip);
    PairGeometry g;
    g.flip = flip;
    g.offset_x = 6;
    g.offset_y = 10;
    double x0, y0, x1, y1;
    target_footprint(g, raw, 0, 0, 40, 30, x0, y0, x1, y1);
    const RawWindow window = raw_window_around(raw, x0 - 3, y0 - 5, x1 + 4, y1 + 2, 1);  // uneven margins
    ASSERT_GE(x0, window.x0);
    ASSERT_GE(y0, window.y0);
    ASSERT_LE(x1, window.x0 + window.w);
    ASSERT_LE(y1, window.y0 + window.h);
    Tensor part = crop(dev, window.y0, window.x0, window.h, window.w), out;
    AreaResample(development_to_target(g, raw, window, 1, 1, 30, 40)).forward(part, out);
    const Tensor want = crop(oriented, 10, 6, 30, 40);
    for (int64_t i = 0; i < want.numel(); ++i) ASSERT_EQ(out[i], want[i]) << "flip " << flip << " element " << i;
    for (double X : {0.0, 13.25, 101.5})
      for (double Y : {0.0, 7.75}) {
        double x, y, X2, Y2;
        unorient_point(flip, raw.width, raw.height, X, Y, x, y);
        orient_point(flip, raw.width, raw.height, x, y, X2, Y2);
        EXPECT_DOUBLE_EQ(X2, X);
        EXPECT_DOUBLE_EQ(Y2, Y);
      }
  }
}

// A RAW in memory: an RGGB mosaic with a different black per site, colour c reading black + signal(c, y, x).
template <class Signal>
RawImage mosaic_raw(int h, int w, const Signal& signal) {
  RawImage r;
  r.path = "mem";
  r.width = w;
  r.height = h;
  r.cfa = CfaPattern::RGGB;
  r.black_pattern = {60, 64, 62, 66};
  r.black_level = {60, 64, 62, 66};
  r.black_min = 60;
  r.white_level = 4000;
  r.mosaic.resize({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      r.mosaic[y * w + x] = r.black_at(y, x) + signal(cfa_colour_at(r.cfa, y, x), y, x);
  return r;
}

TEST(RawBinning, SuperpixelsAreCentredBlockMeansWithEachPixelsBlack) {
  // Linear ramps per colour: bilinear interpolation reproduces them, so a block's mean is the ramp at
  // the block's centre for every colour, whatever its sites' positions.
  auto ramp = [](int c, int y, int x) { return 100.f * (c + 1) + 3.f * x + 5.f * y; };
  const RawImage raw = mosaic_raw(24, 32, ramp);
  const BinnedRaw b = bin_raw(raw, RawWindow{4, 8, 16, 16}, 4);
  ASSERT_EQ(b.image.shape(), (Shape{3, 4, 4}));
  const auto& black = b.settings.black;  // what the black/white stage subtracts per channel (first site)
  const double stage_black[3] = {black[0], black[1], black[3]};
  for (int c = 0; c < 3; ++c)
    for (int by = 0; by < 4; ++by)
      for (int bx = 0; bx < 4; ++bx) {
        const double cy = 4 + 4 * by + 1.5, cx = 8 + 4 * bx + 1.5;  // block centre, pixel coordinates
        EXPECT_NEAR(b.image.at(c, by, bx) - stage_black[c], 100.0 * (c + 1) + 3 * cx + 5 * cy, 1e-3)
            << "colour " << c << " block " << by << "," << bx;
      }
  for (float v : b.clipped) EXPECT_EQ(v, 0.f);
}

TEST(RawBinning, ClippedRawPixelsMarkWhatTheyReach) {
  RawImage raw = mosaic_raw(16, 16, [](int, int, int) { return 500.f; });
  raw.mosaic[5 * 16 + 9] = raw.white_level;  // one saturated pixel at (5, 9)
  const BinnedRaw s = bin_raw(raw, RawWindow{0, 0, 16, 16}, 4);
  for (int by = 0; by < 4; ++by)
    for (int bx = 0; bx < 4; ++bx) {
      // Blocks span [4k, 4k + 4) and read one pixel beyond: (5, 9) reaches block (1, 2) only.
      const bool want = by == 1 && bx == 2;
      EXPECT_EQ(s.clipped.at(0, by, bx), want ? 1.f : 0.f) << by << "," << bx;
    }
  const BinnedRaw m = bin_raw(raw, RawWindow{2, 2, 12, 12}, 1);  // the mosaic: a 5 × 5 neighbourhood
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x) {
      const bool want = std::abs(y + 2 - 5) <= 2 && std::abs(x + 2 - 9) <= 2;
      EXPECT_EQ(m.clipped.at(0, y, x), want ? 1.f : 0.f) << y << "," << x;
    }
  EXPECT_EQ(m.image.at(0, 3, 7), raw.white_level);
}

TEST(RawBinning, WindowsAndPitches) {
  const RawImage raw = mosaic_raw(40, 60, [](int, int, int) { return 100.f; });
  RawWindow w = raw_window_around(raw, 3.5, 5.2, 50.1, 33.0, 6);
  EXPECT_EQ(w.x0, 2);
  EXPECT_EQ(w.y0, 4);
  EXPECT_EQ(w.w % 6, 0);
  EXPECT_EQ(w.h % 6, 0);
  EXPECT_GE(w.x0 + w.w, 50);
  EXPECT_LE(w.x0 + w.w, 60);
  w = raw_window_around(raw, -10, -10, 100, 100, 8);  // clipped to the image, whole superpixels
  EXPECT_EQ(w.x0, 0);
  EXPECT_EQ(w.w, 56);
  EXPECT_EQ(w.h, 40);
  EXPECT_EQ(working_pitch(1.5), 1);
  EXPECT_EQ(working_pitch(3.9), 2);
  EXPECT_EQ(working_pitch(3.999), 4);  // a preview's rounding: still 4
  EXPECT_EQ(working_pitch(12.7), 12);
  EXPECT_THROW(bin_raw(raw, RawWindow{1, 0, 8, 8}, 2), std::invalid_argument);
  EXPECT_THROW(bin_raw(raw, RawWindow{0, 0, 8, 8}, 3), std::invalid_argument);
  EXPECT_THROW(bin_raw(raw, RawWindow{0, 0, 64, 8}, 2), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
