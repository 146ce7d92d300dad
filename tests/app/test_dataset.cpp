// Datasets: folders of photos with unreadable files skipped and photos letterboxed, mask folders
// matched by stem (and inverted), clear errors, automatic masks, cancelling, atomic writes, and RAW
// photos (CFA phase, levels, orientation).
#include "core/atomic_file.h"
#include "app/dataset.h"
#include "isp/cfa.h"
#include "isp/dng_writer.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("invgfx_dataset_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                        "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "photos");
    fs::create_directories(dir_ / "masks");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A red disc of radius r on a grey-blue background, w×h, and its mask.
  static void disc(int w, int h, int r, cv::Mat* img, cv::Mat* mask) {
    *img = cv::Mat(h, w, CV_8UC3, cv::Scalar(180, 140, 120));  // BGR
    *mask = cv::Mat(h, w, CV_8U, cv::Scalar(0));
    cv::circle(*img, {w / 2, h / 2}, r, cv::Scalar(30, 40, 220), cv::FILLED);
    cv::circle(*mask, {w / 2, h / 2}, r, cv::Scalar(255), cv::FILLED);
  }

  fs::path dir_;
};

TEST_F(DatasetTest, FolderLoadsPhotosSkipsUnreadableAndLetterboxes) {
  cv::Mat img, mask;
  disc(200, 100, 40, &img, &mask);
  ASSERT_TRUE(cv::imwrite((dir_ / "photos" / "a.png").string(), img));
  ASSERT_TRUE(cv::imwrite((dir_ / "photos" / "b.jpg").string(), img));
  std::ofstream(dir_ / "photos" / "broken.jpg") << "not a jpeg";
  std::ofstream(dir_ / "photos" / "notes.txt") << "ignored: not a photo extension";

  DatasetOptions opt;
  opt.size = 64;
  Dataset ds = load_dataset({dir_ / "photos"}, opt);
  ASSERT_EQ(ds.photos.size(), 2u);
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_NE(ds.skipped[0].find("broken.jpg"), std::string::npos);
  const Photo& a = ds.photos[0];
  EXPECT_EQ(a.path.filename(), "a.png");
  EXPECT_EQ(a.srgb.shape(), Shape({3, 64, 64}));
  EXPECT_EQ(a.original_width, 200);
  EXPECT_FLOAT_EQ(a.scale, 64.f / 200.f);
  EXPECT_FLOAT_EQ(a.offset_x, 0.f);
  EXPECT_FLOAT_EQ(a.offset_y, 16.f);
  EXPECT_NEAR(a.coverage, 0.5f, 1e-6);
  // Centre is the red disc (RGB order), a corner is the background padded by edge replication.
  EXPECT_NEAR(a.srgb.at(0, 32, 32), 220 / 255.f, 0.02);
  EXPECT_NEAR(a.srgb.at(2, 32, 32), 30 / 255.f, 0.02);
  EXPECT_NEAR(a.srgb.at(0, 0, 0), 120 / 255.f, 0.02);
  EXPECT_TRUE(a.mask.empty());
}

TEST_F(DatasetTest, MaskFolderMatchesByStemAndInverts) {
  cv::Mat img, mask;
  disc(80, 80, 20, &img, &mask);
  cv::imwrite((dir_ / "photos" / "cat.jpg").string(), img);
  cv::imwrite((dir_ / "masks" / "cat.png").string(), mask);
  DatasetOptions opt;
  opt.size = 40;
  opt.masks = (dir_ / "masks").string();
  Dataset ds = load_dataset({dir_ / "photos" / "cat.jpg"}, opt);
  ASSERT_EQ(ds.photos.size(), 1u);
  EXPECT_FLOAT_EQ(ds.photos[0].mask.at(0, 20, 20), 1.f);
  EXPECT_FLOAT_EQ(ds.photos[0].mask.at(0, 1, 1), 0.f);
  opt.invert_masks = true;
  ds = load_dataset({dir_ / "photos" / "cat.jpg"}, opt);
  EXPECT_FLOAT_EQ(ds.photos[0].mask.at(0, 20, 20), 0.f);
  EXPECT_FLOAT_EQ(ds.photos[0].mask.at(0, 1, 1), 1.f);
}

