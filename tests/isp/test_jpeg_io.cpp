// JPEG encoding and decoding through libjpeg: round trips at the chroma subsamplings a camera uses,
// the EXIF Orientation tag in both byte orders, the orientation ↔ LibRaw flip correspondence, and
// strict refusal of truncated or corrupt streams with messages naming the file.
#include "isp/develop.h"
#include "isp/jpeg_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// A smooth colourful image with some detail, the kind JPEG keeps well.
Tensor test_picture(int h, int w) {
  Tensor t({3, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float u = static_cast<float>(x) / w, v = static_cast<float>(y) / h;
      t.at(0, y, x) = 0.2f + 0.6f * u;
      t.at(1, y, x) = 0.3f + 0.4f * v + 0.05f * std::sin(x * 0.3f);
      t.at(2, y, x) = 0.7f - 0.5f * u * v;
    }
  return t;
}

double psnr(const Tensor& a, const Tensor& b) {
  double se = 0;
  for (int64_t i = 0; i < a.numel(); ++i) se += (a[i] - b[i]) * (a[i] - b[i]);
  return 10 * std::log10(a.numel() / se);
}

TEST(JpegIo, RoundTripAtEverySubsamplingWithOrientation) {
  const Tensor pic = test_picture(48, 80);
  for (auto sub : {ChromaSubsampling::k444, ChromaSubsampling::k422, ChromaSubsampling::k420}) {
    JpegEncodeOptions o;
    o.quality = 95;
    o.subsampling = sub;
    o.orientation = 6;
    const std::string bytes = encode_jpeg(pic, o);
    const JpegImage img = decode_jpeg(bytes, "mem");
    ASSERT_EQ(img.rgb.shape(), pic.shape());
    EXPECT_EQ(img.orientation, 6);
    EXPECT_GT(psnr(img.rgb, pic), 38.0) << "subsampling " << static_cast<int>(sub);
  }
  // No EXIF segment without an orientation.
  EXPECT_EQ(decode_jpeg(encode_jpeg(pic), "mem").orientation, 1);
}

TEST(JpegIo, ExifOrientationInBothByteOrders) {
  // Big-endian ("MM") TIFF header, IFD 0 at offset 8 with two entries, Orientation = 8 second.
  const unsigned char mm[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2,
                              0x01, 0x0f, 0, 2, 0, 0, 0, 4, 'A', 'c', 'm', 0,  // Make "Acm"
                              0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(exif_orientation(std::string_view(reinterpret_cast<const char*>(mm), sizeof mm)), 8);
  // Truncated in the middle of the entry: ignored, not read out of bounds.
  EXPECT_EQ(exif_orientation(std::string_view(reinterpret_cast<const char*>(mm), 30)), 1);
  EXPECT_EQ(exif_orientation("JFIF"), 1);
}

TEST(JpegIo, OrientationAndFlipCorrespond) {
  for (int o = 1; o <= 8; ++o) EXPECT_EQ(exif_orientation_from_flip(flip_from_exif_orientation(o)), o);
  // EXIF 6: "the 0th row is the visual right-hand side", i.e. turn 90° clockwise to view; LibRaw 6.
  EXPECT_EQ(flip_from_exif_orientation(6), 6);
  EXPECT_EQ(flip_from_exif_orientation(8), 5);
  EXPECT_EQ(flip_from_exif_orientation(3), 3);
  Tensor x({1, 2, 3});
  for (int i = 0; i < 6; ++i) x[i] = static_cast<float>(i);  // rows (0 1 2), (3 4 5)
  const Tensor cw = orient_image(x, flip_from_exif_orientation(6));
  ASSERT_EQ(cw.shape(), (Shape{1, 3, 2}));
  // Turned clockwise the left column (0, 3) becomes the top row, bottom first: (3 0), (4 1), (5 2).
  const float want[] = {3, 0, 4, 1, 5, 2};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(cw[i], want[i]);
}

TEST(JpegIo, CorruptTruncatedAndMissingFilesNameTheFile) {
  const std::string bytes = encode_jpeg(test_picture(64, 64));
  auto message = [](const std::string& b) {
    try {
      decode_jpeg(b, "pic.jpg");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(bytes.substr(0, bytes.size() / 2)).find("pic.jpg: corrupt or truncated JPEG"), std::string::npos);
  EXPECT_NE(message("GIF89a....").find("pic.jpg: not a JPEG"), std::string::npos);
  std::string garbled = bytes;
  for (size_t i = garbled.size() / 2; i < garbled.size() / 2 + 64; ++i) garbled[i] = static_cast<char>(0xff);
  EXPECT_NE(message(garbled).find("pic.jpg: corrupt"), std::string::npos);

  const fs::path dir = fs::temp_directory_path() / ("invgfx_jpeg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string missing = (dir / "none.jpg").string();
  try {
    read_jpeg(missing);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": no such file");
  }
  const std::string path = (dir / "ok.jpg").string();
  write_jpeg(path, test_picture(16, 24), {90, ChromaSubsampling::k420, 3});
  const JpegImage img = read_jpeg(path);
  EXPECT_EQ(img.rgb.shape(), (Shape{3, 16, 24}));
  EXPECT_EQ(img.orientation, 3);
  fs::remove_all(dir);
  EXPECT_THROW(encode_jpeg(Tensor({1, 4, 4})), std::invalid_argument);
  EXPECT_THROW(encode_jpeg(test_picture(4, 4), {0, ChromaSubsampling::k444, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
