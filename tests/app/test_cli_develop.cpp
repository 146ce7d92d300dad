// `invgfx-cli develop`, the one command that develops a camera RAW (isp/develop.h): a synthetic DNG
// becomes a PNG of the right size, orientation and bit depth, with the default ISP or a configuration
// file; bad inputs exit non-zero with one line naming the file.
#include "isp/dng_writer.h"
#include "tests/app/cli_fixtures.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace invgfx {
namespace {

namespace fs = std::filesystem;
using namespace test;

// Runs `invgfx-cli develop ARGS` in a fresh folder of this test; returns the exit code, stderr in *err.
int develop(const std::string& args, const fs::path& dir, std::string* err) {
  const CliRun r = cli("develop " + args, dir);
  *err = r.err;
  return r.code;
}

// A 12-bit DNG of h×w photosites: a smooth gradient above black.
void write_fixture(const fs::path& path, int h, int w, int orientation) {
  DngMetadata md;
  md.cfa = CfaPattern::GBRG;
  md.black_level = {64, 64, 64, 64};
  md.white_level = 4095;
  md.orientation = orientation;
  Tensor mosaic({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) mosaic.at(0, y, x) = 64.f + 3000.f * (0.2f + 0.6f * x / w) * (0.5f + 0.5f * y / h);
  write_dng(path.string(), mosaic, md);
}

TEST(CliDevelop, WritesAPngOfTheRightSizeOrientationAndDepth) {
  const fs::path d = work_dir("develop_sizes");
  write_fixture(d / "in.dng", 36, 52, 6);  // orientation 6 (rotated 90°): the PNG is H×W swapped
  std::string err;
  ASSERT_EQ(develop(q(d / "in.dng") + " --out " + q(d / "out.png") + " --bits 16", d, &err), 0) << err;
  const std::string png = (d / "out.png").string();
  cv::Mat img = cv::imread(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 36);
  EXPECT_EQ(img.rows, 52);
  EXPECT_EQ(img.channels(), 3);
  EXPECT_EQ(img.depth(), CV_16U);
  // With a configuration file (Malvar instead of bilinear) and 8 bits.
  std::ofstream(d / "isp.json") << R"({"stages": [{"stage": "black_white_level"}, {"stage": "white_balance"},
                                     {"stage": "demosaic", "params": {"method": "malvar"}},
                                     {"stage": "color_matrix"}, {"stage": "srgb"}]})";
  ASSERT_EQ(develop(q(d / "in.dng") + " --out " + q(d / "out.png") + " --isp " + q(d / "isp.json"), d, &err), 0) << err;
  img = cv::imread(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 36);
  EXPECT_EQ(img.depth(), CV_8U);
}

TEST(CliDevelop, BadInputsExitNonZeroNamingTheFile) {
  const fs::path d = work_dir("develop_bad");
  std::string err;
  EXPECT_NE(develop(q(d / "missing.dng") + " --out " + q(d / "out.png"), d, &err), 0);
  EXPECT_NE(err.find("missing.dng"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(d / "out.png"));
  std::ofstream(d / "notes.txt") << "not a raw\n";
  EXPECT_NE(develop(q(d / "notes.txt") + " --out " + q(d / "out.png"), d, &err), 0);
  EXPECT_NE(err.find("notes.txt"), std::string::npos) << err;
  write_fixture(d / "in.dng", 32, 32, 1);
  std::ofstream(d / "bad.json") << "{ not json";
  EXPECT_NE(develop(q(d / "in.dng") + " --out " + q(d / "out.png") + " --isp " + q(d / "bad.json"), d, &err), 0);
  EXPECT_NE(err.find("bad.json"), std::string::npos) << err;
  EXPECT_NE(develop(q(d / "in.dng") + " --out " + q(d / "no" / "dir" / "out.png"), d, &err), 0);
  EXPECT_NE(err.find("no/dir/out.png"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  EXPECT_NE(develop(q(d / "in.dng"), d, &err), 0);  // --out is required
  EXPECT_NE(err.find("--out"), std::string::npos) << err;
  EXPECT_EQ(develop("--help", d, &err), 0);
}

}  // namespace
}  // namespace invgfx
