// Developing RAWs: parity of the invgfx ISP (initialised from the metadata) with LibRaw's own
// dcraw_process on synthetic DNGs, orientation, configuration overrides and PNG output. (The
// command, `invgfx-cli develop`, is tested with the CLI: tests/app/test_cli_develop.cpp.)
#include "core/metrics.h"
#include "isp/develop.h"
#include "isp/dng_writer.h"
#include "isp/white_balance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace invgfx {
namespace {

namespace fs = std::filesystem;

class RawDevelopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("invgfx_develop_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

DngMetadata fixture_metadata(CfaPattern cfa) {
  DngMetadata md;
  md.cfa = cfa;
  md.black_level = {256, 262, 259, 270};  // DN per tile site: per-site blacks exercise the scaling fold
  md.white_level = 16383;                 // 14-bit sensor
  md.color_matrix << 0.6722, -0.0635, -0.0963,  //
      -0.4287, 1.2460, 0.2028,                  //
      -0.0908, 0.2162, 0.5668;
  md.as_shot_neutral = {0.48, 1.0, 0.66};  // green is the largest, as on real cameras
  return md;
}

// A scene in linear camera RGB (fractions of the white level before white balance): smooth colour
// gradients, a few hard-edged coloured patches, and a bright patch that saturates the sensor, so the
// highlight clipping is exercised. All values are at or above black (no negative noise).
Tensor fixture_mosaic(int h, int w, const DngMetadata& md) {
  Tensor m({1, h, w});
  const auto tile = cfa_tile(md.cfa);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double rgb[3] = {0.18 + 0.12 * std::sin(x * 0.11) + 0.05 * std::cos(y * 0.07),
                       0.30 + 0.15 * std::sin(y * 0.09 + 1.0),
                       0.20 + 0.10 * std::cos(x * 0.05 + y * 0.04)};
      if (x > w / 4 && x < w / 2 && y > h / 5 && y < h / 2) {  // saturated orange patch
        rgb[0] = 0.9;
        rgb[1] = 0.7;
        rgb[2] = 0.2;
      }
      if (x > w / 2 && y > h / 2 && x < 3 * w / 4) {  // clipped white highlight
        rgb[0] = rgb[1] = rgb[2] = 1.3;
      }
      if (x < w / 5 && y > 2 * h / 3) {  // deep shadow near black
        for (double& v : rgb) v *= 0.02;
      }
      const int site = ((y & 1) << 1) | (x & 1);
      const double b = md.black_level[static_cast<size_t>(site)];
      const double v = b + rgb[tile[static_cast<size_t>(site)]] * (md.white_level - b);
      m[y * w + x] = static_cast<float>(std::min(std::round(v), md.white_level));
    }
  return m;
}

TEST_F(RawDevelopTest, MatchesLibRawDevelopmentForAllCfaPhases) {
  const int h = 48, w = 64;
  for (CfaPattern cfa : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
    SCOPED_TRACE(to_string(cfa));
    const DngMetadata md = fixture_metadata(cfa);
    const std::string file = path(to_string(cfa) + ".dng");
    write_dng(file, fixture_mosaic(h, w, md), md);
    const Tensor ours = develop_raw(file);
    const Tensor ref = develop_raw_libraw(file);
    ASSERT_EQ(ours.shape(), Shape({3, h, w}));
    ASSERT_EQ(ref.shape(), ours.shape());
    // Border of 2: LibRaw's border_interpolate averages whatever neighbours exist, the ISP mirrors.
    const double db = psnr(ours, ref, 2);
    RecordProperty("psnr_db_" + to_string(cfa), std::to_string(db));
    std::printf("[ parity ] %s: %.2f dB\n", to_string(cfa).c_str(), db);
    EXPECT_GE(db, 40.0);
  }
}

TEST_F(RawDevelopTest, MatchesLibRawWhenGreenIsNotTheSmallestMultiplier) {
  // AsShotNeutral red > green: red's multiplier 0.8 is the smallest, so LibRaw scales by 1/0.8 and
  // clips at 1, which the colour matrix's 1/m factor reproduces.
  const int h = 48, w = 64;
  DngMetadata md = fixture_metadata(CfaPattern::GRBG);
  md.as_shot_neutral = {1.25, 1.0, 0.7};
  const std::string file = path("red.dng");
  write_dng(file, fixture_mosaic(h, w, md), md);
  const double db = psnr(develop_raw(file), develop_raw_libraw(file), 2);
  std::printf("[ parity ] red multiplier smallest: %.2f dB\n", db);
  EXPECT_GE(db, 40.0);
}

TEST_F(RawDevelopTest, MatchesLibRawWithAnOddActiveArea) {
  // Cropped sensor with an odd area origin: CFA phase, black pattern and crop must all line up.
  DngMetadata md = fixture_metadata(CfaPattern::RGGB);
  md.active_area = {3, 5, 47, 63};
  const std::string file = path("crop.dng");
  write_dng(file, fixture_mosaic(50, 66, md), md);
  const Tensor ours = develop_raw(file);
  const Tensor ref = develop_raw_libraw(file);
  ASSERT_EQ(ours.shape(), ref.shape());
  EXPECT_GE(psnr(ours, ref, 2), 40.0);
}

TEST_F(RawDevelopTest, ParityNeedsTheMetadataScalingFold) {
  // Without folding LibRaw's common (white − min black) scale into the gains the red/blue channels are
  // off by (W − b_site)/(W − b_min): the parity must be measurably worse, proving the fold matters.
  const int h = 48, w = 64;
  const DngMetadata md = fixture_metadata(CfaPattern::RGGB);
  DngMetadata wide = md;
  wide.black_level = {256, 1200, 1190, 2600};  // exaggerated per-site blacks
  const std::string file = path("wide.dng");
  write_dng(file, fixture_mosaic(h, w, wide), wide);
  const RawImage raw = read_raw(file);
  const Tensor ref = develop_raw_libraw(file);
  const Tensor ours = develop(raw);
  EXPECT_GE(psnr(ours, ref, 2), 40.0);

  IspPipeline naive = make_develop_pipeline(raw, nlohmann::json());
  IspRawSettings s = isp_raw_settings(raw);
  s.white = raw.white_level;
  s.wb_gains = {raw.as_shot_wb[0], 1.0, raw.as_shot_wb[2]};
  naive.apply_raw_settings(s);
  Tensor naive_out;
  naive.forward(raw.mosaic, naive_out);
  for (float& v : naive_out) v = std::clamp(v, 0.f, 1.f);
  EXPECT_LT(psnr(naive_out, ref, 2), psnr(ours, ref, 2) - 3.0);
}

TEST_F(RawDevelopTest, RawSettingsReproduceLibRawScaling) {
  // Analytic: LibRaw maps site s to (v − b_s)/(W − b_min) · p_c; the ISP computes
  // (v − b_s)/(W' − b_s) · g_c. With W' = W − b_min + b_green, g_c = p_c (W' − b_s)/(W − b_min).
  RawImage raw;
  raw.cfa = CfaPattern::GRBG;  // sites: G R / B G
  raw.black_level = {100, 110, 90, 104};
  raw.black_min = 90;
  raw.white_level = 4000;
  raw.as_shot_wb = {2.0f, 1.0f, 1.5f};
  raw.cam_to_srgb << 1.5f, -0.3f, -0.2f, -0.1f, 1.4f, -0.3f, 0.f, -0.5f, 1.5f;
  const IspRawSettings s = isp_raw_settings(raw);
  EXPECT_EQ(s.cfa, CfaPattern::GRBG);
  const double range = 4000.0 - 90.0, w_isp = range + 102.0;
  EXPECT_DOUBLE_EQ(s.white, w_isp);
  EXPECT_NEAR(s.wb_gains[0], 2.0 * (w_isp - 110.0) / range, 1e-12);
  EXPECT_EQ(s.wb_gains[1], 1.0);
  EXPECT_NEAR(s.wb_gains[2], 1.5 * (w_isp - 90.0) / range, 1e-12);
  EXPECT_FLOAT_EQ(static_cast<float>(s.camera_to_srgb[1]), -0.3f);
  EXPECT_FLOAT_EQ(static_cast<float>(s.camera_to_srgb[7]), -0.5f);
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(s.black[k], raw.black_level[k]);
}

TEST_F(RawDevelopTest, OrientationIsAppliedLikeLibRaw) {
  const int h = 40, w = 56;
  for (int orientation : {3, 6, 8}) {
    SCOPED_TRACE(orientation);
    DngMetadata md = fixture_metadata(CfaPattern::RGGB);
    md.orientation = orientation;
    const std::string file = path("o.dng");
    write_dng(file, fixture_mosaic(h, w, md), md);
    const Tensor ours = develop_raw(file);
    const Tensor ref = develop_raw_libraw(file);
    ASSERT_EQ(ours.shape(), ref.shape());
    EXPECT_EQ(ours.dim(1), orientation == 3 ? h : w);
    EXPECT_GE(psnr(ours, ref, 2), 40.0);
    DevelopConfig keep;
    keep.orient = false;
    EXPECT_EQ(develop_raw(file, keep).shape(), Shape({3, h, w}));
  }
}

TEST(OrientImage, MatchesHandWorkedRotations) {
  // 1×2×3 image with values 0..5: rotated 90° clockwise (flip 6) the first output row is the first
  // input column read bottom-up.
  Tensor img({1, 2, 3});
  for (int i = 0; i < 6; ++i) img[i] = static_cast<float>(i);
  const Tensor cw = orient_image(img, 6);
  ASSERT_EQ(cw.shape(), Shape({1, 3, 2}));
  const float want_cw[] = {3, 0, 4, 1, 5, 2};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(cw[i], want_cw[i]);
  const Tensor r180 = orient_image(img, 3);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r180[i], static_cast<float>(5 - i));
  const Tensor ccw = orient_image(img, 5);
  const float want_ccw[] = {2, 5, 1, 4, 0, 3};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(ccw[i], want_ccw[i]);
}