TEST_F(DatasetTest, ClearErrorsForBadInput) {
  DatasetOptions opt;
  try {
    load_dataset({dir_ / "missing.jpg"}, opt);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.jpg: no such file"), std::string::npos) << e.what();
  }
  std::ofstream(dir_ / "photos" / "x.png") << "garbage";
  try {
    load_dataset({dir_ / "photos"}, opt);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("x.png"), std::string::npos) << e.what();
  }
  opt.masks = (dir_ / "nomasks").string();
  EXPECT_THROW(load_dataset({dir_ / "photos"}, opt), std::runtime_error);
  opt.masks.clear();
  opt.size = 4;
  EXPECT_THROW(load_dataset({dir_ / "photos"}, opt), std::runtime_error);
  EXPECT_THROW(load_dataset({}, DatasetOptions{}), std::runtime_error);
}

TEST_F(DatasetTest, PhotoWithoutItsMaskIsSkippedByName) {
  cv::Mat img, mask;
  disc(32, 32, 8, &img, &mask);
  cv::imwrite((dir_ / "photos" / "one.png").string(), img);
  cv::imwrite((dir_ / "photos" / "two.png").string(), img);
  cv::imwrite((dir_ / "masks" / "one.png").string(), mask);
  DatasetOptions opt;
  opt.size = 32;
  opt.masks = (dir_ / "masks").string();
  Dataset ds = load_dataset({dir_ / "photos"}, opt);
  ASSERT_EQ(ds.photos.size(), 1u);
  ASSERT_EQ(ds.skipped.size(), 1u);
  EXPECT_NE(ds.skipped[0].find("two.png"), std::string::npos);
}

TEST_F(DatasetTest, AutoMaskFindsTheObject) {
  cv::Mat img, mask;
  disc(96, 96, 28, &img, &mask);
  cv::imwrite((dir_ / "photos" / "d.png").string(), img);
  DatasetOptions opt;
  opt.size = 96;
  opt.masks = "auto";
  Dataset ds = load_dataset({dir_ / "photos"}, opt);
  ASSERT_EQ(ds.photos.size(), 1u);
  const Tensor& m = ds.photos[0].mask;
  ASSERT_TRUE(ds.photos[0].mask_is_auto);
  double inter = 0, uni = 0;
  for (int y = 0; y < 96; ++y)
    for (int x = 0; x < 96; ++x) {
      const bool t = mask.at<uint8_t>(y, x) > 127, p = m.at(0, y, x) > 0.5f;
      inter += t && p;
      uni += t || p;
    }
  EXPECT_GT(inter / uni, 0.95);
}

TEST_F(DatasetTest, LoadingCanBeCancelled) {
  cv::Mat img, mask;
  disc(32, 32, 8, &img, &mask);
  cv::imwrite((dir_ / "photos" / "a.png").string(), img);
  cv::imwrite((dir_ / "photos" / "b.png").string(), img);
  int calls = 0;
  EXPECT_THROW(load_dataset({dir_ / "photos"}, DatasetOptions{}, [&](int i, int n, const fs::path&) {
                 EXPECT_EQ(n, 2);
                 ++calls;
                 return i < 1;
               }),
               LoadCancelled);
  EXPECT_EQ(calls, 2);
}

