// DNG writer and LibRaw reader: synthetic Bayer DNGs for all four CFA phases are written and read back
// through LibRaw (open_file + unpack); pattern, levels, white balance, colour matrix and data must
// match. Bad files must be refused with messages that name the file.
#include "isp/dng_writer.h"
#include "isp/raw_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Eigen/LU>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// A fresh temporary folder per test, removed afterwards.
class RawFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("invgfx_raw_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// A colour matrix like a real camera's (XYZ → camera, rows of different weight, negative off-diagonals).
Eigen::Matrix3d camera_matrix() {
  Eigen::Matrix3d m;
  m << 0.6722, -0.0635, -0.0963,  //
      -0.4287, 1.2460, 0.2028,    //
      -0.0908, 0.2162, 0.5668;
  return m;
}

// Mosaic with every value distinct enough to catch a shifted or transposed read: a ramp plus a
// per-site offset, between black and white.
Tensor test_mosaic(int h, int w) {
  Tensor m({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m[y * w + x] = static_cast<float>(100 + (y * 131 + x * 17) % 3900);
  return m;
}

// LibRaw's cam_xyz_coeff: cam_rgb = ColorMatrix · M_sRGB→XYZ, rows normalised to 1, rgb_cam = cam_rgb⁻¹.
Eigen::Matrix3d expected_cam_to_srgb(const Eigen::Matrix3d& xyz_to_cam) {
  Eigen::Matrix3d xyz_rgb;
  xyz_rgb << 0.412453, 0.357580, 0.180423,  //
      0.212671, 0.715160, 0.072169,         //
      0.019334, 0.119193, 0.950227;
  Eigen::Matrix3d cam_rgb = xyz_to_cam * xyz_rgb;
  for (int i = 0; i < 3; ++i) cam_rgb.row(i) /= cam_rgb.row(i).sum();
  return cam_rgb.inverse();
}

DngMetadata test_metadata(CfaPattern cfa) {
  DngMetadata md;
  md.cfa = cfa;
  md.black_level = {64, 70, 66, 80};  // distinct per tile site, raster order
  md.white_level = 4095;
  md.color_matrix = camera_matrix();
  md.as_shot_neutral = {0.5, 1.0, 0.625};  // WB gains 2, 1, 1.6
  md.make = "Acme";
  md.model = "Sim 1";
  md.unique_camera_model = "Acme Sim 1";
  return md;
}

TEST_F(RawFileTest, DngRoundTripThroughLibRawAllCfaPhases) {
  const int h = 32, w = 40;  // LibRaw refuses images under 22×22
  const Tensor mosaic = test_mosaic(h, w);
  for (CfaPattern cfa : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
    SCOPED_TRACE(to_string(cfa));
    const DngMetadata md = test_metadata(cfa);
    const std::string file = path(to_string(cfa) + ".dng");
    write_dng(file, mosaic, md);
    const RawImage raw = read_raw(file);

    EXPECT_EQ(raw.cfa, cfa);
    EXPECT_EQ(raw.make, "Acme");
    EXPECT_EQ(raw.model, "Sim 1");
    EXPECT_EQ(raw.width, w);
    EXPECT_EQ(raw.height, h);
    EXPECT_EQ(raw.flip, 0);
    ASSERT_EQ(raw.mosaic.shape(), Shape({1, h, w}));
    for (int64_t i = 0; i < mosaic.numel(); ++i) ASSERT_EQ(raw.mosaic[i], mosaic[i]) << "pixel " << i;

    // Levels: the 2×2 BlackLevel comes back per tile position (LibRaw keeps it as a cblack pattern).
    for (size_t k = 0; k < 4; ++k) EXPECT_EQ(raw.black_level[k], static_cast<float>(md.black_level[k]));
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x)
        EXPECT_EQ(raw.black_at(y, x), static_cast<float>(md.black_level[static_cast<size_t>((y % 2) * 2 + x % 2)]));
    EXPECT_EQ(raw.black_min, 64.f);
    EXPECT_EQ(raw.white_level, 4095.f);

    // White balance: cam_mul = 1/AsShotNeutral, relative to green.
    ASSERT_TRUE(raw.has_as_shot_wb);
    EXPECT_NEAR(raw.as_shot_wb[0], 2.0f, 1e-5);
    EXPECT_EQ(raw.as_shot_wb[1], 1.0f);
    EXPECT_NEAR(raw.as_shot_wb[2], 1.6f, 1e-5);

    // Colour: the written ColorMatrix1 (6 decimals) and LibRaw's rgb_cam derived from it. The tolerance
    // 2e-4 covers the float storage of both and the 6-digit sRGB→XYZ table LibRaw uses.
    ASSERT_TRUE(raw.has_xyz_to_cam);
    EXPECT_LT((raw.xyz_to_cam.cast<double>() - md.color_matrix).cwiseAbs().maxCoeff(), 1e-5);
    const Eigen::Matrix3d want = expected_cam_to_srgb(md.color_matrix);
    EXPECT_LT((raw.cam_to_srgb.cast<double>() - want).cwiseAbs().maxCoeff(), 2e-4)
        << "got\n" << raw.cam_to_srgb << "\nwant\n" << want;
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(raw.cam_to_srgb.row(i).sum(), 1.0f, 1e-4);
  }
}

TEST_F(RawFileTest, OrientationTagBecomesLibRawFlip) {
  // TIFF Orientation → LibRaw flip ("50516374"[orientation & 7] in dcraw's parse_tiff).
  const std::pair<int, int> cases[] = {{1, 0}, {3, 3}, {6, 6}, {8, 5}};
  for (auto [orientation, flip] : cases) {
    DngMetadata md = test_metadata(CfaPattern::RGGB);
    md.orientation = orientation;
    const std::string file = path("o" + std::to_string(orientation).append(".dng"));
    write_dng(file, test_mosaic(24, 30), md);
    const RawImage raw = read_raw(file);
    EXPECT_EQ(raw.flip, flip) << "orientation " << orientation;
    EXPECT_EQ(raw.width, 30);  // the mosaic itself is never rotated
    EXPECT_EQ(raw.height, 24);
  }
}

TEST_F(RawFileTest, ActiveAreaCropsTheMosaicAndShiftsTheCfaPhase) {
  // DNG ActiveArea (top, left, bottom, right); the CFAPattern is defined at the area's top-left.
  // LibRaw 0.20 moves an odd area origin to the next even row/column (one row/column less), so the
  // visible area is read from the reported margins and the CFA phase must follow that shift.
  const int h = 40, w = 50;
  const Tensor mosaic = test_mosaic(h, w);
  const std::array<int, 4> areas[] = {{4, 6, 34, 39}, {3, 5, 33, 38}, {2, 3, 40, 50}};
  for (const auto& area : areas) {
    SCOPED_TRACE(std::to_string(area[0]) + "," + std::to_string(area[1]));
    DngMetadata md = test_metadata(CfaPattern::GRBG);
    md.active_area = area;
    write_dng(path("aa.dng"), mosaic, md);
    const RawImage raw = read_raw(path("aa.dng"));
    EXPECT_GE(raw.top_margin, area[0]);
    EXPECT_LE(raw.top_margin, area[0] + 1);
    EXPECT_GE(raw.left_margin, area[1]);
    EXPECT_LE(raw.left_margin, area[1] + 1);
    EXPECT_EQ(raw.top_margin + raw.height, area[2]);
    EXPECT_EQ(raw.left_margin + raw.width, area[3]);
    EXPECT_EQ(raw.cfa, cfa_shifted(CfaPattern::GRBG, raw.top_margin - area[0], raw.left_margin - area[1]));
    ASSERT_EQ(raw.mosaic.shape(), Shape({1, raw.height, raw.width}));
    for (int y = 0; y < raw.height; ++y)
      for (int x = 0; x < raw.width; ++x)
        ASSERT_EQ(raw.mosaic[y * raw.width + x], mosaic[(y + raw.top_margin) * w + x + raw.left_margin])
            << y << "," << x;
  }
  DngMetadata bad = test_metadata(CfaPattern::RGGB);
  bad.active_area = {10, 10, 5, 20};
  EXPECT_THROW(write_dng(path("bad.dng"), mosaic, bad), std::invalid_argument);
}

TEST_F(RawFileTest, WriterRoundsAndClampsValues) {
  Tensor m = test_mosaic(24, 24);
  m[0] = -5.f;
  m[1] = 70000.f;
  m[2] = 100.4f;
  m[3] = 100.6f;
  DngMetadata md = test_metadata(CfaPattern::RGGB);
  md.white_level = 65535;
  write_dng(path("c.dng"), m, md);
  const RawImage raw = read_raw(path("c.dng"));
  EXPECT_EQ(raw.mosaic[0], 0.f);
  EXPECT_EQ(raw.mosaic[1], 65535.f);
  EXPECT_EQ(raw.mosaic[2], 100.f);
  EXPECT_EQ(raw.mosaic[3], 101.f);
  EXPECT_EQ(raw.white_level, 65535.f);
}

TEST_F(RawFileTest, WriterIsAtomicAndReplacesExistingFile) {
  const std::string file = path("a.dng");
  DngMetadata md = test_metadata(CfaPattern::RGGB);
  write_dng(file, test_mosaic(24, 24), md);
  md.white_level = 1023;
  Tensor m({1, 24, 24}, 500.f);
  write_dng(file, m, md);
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++n;
    EXPECT_EQ(e.path().filename(), "a.dng");  // no temporary left behind
  }
  EXPECT_EQ(n, 1);
  const RawImage raw = read_raw(file);
  EXPECT_EQ(raw.white_level, 1023.f);
  EXPECT_EQ(raw.mosaic[100], 500.f);
}

TEST_F(RawFileTest, WriterRefusesBadInputWithClearErrors) {
  const DngMetadata md = test_metadata(CfaPattern::RGGB);
  const std::string missing_dir = path("no/such/dir/x.dng");
  try {
    write_dng(missing_dir, test_mosaic(24, 24), md);
    FAIL() << "unwritable path accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing_dir), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path("no")));

  Tensor nan = test_mosaic(24, 24);
  nan[5] = std::nanf("");
  EXPECT_THROW(write_dng(path("n.dng"), nan, md), std::invalid_argument);
  EXPECT_THROW(write_dng(path("s.dng"), Tensor({3, 24, 24}), md), std::invalid_argument);
  DngMetadata bad = md;
  bad.black_level[2] = 5000;  // above white
  EXPECT_THROW(write_dng(path("b.dng"), test_mosaic(24, 24), bad), std::invalid_argument);
  bad = md;
  bad.as_shot_neutral[1] = 0;
  EXPECT_THROW(write_dng(path("w.dng"), test_mosaic(24, 24), bad), std::invalid_argument);
  bad = md;
  bad.color_matrix.setZero();
  EXPECT_THROW(write_dng(path("m.dng"), test_mosaic(24, 24), bad), std::invalid_argument);
  EXPECT_THROW(write_linear_dng(path("l.dng"), test_mosaic(24, 24), md), std::invalid_argument);
  EXPECT_TRUE(fs::is_empty(dir_));
}

// Expects read_raw(file) to throw a runtime_error whose message names the file and contains `what`.
void expect_refused(const std::string& file, const std::string& what) {
  try {
    (void)read_raw(file);
    ADD_FAILURE() << "read_raw accepted " << file;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'" + file + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST_F(RawFileTest, MissingDirectoryAndNonRawFilesAreRefused) {
  expect_refused(path("missing.dng"), "no such file");
  expect_refused(dir_.string(), "not a regular file (a folder)");
  // A FIFO is refused at once (LibRaw's own reader would wait for a writer forever).
  ASSERT_EQ(::mkfifo(path("pipe.dng").c_str(), 0600), 0);
  expect_refused(path("pipe.dng"), "not a regular file (a FIFO)");
  {
    std::ofstream(path("text.dng")) << "this is not a raw file\n";
  }
  expect_refused(path("text.dng"), "not a RAW");
  {
    std::ofstream(path("empty.nef"));
  }
  expect_refused(path("empty.nef"), "not a RAW");
}

TEST_F(RawFileTest, TruncatedAndCorruptFilesAreRefused) {
  const std::string good = path("good.dng");
  write_dng(good, test_mosaic(64, 64), test_metadata(CfaPattern::RGGB));
  std::vector<char> bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 64u * 64u * 2u);

  // Cut in the middle of the pixel data.
  const std::string cut = path("truncated.dng");
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 3000));
  expect_refused(cut, "truncated");

  // Cut inside the IFD: no usable image description left.
  const std::string header_only = path("header_only.dng");
  std::ofstream(header_only, std::ios::binary).write(bytes.data(), 60);
  expect_refused(header_only, "not a RAW");

  // A TIFF magic followed by garbage.
  std::vector<char> garbage = bytes;
  for (size_t i = 8; i < 400; ++i) garbage[i] = static_cast<char>((i * 7919) & 0xff);
  const std::string corrupt = path("corrupt.dng");
  std::ofstream(corrupt, std::ios::binary).write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  expect_refused(corrupt, "not a RAW");
}

