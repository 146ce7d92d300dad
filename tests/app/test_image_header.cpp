// app/image_header.h: the size each format's header claims, on headers written byte by byte from the
// specifications (PNG IHDR, JPEG SOF0 after an APP0 segment, BMP BITMAPINFOHEADER, WebP VP8X and
// VP8L, TIFF IFD0 in both byte orders), and nullopt for cut-short or unknown headers.
#include "app/image_header.h"

#include <gtest/gtest.h>

#include <string>

namespace invgfx {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

TEST(ImageHeader, Png) {
  // Signature, IHDR length 13, "IHDR", width 100000 = 0x000186A0, height 70000 = 0x00011170.
  const std::string png = bytes({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                 0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x11, 0x70, 8, 2, 0, 0, 0});
  const auto s = image_header_size(png);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 100000u);
  EXPECT_EQ(s->height, 70000u);
  EXPECT_FALSE(image_header_size(png.substr(0, 20)));  // cut inside IHDR
}

TEST(ImageHeader, JpegSkipsSegmentsToTheFrameHeader) {
  // SOI, APP0 of length 16 (14 payload bytes), SOF0: length 17, precision 8, height 480, width 640.
  std::string jpg = bytes({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10});
  jpg += std::string(14, 'J');
  jpg += bytes({0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03});
  const auto s = image_header_size(jpg);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 640u);
  EXPECT_EQ(s->height, 480u);
  // A DHT (0xC4) segment is not a frame header and is skipped.
  std::string dht = bytes({0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x04, 0x00, 0x00});
  dht += bytes({0xFF, 0xC2, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03});
  ASSERT_TRUE(image_header_size(dht));
  EXPECT_EQ(image_header_size(dht)->width, 32u);
  EXPECT_EQ(image_header_size(dht)->height, 16u);
  EXPECT_FALSE(image_header_size(bytes({0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08})));  // scan before any frame
}

TEST(ImageHeader, BmpTopDown) {
  // "BM", file size, reserved, data offset (14 bytes), then BITMAPINFOHEADER: size 40, width 3,
  // height −2 (top-down).
  std::string bmp = bytes({'B', 'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 3, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF});
  const auto s = image_header_size(bmp);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 3u);
  EXPECT_EQ(s->height, 2u);
}

TEST(ImageHeader, WebpExtendedAndLossless) {
  // RIFF, size, WEBP, VP8X, chunk size 10, flags + 3 reserved, canvas width−1 = 1999, height−1 = 999
  // (24-bit little-endian).
  std::string vp8x = bytes({'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0,
                            0, 0, 0, 0, 0xCF, 0x07, 0x00, 0xE7, 0x03, 0x00});
  auto s = image_header_size(vp8x);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 2000u);
  EXPECT_EQ(s->height, 1000u);
  // VP8L: signature 0x2F, then 14 bits width−1 = 99, 14 bits height−1 = 49: bits = 99 | 49 << 14.
  const uint32_t bits = 99u | (49u << 14);
  std::string vp8l = bytes({'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 5, 0, 0, 0, 0x2F,
                            static_cast<int>(bits & 0xFF), static_cast<int>((bits >> 8) & 0xFF),
                            static_cast<int>((bits >> 16) & 0xFF), static_cast<int>(bits >> 24), 0, 0, 0, 0, 0});
  s = image_header_size(vp8l);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 100u);
  EXPECT_EQ(s->height, 50u);
}

TEST(ImageHeader, TiffBothByteOrders) {
  // Little-endian: "II", 42, IFD at 8; 2 entries: 256 LONG 1 value 5000, 257 SHORT 1 value 3000.
  const std::string ii = bytes({'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0, 0, 1, 4, 0, 1, 0, 0, 0, 0x88, 0x13, 0, 0,
                                1, 1, 3, 0, 1, 0, 0, 0, 0xB8, 0x0B, 0, 0});
  auto s = image_header_size(ii);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 5000u);
  EXPECT_EQ(s->height, 3000u);
  // Big-endian, the same entries (a SHORT value sits in the entry's first two bytes).
  const std::string mm = bytes({'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2, 1, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0x13, 0x88,
                                1, 1, 0, 3, 0, 0, 0, 1, 0x0B, 0xB8, 0, 0});
  s = image_header_size(mm);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->width, 5000u);
  EXPECT_EQ(s->height, 3000u);
  EXPECT_FALSE(image_header_size(ii.substr(0, 20)));  // IFD cut short
}

TEST(ImageHeader, UnknownFormatsAreLeftToTheDecoder) {
  EXPECT_FALSE(image_header_size(""));
  EXPECT_FALSE(image_header_size("GIF89a"));
  EXPECT_FALSE(image_header_size(bytes({0x89, 'P', 'N'})));
}

}  // namespace
}  // namespace invgfx