TEST_F(DatasetTest, AtomicWriteReplacesOrLeavesOldFile) {
  const fs::path p = dir_ / "session.bin";
  write_file_atomically(p, std::string_view("first"));
  write_file_atomically(p, std::string_view("second"));
  std::ifstream in(p);
  std::string s;
  in >> s;
  EXPECT_EQ(s, "second");
  // A writer that fails midway leaves the old file and no temporary behind.
  EXPECT_THROW(write_file_atomically(p, [](std::ostream& o) {
                 o << "partial";
                 throw std::runtime_error("boom");
               }),
               std::runtime_error);
  std::ifstream in2(p);
  in2 >> s;
  EXPECT_EQ(s, "second");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  try {
    write_file_atomically(dir_ / "no" / "such" / "x.json", std::string_view("{}"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos);
  }
}

// A synthetic Bayer DNG of a pure-red scene: red sites at `red` DN above black, green and blue sites at
// black; w×h pixels (LibRaw needs ≥ 22×22).
void write_red_dng(const fs::path& p, int w, int h, CfaPattern cfa, double red = 3000, int orientation = 1,
                   std::array<double, 4> black = {64, 64, 64, 64}) {
  Tensor m({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int site = ((y & 1) << 1) | (x & 1);
      m[y * w + x] = static_cast<float>(black[site] + (cfa_colour_at(cfa, y, x) == 0 ? red : 0.0));
    }
  DngMetadata md;
  md.cfa = cfa;
  md.black_level = black;
  md.white_level = 4095;
  md.as_shot_neutral = {0.5, 1.0, 0.625};
  md.orientation = orientation;
  write_dng(p.string(), m, md);
}

// Mean of the working mosaic over the interior (away from the letterbox padding) per CFA colour.
std::array<double, 3> mean_by_colour(const Photo& ph, int y0, int y1) {
  std::array<double, 3> sum{0, 0, 0}, n{0, 0, 0};
  const int64_t S = ph.raw.dim(2);
  for (int y = y0; y < y1; ++y)
    for (int x = 2; x < S - 2; ++x) {
      const int c = cfa_colour_at(ph.raw_settings.cfa, y, x);
      sum[c] += ph.raw[y * S + x];
      n[c] += 1;
    }
  for (int c = 0; c < 3; ++c) sum[c] /= n[c];
  return sum;
}

TEST_F(DatasetTest, RawExtensionsArePhotoFiles) {
  for (const char* f : {"a.dng", "b.CR2", "c.nef", "d.ARW", "e.rw2", "f.orf"}) EXPECT_TRUE(is_photo_file(f)) << f;
  EXPECT_FALSE(is_photo_file("notes.txt"));
}

TEST_F(DatasetTest, RawPhotoKeepsCfaPhaseAndNormalisesLevels) {
  for (CfaPattern cfa : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
    const fs::path p = dir_ / "photos" / ("red_" + to_string(cfa) + ".dng");
    write_red_dng(p, 64, 48, cfa);
    DatasetOptions opt;
    opt.size = 32;
    Dataset ds = load_dataset({p}, opt);
    ASSERT_EQ(ds.photos.size(), 1u);
    const Photo& ph = ds.photos[0];
    ASSERT_TRUE(ph.is_raw());
    EXPECT_EQ(ph.raw.shape(), Shape({1, 32, 32}));
    EXPECT_EQ(ph.srgb.shape(), Shape({3, 32, 32}));
    EXPECT_EQ(ph.raw_settings.cfa, cfa);
    EXPECT_EQ(ph.raw_settings.white, 1.0);
    for (double b : ph.raw_settings.black) EXPECT_EQ(b, 0.0);
    EXPECT_NEAR(ph.raw_settings.wb_gains[0], 2.0, 1e-3);
    EXPECT_NEAR(ph.raw_settings.wb_gains[2], 1.6, 1e-3);
    EXPECT_EQ(ph.original_width, 64);
    EXPECT_EQ(ph.original_height, 48);
    EXPECT_FLOAT_EQ(ph.scale, 0.5f);
    EXPECT_FLOAT_EQ(ph.offset_x, 0.f);
    EXPECT_FLOAT_EQ(ph.offset_y, 4.f);  // 24 rows of 32 centred: 4 above, 4 below
    EXPECT_NEAR(ph.coverage, 0.75f, 1e-6);
    // Red energy on the red sites, normalised: (3000 DN above black) / (4095 − 64).
    const auto mean = mean_by_colour(ph, 4, 28);
    EXPECT_NEAR(mean[0], 3000.0 / (4095 - 64), 1e-3) << to_string(cfa);
    EXPECT_NEAR(mean[1], 0.0, 1e-4) << to_string(cfa);
    EXPECT_NEAR(mean[2], 0.0, 1e-4) << to_string(cfa);
    // The padding replicates each site's edge: still red only on red sites.
    const auto pad = mean_by_colour(ph, 0, 4);
    EXPECT_NEAR(pad[0], mean[0], 1e-3);
    EXPECT_NEAR(pad[1], 0.0, 1e-4);
    // The default development shows a red photo.
    const float r = ph.srgb.at(0, 16, 16), g = ph.srgb.at(1, 16, 16), b = ph.srgb.at(2, 16, 16);
    EXPECT_GT(r, 0.5f) << to_string(cfa);
    EXPECT_LT(g, 0.5f * r);
    EXPECT_LT(b, 0.5f * r);
  }
}

TEST_F(DatasetTest, RawPerSiteBlackLevelsAreSubtracted) {
  // A flat grey mosaic over distinct per-site blacks: every site normalises to the same value only if
  // each has its own black subtracted.
  const fs::path p = dir_ / "photos" / "flat.dng";
  const std::array<double, 4> black = {64, 70, 66, 80};
  Tensor m({1, 40, 40});
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) m[y * 40 + x] = static_cast<float>(black[((y & 1) << 1) | (x & 1)] + 1000);
  DngMetadata md;
  md.black_level = black;
  md.white_level = 4095;
  write_dng(p.string(), m, md);
  DatasetOptions opt;
  opt.size = 20;  // shrinks 40 → 20: each plane 20 → 10, no padding
  Dataset ds = load_dataset({p}, opt);
  ASSERT_EQ(ds.photos.size(), 1u);
  const Photo& ph = ds.photos[0];
  EXPECT_FLOAT_EQ(ph.coverage, 1.f);
  // Scaled as the ISP's black/white stage with isp_raw_settings: site s by (W' − b_s), W' = white −
  // min black + mean green black (RGGB: greens 70, 66).
  const double Wp = 4095 - 64 + 68;
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) {
      const int site = ((y & 1) << 1) | (x & 1);
      ASSERT_NEAR(ph.raw.at(0, y, x), 1000.0 / (Wp - black[site]), 1e-5) << y << "," << x;
    }
}