TEST_F(RawDevelopTest, ExplicitConfigValuesOverrideMetadata) {
  const DngMetadata md = fixture_metadata(CfaPattern::BGGR);
  const std::string file = path("c.dng");
  write_dng(file, fixture_mosaic(32, 32, md), md);
  const RawImage raw = read_raw(file);
  nlohmann::json cfg = default_develop_isp_json();
  cfg["stages"][1]["params"]["gains"] = {1.0, 1.0, 1.0};
  IspPipeline isp = make_develop_pipeline(raw, cfg);
  const auto g = isp.get<WhiteBalance>("white_balance").gains();
  EXPECT_NEAR(g[0], 1.0, 1e-6);
  EXPECT_NEAR(g[2], 1.0, 1e-6);
  EXPECT_EQ(isp.cfa(), CfaPattern::BGGR);  // the file's CFA always wins
  // Metadata still initialises the stages the config leaves alone.
  IspPipeline def = make_develop_pipeline(raw, nlohmann::json());
  EXPECT_NEAR(def.get<WhiteBalance>("white_balance").gains()[0], isp_raw_settings(raw).wb_gains[0], 1e-5);

  DevelopConfig bad;
  bad.isp = nlohmann::json::parse(R"({"stages": [{"stage": "no_such_stage"}]})");
  try {
    (void)develop_raw(file, bad);
    FAIL() << "bad configuration accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_stage"), std::string::npos) << e.what();
  }
}

