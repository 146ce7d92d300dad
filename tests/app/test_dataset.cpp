#include "core/atomic_file.h"
#include "app/dataset.h"

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

}  // namespace
}  // namespace invgfx
