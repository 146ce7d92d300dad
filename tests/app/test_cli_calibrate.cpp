// invgfx-cli calibrate as a user runs it, on a synthetic RAW + camera JPEG pair with a known look
// (tests/isp/synthetic_camera.h): the outputs are written and say what the calibration did, `develop
// --isp isp.json` then reproduces the calibrated development, a fit loads isp.json as its ISP, and
// every kind of bad input fails with one line on stderr naming the file, with nothing written.
#include "tests/app/cli_fixtures.h"
#include "tests/isp/synthetic_camera.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>

#include <sys/wait.h>

namespace invgfx {
namespace {

namespace fs = std::filesystem;
using namespace test;

// A DNG of the apple at half size and its camera JPEG beside it (same stem).
RawImage write_pair(const fs::path& dir, const std::string& stem, const std::string& scene, bool sidecar = true) {
  const RawImage raw = synthetic::write_scene_dng((dir / (stem + ".dng")).string(), synthetic::sample_scene(scene, 2),
                                                  synthetic::camera_metadata({0.5, 1.0, 0.62}, 1));
  if (sidecar) write_jpeg((dir / (stem + ".jpg")).string(), synthetic::camera_picture(raw, 4), {97, ChromaSubsampling::k444, 1});
  return raw;
}

// Channel c of an 8- or 16-bit PNG read by OpenCV (BGR order), scaled to [0, 1].
float png_at(const cv::Mat& m, int y, int x, int c) {
  if (m.depth() == CV_16U) return m.at<cv::Vec3w>(y, x)[2 - c] / 65535.f;
  return m.at<cv::Vec3b>(y, x)[2 - c] / 255.f;
}

TEST(CliCalibrate, CalibrateThenDevelopWithTheCalibratedIsp) {
  const fs::path d = work_dir("calibrate");
  write_pair(d, "apple", "apple");
  // One thread: see tests/isp/test_calibration.cpp (a fit's short parallel regions and parallel ctest).
  CliRun r = cli("calibrate " + q(d / "apple.dng") + " --out " + q(d / "out" / "isp.json") + " --iters 100", d, 1);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "target sidecar")) << r.out;
  EXPECT_TRUE(contains(r.out, "wrote")) << r.out;
  for (const char* f : {"isp.json", "calibration.json", "apple_calibration.png"})
    EXPECT_TRUE(fs::exists(d / "out" / f)) << f;

  std::ifstream rf(d / "out" / "calibration.json");
  const nlohmann::json report = nlohmann::json::parse(rf);
  EXPECT_EQ(report["isp"], "isp.json");
  EXPECT_EQ(report["iterations_done"], 100);
  EXPECT_FALSE(report["interrupted"].get<bool>());
  const auto& p = report["pairs"][0];
  EXPECT_EQ(p["source"], "sidecar");
  EXPECT_EQ(p["camera"], "Acme Synthetic 1");
  EXPECT_EQ(p["geometry"]["offset"][0], 4.0);
  const double before = p["before"]["held_out"]["psnr_db"], after = p["after"]["held_out"]["psnr_db"];
  EXPECT_LT(before, 20.0);
  EXPECT_GT(after, 36.0);
  EXPECT_LT(p["after"]["held_out"]["delta_e_2000"].get<double>(), 1.5);
  EXPECT_EQ(report["overall"]["after"]["held_out"]["psnr_db"], after);  // one pair: the same figures
  EXPECT_EQ(report["fitted"]["tone_curve"].size(), 33u);