TEST_F(RawFileTest, XTransDngIsRefused) {
  // Fujifilm X-Trans 6×6 layout (e.g. X-T2), written as a 6×6 CFAPattern: LibRaw reports filters = 9.
  DngMetadata md = test_metadata(CfaPattern::RGGB);
  md.cfa_layout = {1, 1, 0, 1, 1, 2,  //
                   1, 1, 2, 1, 1, 0,  //
                   2, 0, 1, 0, 2, 1,  //
                   1, 1, 2, 1, 1, 0,  //
                   1, 1, 0, 1, 1, 2,  //
                   0, 2, 1, 2, 0, 1};
  const std::string file = path("xtrans.dng");
  write_dng(file, test_mosaic(36, 36), md);
  expect_refused(file, "X-Trans");
  md.cfa_layout = {0, 1, 2};  // not square
  EXPECT_THROW(write_dng(path("bad.dng"), test_mosaic(36, 36), md), std::invalid_argument);
}

TEST_F(RawFileTest, NonBayerLinearDngIsRefused) {
  Tensor rgb({3, 32, 32}, 1000.f);
  const std::string file = path("linear.dng");
  write_linear_dng(file, rgb, test_metadata(CfaPattern::RGGB));
  expect_refused(file, "only 2x2 Bayer");
}

}  // namespace
}  // namespace invgfx
