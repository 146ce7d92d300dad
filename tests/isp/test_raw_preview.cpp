// DNGs with an embedded JPEG preview (IFD 0 preview + raw SubIFD, isp/dng_writer.h) read back through
// LibRaw: the raw image and its metadata are exactly those of the same DNG without a preview, and the
// preview comes back through LibRaw's thumbnail API as the JPEG that was embedded, with the RAW's
// orientation. A RAW without a preview and corrupt previews give one-line errors naming the file.
#include "isp/dng_writer.h"
#include "isp/jpeg_io.h"
#include "isp/raw_file.h"
#include "isp/raw_preview.h"

#include "tests/temp_dir_test.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

using RawPreviewTest = TempDirTest;

Tensor test_mosaic(int h, int w) {
  Tensor m({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m[y * w + x] = static_cast<float>(100 + (y * 131 + x * 17) % 3900);
  return m;
}

Tensor test_picture(int h, int w) {
  Tensor t({3, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      t.at(0, y, x) = static_cast<float>(x) / w;
      t.at(1, y, x) = static_cast<float>(y) / h;
      t.at(2, y, x) = 0.5f;
    }
  return t;
}

DngMetadata metadata() {
  DngMetadata md;
  md.cfa = CfaPattern::GRBG;
  md.black_level = {64, 70, 66, 80};
  md.white_level = 4095;
  md.color_matrix << 0.6722, -0.0635, -0.0963, -0.4287, 1.2460, 0.2028, -0.0908, 0.2162, 0.5668;
  md.as_shot_neutral = {0.5, 1.0, 0.625};
  md.orientation = 6;
  md.make = "Acme";
  md.model = "Sim 1";
  md.active_area = {2, 4, 66, 100};
  return md;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void spit(const std::string& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string error_of(const std::string& p) {
  try {
    read_raw_preview(p);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(RawPreviewTest, PreviewIfdLeavesTheRawAndItsMetadataUnchanged) {
  const Tensor mosaic = test_mosaic(68, 104);
  DngMetadata md = metadata();
  write_dng(path("plain.dng"), mosaic, md);
  md.preview_jpeg = encode_jpeg(test_picture(32, 48), {92, ChromaSubsampling::k422, 1});
  write_dng(path("preview.dng"), mosaic, md);

  const RawImage a = read_raw(path("plain.dng")), b = read_raw(path("preview.dng"));
  EXPECT_EQ(b.cfa, a.cfa);
  EXPECT_EQ(b.width, a.width);
  EXPECT_EQ(b.height, a.height);
  EXPECT_EQ(b.top_margin, a.top_margin);
  EXPECT_EQ(b.left_margin, a.left_margin);
  EXPECT_EQ(b.flip, a.flip);
  EXPECT_EQ(b.flip, 6);
  EXPECT_EQ(b.white_level, a.white_level);
  EXPECT_EQ(b.black_pattern, a.black_pattern);
  EXPECT_EQ(b.as_shot_wb, a.as_shot_wb);
  EXPECT_TRUE(b.has_as_shot_wb);
  EXPECT_TRUE(b.cam_to_srgb.isApprox(a.cam_to_srgb, 1e-6f));
  EXPECT_EQ(b.make, "Acme");
  ASSERT_EQ(b.mosaic.shape(), a.mosaic.shape());
  for (int64_t i = 0; i < a.mosaic.numel(); ++i) ASSERT_EQ(b.mosaic[i], a.mosaic[i]) << i;
}

TEST_F(RawPreviewTest, EmbeddedJpegComesBackThroughLibRawWithTheRawOrientation) {
  DngMetadata md = metadata();
  md.preview_jpeg = encode_jpeg(test_picture(40, 64), {95, ChromaSubsampling::k420, 1});
  write_dng(path("x.dng"), test_mosaic(68, 104), md);
  const RawPreview p = read_raw_preview(path("x.dng"));
  EXPECT_EQ(p.format, "jpeg");
  EXPECT_EQ(p.image.orientation, 6);  // LibRaw's EXIF carries the DNG's Orientation
  const JpegImage direct = decode_jpeg(md.preview_jpeg, "direct");
  ASSERT_EQ(p.image.rgb.shape(), direct.rgb.shape());
  for (int64_t i = 0; i < direct.rgb.numel(); ++i) ASSERT_EQ(p.image.rgb[i], direct.rgb[i]) << i;
}

TEST_F(RawPreviewTest, MissingAndCorruptPreviewsAreNamed) {
  const Tensor mosaic = test_mosaic(68, 104);
  DngMetadata md = metadata();
  write_dng(path("none.dng"), mosaic, md);
  EXPECT_EQ(error_of(path("none.dng")), path("none.dng") + ": has no embedded preview");

  md.preview_jpeg = encode_jpeg(test_picture(48, 64), {95, ChromaSubsampling::k444, 1});
  write_dng(path("good.dng"), mosaic, md);
  const std::string file = slurp(path("good.dng"));
  const size_t at = file.find(md.preview_jpeg);
  ASSERT_NE(at, std::string::npos);

  // Entropy-coded data overwritten half way: libjpeg decodes grey past it, which must be an error.
  std::string bad = file;
  for (size_t i = at + md.preview_jpeg.size() / 2; i < at + md.preview_jpeg.size() - 2; ++i) bad[i] = 0;
  bad[at + md.preview_jpeg.size() / 2] = static_cast<char>(0xff);
  bad[at + md.preview_jpeg.size() / 2 + 1] = static_cast<char>(0xd9);  // an early end of image
  spit(path("cut.dng"), bad);
  const std::string cut = error_of(path("cut.dng"));
  EXPECT_NE(cut.find(path("cut.dng") + " (embedded preview): corrupt or truncated JPEG"), std::string::npos) << cut;
  EXPECT_EQ(cut.find('\n'), std::string::npos);

  // A preview whose header is destroyed: LibRaw cannot even parse it.
  bad = file;
  for (size_t i = at + 2; i < at + 200; ++i) bad[i] = static_cast<char>(0x5a);
  spit(path("header.dng"), bad);
  const std::string header = error_of(path("header.dng"));
  EXPECT_NE(header.find(path("header.dng")), std::string::npos) << header;
  EXPECT_NE(header.find("corrupt"), std::string::npos) << header;

  EXPECT_EQ(error_of(path("nothing.dng")), path("nothing.dng") + ": no such file");
  EXPECT_THROW(write_dng(path("bad.dng"), mosaic, [&] {
                 DngMetadata m = metadata();
                 m.preview_jpeg = "not a jpeg";
                 return m;
               }()),
               std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