  // develop --isp gives, on the JPEG's crop, the calibrated panel of the side-by-side picture (which
  // is 8-bit, hence the tolerance of one code).
  r = cli("develop " + q(d / "apple.dng") + " --isp " + q(d / "out" / "isp.json") + " --bits 16 --out " + q(d / "dev.png"), d);
  ASSERT_EQ(r.code, 0) << r.err;
  const cv::Mat dev = cv::imread((d / "dev.png").string(), cv::IMREAD_UNCHANGED);
  const cv::Mat sbs = cv::imread((d / "out" / "apple_calibration.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(dev.rows, 256);
  ASSERT_EQ(sbs.rows, 248);
  ASSERT_EQ(sbs.cols, 4 * 248 + 3 * 4);
  double worst = 0;
  for (int y = 0; y < 248; ++y)
    for (int x = 0; x < 248; ++x)
      for (int c = 0; c < 3; ++c)
        worst = std::max(worst, std::abs(static_cast<double>(png_at(dev, y + 4, x + 4, c)) - png_at(sbs, y, 2 * (248 + 4) + x, c)));
  EXPECT_LE(worst, 0.5 / 255 + 1e-4);

  // A fit takes the calibrated ISP as its "isp" configuration.
  std::ifstream isp_in(d / "out" / "isp.json");
  const nlohmann::json config = {{"isp", nlohmann::json::parse(isp_in)}, {"render", {{"size", 64}}}};
  std::ofstream(d / "config.json") << config.dump(2);
  r = cli("fit " + q(fs::path(INVGFX_SOURCE_DIR) / "assets" / "samples" / "apple.jpg") + " --config " +
              q(d / "config.json") + " --iters 2 --out " + q(d / "fit"),
          d);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(d / "fit" / "scene.json"));
}

// Runs a calibration that must fail: exit 1, one line on stderr containing `what`, nothing written.
void expect_refused(const std::string& args, const fs::path& d, const std::string& what) {
  fs::remove_all(d / "out");
  const CliRun r = cli("calibrate " + args + " --out " + q(d / "out" / "isp.json") + " --iters 5", d, 1);
  EXPECT_EQ(r.code, 1) << args;
  EXPECT_TRUE(contains(r.err, "invgfx-cli calibrate: error: ")) << r.err;
  EXPECT_TRUE(contains(r.err, what)) << "expected '" << what << "' in: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const char* f : {"isp.json", "calibration.json", "apple_calibration.png"}) EXPECT_FALSE(fs::exists(d / "out" / f)) << f;
}

TEST(CliCalibrate, BadInputsFailWithOneLineAndWriteNothing) {
  const fs::path d = work_dir("calibrate_bad");
  write_pair(d, "apple", "apple");
  write_pair(d, "orange", "orange");
  write_pair(d, "bare", "apple", false);
  // A RAW without a preview and no JPEG.
  expect_refused(q(d / "bare.dng"), d, (d / "bare.dng").string() + ": has no embedded preview, and no JPEG was given");
  // A JPEG of another photo.
  expect_refused(q(d / "apple.dng") + " --jpeg " + q(d / "orange.jpg"), d,
                 (d / "orange.jpg").string() + ": does not show the picture in " + (d / "apple.dng").string());
  // Mismatched sizes.
  write_jpeg((d / "wide.jpg").string(), Tensor(Shape{3, 40, 250}, 0.4f));
  expect_refused(q(d / "apple.dng") + " --jpeg " + q(d / "wide.jpg"), d, (d / "wide.jpg").string() + ": 250x40 does not fit");
  // A corrupt embedded preview.
  const Tensor scene = synthetic::sample_scene("apple", 2);
  const std::string preview = encode_jpeg(scene, {90, ChromaSubsampling::k420, 1});
  synthetic::write_scene_dng((d / "cut.dng").string(), scene, synthetic::camera_metadata({0.5, 1.0, 0.62}, 1), preview);
  {
    std::fstream f(d / "cut.dng", std::ios::in | std::ios::out | std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    f.seekp(static_cast<std::streamoff>(bytes.find(preview) + preview.size() / 2));
    f.write("\xff\xd9", 2);
  }
  expect_refused(q(d / "cut.dng"), d, (d / "cut.dng").string() + " (embedded preview): corrupt or truncated JPEG");
  // A JPEG that matches no RAW, an unknown stage, a missing RAW.
  expect_refused(q(d / "apple.dng") + " " + q(d / "orange.dng") + " --jpeg " + q(d / "wide.jpg"), d,
                 (d / "wide.jpg").string() + ": matches 0 of the RAWs by name");
  expect_refused(q(d / "apple.dng") + " --stages tone_curve,vignette", d, "unknown stage 'vignette'");
  expect_refused(q(d / "missing.dng"), d, (d / "missing.dng").string() + ": no such file");
}

TEST(CliCalibrate, InterruptWritesTheCalibrationSoFar) {
  const fs::path d = work_dir("calibrate_interrupt");
  write_pair(d, "apple", "apple");
  // SIGINT after 3 s of a calibration far too long to finish: the step in progress completes, the
  // calibration so far is written (marked interrupted) and the exit status is 128 + 2.
  const std::string cmd = "OMP_NUM_THREADS=1 timeout --preserve-status -s INT 3 '" + std::string(INVGFX_CLI_EXE) +
                          "' calibrate " + q(d / "apple.dng") + " --out " + q(d / "out" / "isp.json") +
                          " --iters 100000 >'" + (d / "stdout.txt").string() + "' 2>'" + (d / "stderr.txt").string() + "'";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130) << slurp(d / "stderr.txt");
  EXPECT_TRUE(contains(slurp(d / "stderr.txt"), "interrupted at iteration"));
  ASSERT_TRUE(fs::exists(d / "out" / "isp.json"));
  std::ifstream rf(d / "out" / "calibration.json");
  const nlohmann::json report = nlohmann::json::parse(rf);
  EXPECT_TRUE(report["interrupted"].get<bool>());
  EXPECT_GT(report["iterations_done"].get<int>(), 0);
  EXPECT_LT(report["iterations_done"].get<int>(), 100000);
}

TEST(CliCalibrate, HelpNamesTheOptions) {
  const fs::path d = work_dir("calibrate_help");
  const CliRun r = cli("calibrate --help", d);
  EXPECT_EQ(r.code, 0);
  for (const char* o : {"--jpeg", "--out", "--report", "--stages", "--iters", "--size", "--tile", "--knots"})
    EXPECT_TRUE(contains(r.out, o)) << o;
  EXPECT_TRUE(contains(cli("--help", d).out, "calibrate"));
}

}  // namespace
}  // namespace invgfx
