// `invgfx-cli develop`, the one command that develops a camera RAW (isp/develop.h): a synthetic DNG
// becomes a PNG of the right size, orientation and bit depth, with the default ISP or a configuration
// file; bad inputs exit non-zero with one line naming the file.
#include "isp/dng_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace invgfx {
namespace {

namespace fs = std::filesystem;

fs::path work(const std::string& name) {
  const fs::path d = fs::path(INVGFX_BINARY_DIR) / "test_cli_develop" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs `invgfx-cli develop ARGS`; returns the exit code, stderr in *err.
int develop(const std::string& args, const fs::path& dir, std::string* err) {
  const fs::path e = dir / "stderr.txt";
  const std::string cmd = std::string("'") + INVGFX_CLI_EXE + "' develop " + args + " >/dev/null 2>'" + e.string() + "'";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(e);
  std::stringstream ss;
  ss << in.rdbuf();
  *err = ss.str();
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string q(const fs::path& p) {
  std::string s = "'";  // appended rather than operator+, which trips GCC 12's -Wrestrict when inlined
  s += p.string();
  s += "'";
  return s;
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
  const fs::path d = work("sizes");
  write_fixture(d / "in.dng", 36, 52, 6);  // orientation 6 (rotated 90°): the PNG is H×W swapped
  std::string err;
  ASSERT_EQ(develop(q(d / "in.dng") + " --out " + q(d / "out.png") + " --bits 16", d, &err), 0) << err;
  int w = 0, h = 0, comp = 0;
  const std::string png = (d / "out.png").string();
  ASSERT_TRUE(stbi_info(png.c_str(), &w, &h, &comp));
  EXPECT_EQ(w, 36);
  EXPECT_EQ(h, 52);
  EXPECT_EQ(comp, 3);
  EXPECT_TRUE(stbi_is_16_bit(png.c_str()));
  // With a configuration file (Malvar instead of bilinear) and 8 bits.
  std::ofstream(d / "isp.json") << R"({"stages": [{"stage": "black_white_level"}, {"stage": "white_balance"},
                                     {"stage": "demosaic", "params": {"method": "malvar"}},
                                     {"stage": "color_matrix"}, {"stage": "srgb"}]})";
  ASSERT_EQ(develop(q(d / "in.dng") + " --out " + q(d / "out.png") + " --isp " + q(d / "isp.json"), d, &err), 0) << err;
  ASSERT_TRUE(stbi_info(png.c_str(), &w, &h, &comp));
  EXPECT_EQ(w, 36);
  EXPECT_FALSE(stbi_is_16_bit(png.c_str()));
}

TEST(CliDevelop, BadInputsExitNonZeroNamingTheFile) {
  const fs::path d = work("bad");
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