TEST_F(RawDevelopTest, WritePngRoundTrips8And16Bit) {
  Tensor img({3, 5, 7});
  for (int64_t i = 0; i < img.numel(); ++i) img[i] = static_cast<float>(i) / static_cast<float>(img.numel() - 1);
  img[0] = -0.5f;  // clamped to 0
  img[1] = 1.5f;   // clamped to 1
  for (int bits : {8, 16}) {
    SCOPED_TRACE(bits);
    const std::string file = path("p" + std::to_string(bits) + ".png");
    write_png(file, img, bits);
    int w = 0, h = 0, comp = 0;
    const double peak = bits == 8 ? 255.0 : 65535.0;
    if (bits == 8) {
      unsigned char* px = stbi_load(file.c_str(), &w, &h, &comp, 0);
      ASSERT_NE(px, nullptr) << stbi_failure_reason();
      ASSERT_EQ(w, 7);
      ASSERT_EQ(h, 5);
      ASSERT_EQ(comp, 3);
      for (int i = 0; i < 35; ++i)
        for (int c = 0; c < 3; ++c)
          EXPECT_EQ(px[i * 3 + c], std::lround(std::clamp(img[c * 35 + i], 0.f, 1.f) * peak));
      stbi_image_free(px);
    } else {
      ASSERT_TRUE(stbi_is_16_bit(file.c_str()));
      unsigned short* px = stbi_load_16(file.c_str(), &w, &h, &comp, 0);
      ASSERT_NE(px, nullptr) << stbi_failure_reason();
      ASSERT_EQ(w, 7);
      ASSERT_EQ(h, 5);
      ASSERT_EQ(comp, 3);
      for (int i = 0; i < 35; ++i)
        for (int c = 0; c < 3; ++c)
          EXPECT_EQ(px[i * 3 + c], std::lround(std::clamp(img[c * 35 + i], 0.f, 1.f) * peak));
      stbi_image_free(px);
    }
  }
  // Greyscale too.
  Tensor grey({1, 4, 4}, 0.5f);
  write_png(path("g.png"), grey, 16);
  int w = 0, h = 0, comp = 0;
  ASSERT_TRUE(stbi_info(path("g.png").c_str(), &w, &h, &comp));
  EXPECT_EQ(comp, 1);

  EXPECT_THROW(write_png(path("x.png"), img, 12), std::invalid_argument);
  EXPECT_THROW(write_png(path("x.png"), Tensor({2, 4, 4}), 8), std::invalid_argument);
  try {
    write_png(path("none/x.png"), img, 8);
    FAIL() << "unwritable path accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path("none/x.png")), std::string::npos) << e.what();
  }
}


}  // namespace
}  // namespace invgfx
