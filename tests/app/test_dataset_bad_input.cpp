// The dataset against hostile inputs: a FIFO given as a photo or a mask, a PNG header claiming
// 100000×100000 pixels, a float TIFF with NaN and infinite pixels. Each is skipped with one line naming the file
// and the problem, at once (no blocked read, no huge allocation), and the good photos beside it load.
// The crafted files are written by the test.
#include "app/dataset.h"
#include "core/binary_io.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

class DatasetBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("invgfx_bad_input_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "masks");
    good_ = dir_ / "a_good.png";
    cv::imwrite(good_.string(), cv::Mat(24, 32, CV_8UC3, cv::Scalar(20, 120, 220)));
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The `skipped` line of `path`, "" when it was not skipped.
  static std::string skipped_line(const Dataset& ds, const fs::path& path) {
    for (const std::string& s : ds.skipped)
      if (s.rfind(path.string() + ":", 0) == 0) return s;
    return "";
  }

  DatasetOptions options(const std::string& masks = "") const {
    DatasetOptions o;
    o.size = 32;
    o.masks = masks;
    return o;
  }

  fs::path dir_, good_;
};

// A PNG of the signature and an IHDR chunk (with its CRC-32) claiming w × h 8-bit RGB, and no data.
std::string png_header(uint32_t w, uint32_t h) {
  std::string ihdr = "IHDR";
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(static_cast<char>((v >> s) & 0xFF));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);
  const uint32_t crc = crc32(ihdr.data(), ihdr.size());
  std::string png("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d", 12);
  png += ihdr;
  for (int s = 24; s >= 0; s -= 8) png.push_back(static_cast<char>((crc >> s) & 0xFF));
  return png;
}

// An uncompressed little-endian RGB float32 TIFF of w × h (TIFF 6.0: header, pixel strip, the
// BitsPerSample and SampleFormat arrays, then IFD0), written by hand because OpenCV's own writer
// turns NaN into 0 on the way back.
std::string float_tiff(uint32_t w, uint32_t h, const std::vector<float>& rgb) {
  std::string b("II*\0", 4);
  auto u16 = [&](uint16_t v) { b.append(reinterpret_cast<const char*>(&v), 2); };
  auto u32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  const uint32_t data_off = 8, data_len = static_cast<uint32_t>(rgb.size() * 4);
  const uint32_t bps_off = data_off + data_len, fmt_off = bps_off + 6, ifd_off = fmt_off + 6;
  u32(ifd_off);
  b.append(reinterpret_cast<const char*>(rgb.data()), data_len);
  for (int c = 0; c < 3; ++c) u16(32);  // BitsPerSample
  for (int c = 0; c < 3; ++c) u16(3);   // SampleFormat: IEEE floating point
  u16(10);
  auto entry = [&](uint16_t tag, uint16_t type, uint32_t count, uint32_t value) {
    u16(tag);
    u16(type);
    u32(count);
    u32(value);
  };
  entry(256, 4, 1, w);         // ImageWidth
  entry(257, 4, 1, h);         // ImageLength
  entry(258, 3, 3, bps_off);   // BitsPerSample
  entry(259, 3, 1, 1);         // Compression: none
  entry(262, 3, 1, 2);         // PhotometricInterpretation: RGB
  entry(273, 4, 1, data_off);  // StripOffsets
  entry(277, 3, 1, 3);         // SamplesPerPixel
  entry(278, 4, 1, h);         // RowsPerStrip
  entry(279, 4, 1, data_len);  // StripByteCounts
  entry(339, 3, 3, fmt_off);   // SampleFormat
  u32(0);                      // no next IFD
  return b;
}