TEST_F(DatasetTest, RawOrientationTurnsTheMosaicAndItsPattern) {
  const fs::path p = dir_ / "photos" / "turned.dng";
  write_red_dng(p, 64, 48, CfaPattern::GRBG, 3000, 6);  // TIFF orientation 6: turn 90° clockwise
  DatasetOptions opt;
  opt.size = 32;
  Dataset ds = load_dataset({p}, opt);
  ASSERT_EQ(ds.photos.size(), 1u);
  const Photo& ph = ds.photos[0];
  EXPECT_EQ(ph.original_width, 48);
  EXPECT_EQ(ph.original_height, 64);
  EXPECT_FLOAT_EQ(ph.offset_x, 4.f);
  EXPECT_FLOAT_EQ(ph.offset_y, 0.f);
  // Whatever the pattern became, the red energy is on the sites it calls red.
  std::array<double, 3> sum{0, 0, 0};
  for (int y = 0; y < 32; ++y)
    for (int x = 6; x < 26; ++x) sum[cfa_colour_at(ph.raw_settings.cfa, y, x)] += ph.raw.at(0, y, x);
  EXPECT_GT(sum[0], 100.0);
  EXPECT_NEAR(sum[1], 0.0, 1e-3);
  EXPECT_NEAR(sum[2], 0.0, 1e-3);
}

TEST_F(DatasetTest, RawWithMaskAndUnreadableRawIsSkippedWithReason) {
  write_red_dng(dir_ / "photos" / "good.dng", 64, 48, CfaPattern::RGGB);
  std::ofstream(dir_ / "photos" / "broken.nef") << "not a raw file at all";
  DngMetadata md;
  write_linear_dng((dir_ / "photos" / "linear.dng").string(), Tensor({3, 32, 32}, 1000.f), md);
  cv::Mat mask(48, 64, CV_8U, cv::Scalar(255));
  cv::imwrite((dir_ / "masks" / "good.png").string(), mask);
  cv::imwrite((dir_ / "masks" / "broken.png").string(), mask);
  cv::imwrite((dir_ / "masks" / "linear.png").string(), mask);
  DatasetOptions opt;
  opt.size = 32;
  opt.masks = (dir_ / "masks").string();
  Dataset ds = load_dataset({dir_ / "photos"}, opt);
  ASSERT_EQ(ds.photos.size(), 1u);
  const Photo& ph = ds.photos[0];
  ASSERT_EQ(ph.mask.shape(), Shape({1, 32, 32}));
  EXPECT_EQ(ph.mask.at(0, 1, 16), 0.f);   // padding rows are background
  EXPECT_EQ(ph.mask.at(0, 16, 16), 1.f);
  ASSERT_EQ(ds.skipped.size(), 2u);
  // Sorted by name: broken.nef, linear.dng; each names the file and gives a reason.
  EXPECT_EQ(ds.skipped[0].rfind((dir_ / "photos" / "broken.nef").string() + ": ", 0), 0u) << ds.skipped[0];
  EXPECT_GT(ds.skipped[0].size(), (dir_ / "photos" / "broken.nef").string().size() + 5);
  EXPECT_EQ(ds.skipped[1].rfind((dir_ / "photos" / "linear.dng").string() + ": ", 0), 0u) << ds.skipped[1];
  opt.masks.clear();
  opt.size = 33;
  Dataset odd = load_dataset({dir_ / "photos" / "good.dng", dir_ / "photos" / "linear.dng"}, DatasetOptions{});
  EXPECT_EQ(odd.photos.size(), 1u);
  try {
    load_dataset({dir_ / "photos" / "good.dng"}, opt);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("even working size"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace invgfx