TEST_F(DatasetBadInput, FifoPhotoIsSkippedWithoutBlocking) {
  const fs::path fifo = dir_ / "b_fifo.jpg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever opens the FIFO: opening it for a blocking read would hang here.
  const Dataset ds = load_dataset({dir_ / "a_good.png", fifo}, options());
  ASSERT_EQ(ds.photos.size(), 1u);
  EXPECT_EQ(ds.photos[0].path, good_);
  EXPECT_EQ(skipped_line(ds, fifo), fifo.string() + ": not a regular file (a FIFO)");
}

TEST_F(DatasetBadInput, FifoRawIsSkippedWithoutBlocking) {
  const fs::path fifo = dir_ / "b_fifo.dng";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Dataset ds = load_dataset({good_, fifo}, options());
  ASSERT_EQ(ds.photos.size(), 1u);
  EXPECT_NE(skipped_line(ds, fifo).find("not a regular file (a FIFO)"), std::string::npos) << skipped_line(ds, fifo);
}

TEST_F(DatasetBadInput, FifoMaskIsReportedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((dir_ / "masks" / "a_good.png").c_str(), 0600), 0);
  const fs::path other = dir_ / "c_other.png";
  cv::imwrite(other.string(), cv::Mat(24, 32, CV_8UC3, cv::Scalar(90, 90, 90)));
  cv::imwrite((dir_ / "masks" / "c_other.png").string(), cv::Mat(24, 32, CV_8U, cv::Scalar(255)));
  const Dataset ds = load_dataset({good_, other}, options((dir_ / "masks").string()));
  ASSERT_EQ(ds.photos.size(), 1u);
  EXPECT_EQ(ds.photos[0].path, other);
  // find_mask takes regular files only, so the FIFO is not even a candidate mask.
  EXPECT_NE(skipped_line(ds, good_).find("no mask named a_good.*"), std::string::npos) << skipped_line(ds, good_);
}

TEST_F(DatasetBadInput, HugePngHeaderIsSkippedNamedBeforeDecoding) {
  const fs::path huge = dir_ / "b_huge.png";
  std::ofstream(huge, std::ios::binary) << png_header(100000, 100000);
  const fs::path zero = dir_ / "c_zero.png";
  std::ofstream(zero, std::ios::binary) << png_header(0, 10);
  const Dataset ds = load_dataset({dir_}, options());  // the whole folder: one bad photo must not abort it
  ASSERT_EQ(ds.photos.size(), 1u);
  EXPECT_EQ(skipped_line(ds, huge), huge.string() + ": its header claims 100000x100000 pixels, outside 1..200 megapixels");
  EXPECT_NE(skipped_line(ds, zero).find("its header claims 0x10 pixels"), std::string::npos) << skipped_line(ds, zero);
}

TEST_F(DatasetBadInput, FloatTiffWithNanPixelsIsSkippedNamed) {
  std::vector<float> pixels(4 * 3 * 3, 0.5f);
  const fs::path ok_tiff = dir_ / "c_ok.tiff";
  std::ofstream(ok_tiff, std::ios::binary) << float_tiff(4, 3, pixels);
  pixels[4] = std::nanf("");
  pixels[30] = INFINITY;
  const fs::path nan_tiff = dir_ / "b_nan.tiff";
  std::ofstream(nan_tiff, std::ios::binary) << float_tiff(4, 3, pixels);
  const Dataset ds = load_dataset({dir_}, options());
  ASSERT_EQ(ds.photos.size(), 2u);  // the good PNG and the finite float TIFF
  EXPECT_EQ(skipped_line(ds, nan_tiff),
            nan_tiff.string() + ": float image with 2 non-finite (NaN or infinite) values");
  for (const Photo& p : ds.photos)
    for (float v : p.srgb) ASSERT_TRUE(std::isfinite(v)) << p.path;
}

TEST_F(DatasetBadInput, PhotoCountAndWorkingSizeLimitsAreStated) {
  DatasetOptions o = options();
  o.size = 4096;
  try {
    load_dataset({good_}, o);
    FAIL() << "a working size of 4096 was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "working size 4096 is outside 16..2048");
  }
}

}  // namespace
}  // namespace invgfx
