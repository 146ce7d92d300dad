// ISP calibration end to end on synthetic pairs with a known camera look (tests/isp/synthetic_camera.h):
// the held-out tiles reach 38 dB, the camera's tone response, colour rendition, tint, saturation and
// sharpening are recovered within stated tolerances, several shots are fitted jointly with their own
// white balance, an embedded half-size preview is fitted through superpixels, and the written isp.json
// develops a RAW to the calibrated look.
//
// Why the tolerances are what they are. The target is an 8-bit JPEG (quality 97, 4:4:4, the "fine"
// setting of cameras), which alone is 40.5 dB from the picture it encodes; the fit reaches 40.4 dB
// held out, so 38 dB (and 1.5 dB below the JPEG's own error) leaves room for the machine's floating
// point and a different thread count. The look is compared where it is
// defined without ambiguity: a colour matrix and a tone curve after it describe the same look in a
// one-parameter family (exposure), which calibration.h fixes by keeping the matrix's rows summing to 1
// — so the truth's matrix is compared after dividing by its exposure, and the tone curve through the
// response to neutral greys. The matrix's own saturation and the saturation stage after the curve are
// nearly interchangeable on a photo (their difference shows only in saturated colours at extreme
// tones), which is why the matrix entries get 0.15 and the saturation 0.1 while the rendition of a
// whole set of colours must agree to a mean ΔE₀₀ of 1.
#include "isp/area_resample.h"
#include "isp/calibration.h"
#include "isp/ciede2000.h"
#include "core/gradcheck.h"
#include "tests/isp/synthetic_camera.h"

#include "tests/temp_dir_test.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// One OpenMP thread: a fit is thousands of short parallel regions, which crawl when ctest runs tests
// side by side on two cores (each region waits for a descheduled thread); the results do not depend
// on the thread count (every reduction runs in a fixed order), so nothing is lost.
class CalibrationTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    threads_ = omp_get_max_threads();
    omp_set_num_threads(1);
  }
  void TearDown() override {
    omp_set_num_threads(threads_);
    TempDirTest::TearDown();
  }

  // A DNG of `scene` and its camera JPEG beside it (stored in sensor orientation with an EXIF
  // orientation, as cameras store them). Returns the RAW; jpeg_psnr_ is the JPEG's own PSNR against
  // the picture it encodes, the floor no calibration can pass.
  RawImage make_pair(const std::string& stem, const Tensor& scene, const std::array<double, 3>& neutral, int orientation,
                     int quality = 97) {
    const RawImage raw =
        synthetic::write_scene_dng(path(stem + ".dng"), scene, synthetic::camera_metadata(neutral, orientation));
    const Tensor cam = synthetic::camera_picture(raw, 4);
    const int back = orientation == 6 ? 5 : orientation == 8 ? 6 : orientation == 3 ? 3 : 0;  // undo the turn
    write_jpeg(path(stem + ".jpg"), back ? orient_image(cam, back) : cam, {quality, ChromaSubsampling::k444, orientation});
    const JpegImage j = read_jpeg(path(stem + ".jpg"));
    const Tensor shown = back ? orient_image(j.rgb, flip_from_exif_orientation(orientation)) : j.rgb;
    double se = 0;
    for (int64_t i = 0; i < cam.numel(); ++i) se += (cam[i] - shown[i]) * (cam[i] - shown[i]);
    jpeg_psnr_ = 10 * std::log10(static_cast<double>(cam.numel()) / se);
    return raw;
  }

  double jpeg_psnr_ = 0;
  int threads_ = 1;
};

// The look of an ISP configuration from its colour matrix on, for white-balanced camera RGB colours
// (each a 1×1 image of a batch, so sharpening leaves them alone): sRGB, clipped like a JPEG.
Tensor look(const nlohmann::json& isp, const std::vector<std::array<float, 3>>& colours) {
  nlohmann::json tail = nlohmann::json::array();
  bool after = false;
  for (const auto& s : isp["stages"]) {
    if (s["stage"] == "color_matrix") after = true;
    if (after) tail.push_back(s);
  }
  IspPipeline p = IspPipeline::from_json({{"stages", tail}});
  Tensor x({static_cast<int64_t>(colours.size()), 3, 1, 1}), y;
  for (size_t i = 0; i < colours.size(); ++i)
    for (int c = 0; c < 3; ++c) x[static_cast<int64_t>(3 * i + c)] = colours[i][static_cast<size_t>(c)];
  p.forward(x, y);
  for (float& v : y) v = std::clamp(v, 0.f, 1.f);
  return y;
}

std::array<float, 3> px(const Tensor& t, size_t i) {
  return {t[static_cast<int64_t>(3 * i)], t[static_cast<int64_t>(3 * i + 1)], t[static_cast<int64_t>(3 * i + 2)]};
}

CalibrationOptions fast_options() {
  CalibrationOptions o;
  o.iterations = 150;
  return o;
}

TEST_F(CalibrationTest, RecoversAKnownCameraLookToHeldOutTiles) {
  const RawImage raw = make_pair("apple", synthetic::sample_scene("apple", 2), {0.5, 1.0, 0.62}, 6);
  Calibration cal({{path("apple.dng"), ""}}, fast_options());
  const CalibrationPair& p = cal.pair(0);
  EXPECT_EQ(p.source, "sidecar");
  EXPECT_EQ(p.geometry.flip, 6);
  EXPECT_EQ(p.geometry.scale_x, 1.0);
  EXPECT_EQ(p.geometry.offset_x, 4.0);
  EXPECT_EQ(p.geometry.offset_y, 4.0);
  EXPECT_EQ(p.binned.pitch, 1);  // a full-size JPEG smaller than the working size: the mosaic itself

  const CalibrationPairFigures before = cal.before(0);
  EXPECT_LT(before.held_out.psnr, 20.0);  // the metadata alone is far from the camera's look
  EXPECT_GT(before.held_out.delta_e, 10.0);
  for (int i = 0; i < cal.options().iterations; ++i) cal.step();
  const CalibrationPairFigures after = cal.after(0);
  EXPECT_GE(after.held_out.psnr, 38.0);
  EXPECT_GE(after.fit.psnr, 38.0);
  EXPECT_LT(after.held_out.delta_e, 1.0);
  EXPECT_GE(after.held_out.psnr, jpeg_psnr_ - 1.5);  // within 1.5 dB of the JPEG's own error
  EXPECT_GT(after.held_out.pixels, 10000);          // of 61504; the rest has a channel the camera clipped
  EXPECT_GT(after.fit.pixels, 10000);

  // The look: the tint, the colour rendition and exposure-free tone response, saturation, sharpening.
  const auto tint = cal.white_balance_correction();
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(tint[c], synthetic::kCameraTint[c], 0.02) << "channel " << c;
  const auto m = cal.color_matrix();
  const auto truth = synthetic::camera_matrix_for(raw);
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(m[k], truth[k] / synthetic::kCameraExposure, 0.15) << "entry " << k;
  const nlohmann::json fitted = cal.isp_json(), camera = synthetic::camera_isp_json(truth);
  for (const auto& s : fitted["stages"]) {
    if (s["stage"] == "saturation") {
      EXPECT_NEAR(s["params"]["saturation"].get<double>(), synthetic::kCameraSaturation, 0.1);
    }
    if (s["stage"] == "sharpen") {
      EXPECT_NEAR(s["params"]["amount"].get<double>(), synthetic::kCameraSharpenAmount, 0.15);
    }
  }
  // Neutral greys (white-balanced camera RGB (v, v, v)) through both looks.
  std::vector<std::array<float, 3>> greys;
  for (int k = 1; k <= 40; ++k) greys.push_back({0.02f * k, 0.02f * k, 0.02f * k});
  const Tensor gf = look(fitted, greys), gc = look(camera, greys);
  for (size_t i = 0; i < greys.size(); ++i)
    EXPECT_NEAR(px(gf, i)[1], px(gc, i)[1], 0.03) << "grey " << greys[i][1];
  // A chart of colours spanning the scene's: mean ΔE₀₀ of the two renditions.
  Rng rng(5);
  std::vector<std::array<float, 3>> chart;
  for (int k = 0; k < 200; ++k) chart.push_back({rng.uniform(0.03f, 0.6f), rng.uniform(0.03f, 0.6f), rng.uniform(0.03f, 0.6f)});
  const Tensor cf = look(fitted, chart), cc = look(camera, chart);
  double sum = 0;
  for (size_t i = 0; i < chart.size(); ++i) {
    const auto a = px(cf, i), b = px(cc, i);
    sum += delta_e_2000(lab_from_srgb(a[0], a[1], a[2]), lab_from_srgb(b[0], b[1], b[2]));
  }
  EXPECT_LT(sum / static_cast<double>(chart.size()), 1.0);
}

TEST_F(CalibrationTest, WrittenIspDevelopsTheRawToTheCalibratedLook) {
  const RawImage raw = make_pair("apple", synthetic::sample_scene("apple", 2), {0.5, 1.0, 0.62}, 1);
  CalibrationOptions o = fast_options();
  o.iterations = 40;
  Calibration cal({{path("apple.dng"), ""}}, o);
  for (int i = 0; i < o.iterations; ++i) cal.step();
  // The file round-trips as an IspPipeline, and develop() with it gives the calibrated development.
  const nlohmann::json j = cal.isp_json();
  EXPECT_NO_THROW(IspPipeline::from_json(j));
  DevelopConfig dc;
  dc.isp = j;
  const Tensor full = develop(raw, dc);
  const CalibrationPair& p = cal.pair(0);
  Tensor on_grid;
  AreaResample({full.dim(1), full.dim(2), p.target.dim(1), p.target.dim(2), 0, p.geometry.scale_x * p.m,
                p.geometry.scale_y * p.m, p.geometry.offset_x, p.geometry.offset_y})
      .forward(full, on_grid);
  const Tensor calibrated = cal.images(0).calibrated;
  ASSERT_EQ(on_grid.shape(), calibrated.shape());
  double worst = 0;
  for (int64_t i = 0; i < on_grid.numel(); ++i) worst = std::max(worst, std::abs(static_cast<double>(on_grid[i] - calibrated[i])));
  EXPECT_LT(worst, 1e-4);  // the same pipeline on the same mosaic: float rounding only
}

TEST_F(CalibrationTest, ShotsWithTheirOwnWhiteBalanceAreFittedJointly) {
  // Two scenes at a third of their size (fine texture: the orange's peel keeps its JPEG itself near
  // 34 dB), shot under different light: as-shot neutrals far apart.
  make_pair("apple", synthetic::sample_scene("apple", 3), {0.5, 1.0, 0.62}, 1);
  const double floor_apple = jpeg_psnr_;
  make_pair("orange", synthetic::sample_scene("orange", 3), {0.62, 1.0, 0.45}, 1);
  const double floor_orange = jpeg_psnr_;
  Calibration cal({{path("apple.dng"), ""}, {path("orange.dng"), path("orange.jpg")}}, fast_options());
  EXPECT_EQ(cal.pair(1).source, "jpeg");
  for (size_t k = 0; k < 2; ++k) {  // full-size JPEGs: exact crops
    EXPECT_EQ(cal.pair(k).geometry.scale_y, 1.0);
    EXPECT_EQ(cal.pair(k).geometry.offset_y, 4.0);
  }
  for (int i = 0; i < cal.options().iterations; ++i) cal.step();
  // Each shot comes within 1.5 dB of what its own JPEG allows, on the held-out tiles.
  const double floors[2] = {floor_apple, floor_orange};
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_GE(cal.after(k).held_out.psnr, floors[k] - 1.5) << "pair " << k << ", JPEG floor " << floors[k];
    EXPECT_LT(cal.after(k).held_out.delta_e, 2.2) << "pair " << k;
    EXPECT_GT(cal.after(k).held_out.psnr, cal.before(k).held_out.psnr + 15) << "pair " << k;
  }
  const CalibrationPairFigures all = cal.after_overall();
  EXPECT_EQ(all.held_out.pixels, cal.after(0).held_out.pixels + cal.after(1).held_out.pixels);
  EXPECT_GE(all.held_out.psnr, std::min(floor_apple, floor_orange) - 1.5);
  // One tint for both shots, on top of their very different as-shot gains.
  const auto tint = cal.white_balance_correction();
  EXPECT_NEAR(tint[0], synthetic::kCameraTint[0], 0.02);
  EXPECT_NEAR(tint[2], synthetic::kCameraTint[2], 0.02);
}

TEST_F(CalibrationTest, HalfSizeEmbeddedPreviewThroughSuperpixels) {
  const Tensor scene = synthetic::sample_scene("apple", 1);
  DngMetadata md = synthetic::camera_metadata({0.5, 1.0, 0.62}, 6);
  RawImage raw = synthetic::write_scene_dng(path("big.dng"), scene, md);
  const Tensor cam = synthetic::camera_picture(raw, 4);
  Tensor half;
  AreaResample({cam.dim(1), cam.dim(2), cam.dim(1) / 2, cam.dim(2) / 2, 0, 2, 2, 0, 0}).forward(cam, half);
  // The preview is stored unrotated (the DNG's orientation applies to it), at quality 95 with 4:2:0.
  synthetic::write_scene_dng(path("big.dng"), scene, md, encode_jpeg(orient_image(half, 5), {95, ChromaSubsampling::k420, 1}));
  CalibrationOptions o = fast_options();
  o.pair.size = 96;  // 3 preview pixels, 6 raw pixels per grid pixel: superpixels
  o.pair.tile = 16;
  Calibration cal({{path("big.dng"), ""}}, o);
  const CalibrationPair& p = cal.pair(0);
  EXPECT_EQ(p.source, "embedded preview");
  EXPECT_EQ(p.geometry.flip, 6);
  EXPECT_NEAR(p.geometry.scale_x, 2.0, 0.002);
  EXPECT_NEAR(p.geometry.offset_x, 4.0, 0.25);
  EXPECT_EQ(p.binned.pitch, 6);
  for (int i = 0; i < o.iterations; ++i) cal.step();
  EXPECT_GE(cal.after(0).held_out.psnr, 33.0);
  EXPECT_LT(cal.after(0).held_out.delta_e, 2.0);
  // Sharpening was fitted in pixels of 6 raw pixels; the written radius is in raw pixels.
  for (const auto& s : cal.isp_json()["stages"]) {
    if (s["stage"] == "sharpen") {
      EXPECT_NEAR(s["params"]["sigma"].get<double>(), 6.0, 1e-9);
    }
  }
}

TEST_F(CalibrationTest, GradientsOfTheWholeFitMatchFiniteDifferences) {
  // Every stage fitted, with the parameters moved off their starting point, through the whole chain:
  // shared parameters copied into the pair's pipeline, the tint and the matrix's gauge, the ISP, the
  // area resampling and Charbonnier + SSIM on the masks. The Calibration runs in float, so the check
  // is in float: h = 2e-3 in each parameter's own unit (black level: 1 DN), rtol 3e-2 and atol 1e-4
  // (the float loss, ~0.05 summed over 14 000 pixels, is good to ~2e-7, which the central difference
  // turns into up to ~5e-5 of absolute error — seen on the smallest gradients, ~2e-3; kinks of the
  // tone curve and the highlight clip are crossed by a handful of pixels only). A tint gradient off
  // by its gain (5 %) fails this check.
  make_pair("apple", synthetic::sample_scene("apple", 4), {0.5, 1.0, 0.62}, 1);
  CalibrationOptions o = fast_options();
  o.stages = calibration_stage_names();
  o.pair.tile = 16;
  Calibration cal({{path("apple.dng"), ""}}, o);
  for (int i = 0; i < 5; ++i) cal.step();  // away from the identities
  cal.loss(true);
  for (Parameter* p : cal.parameters()) {
    const std::vector<float> analytic(p->grad.begin(), p->grad.end());
    GradCheckOptions opt;
    opt.step = p->name == "black_white_level.black" || p->name == "black_white_level.white" ? 1.0 : 2e-3;
    opt.rtol = 3e-2;
    opt.atol = 1e-4;
    opt.max_elements = 6;
    const GradCheckReport r =
        check_gradient<float>(p->name, p->value.data(), p->value.numel(), analytic.data(), [&] { return cal.loss(false); }, opt);
    EXPECT_TRUE(r.ok) << r.message();
    EXPECT_GT(r.checked, 0) << p->name;
  }
  // Every stage's parameters, and what is written of them, load back.
  for (int i = 0; i < 10; ++i) cal.step();
  const nlohmann::json j = cal.isp_json();
  EXPECT_NO_THROW(IspPipeline::from_json(j));
  for (const auto& s : j["stages"]) {
    EXPECT_TRUE(s["enabled"].get<bool>()) << s["stage"];
    if (s["stage"] == "black_white_level") {
      EXPECT_TRUE(s.contains("params"));  // fitted: the levels are written
    }
  }
}

// The one-line message of a calibration that must fail; empty when it does not fail.
std::string calibration_error(const std::vector<CalibrationPairSpec>& specs) {
  try {
    Calibration cal(specs, fast_options());
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  return "";
}

TEST_F(CalibrationTest, BadPairsAreRefusedNamingTheFile) {
  const Tensor apple = synthetic::sample_scene("apple", 3), orange = synthetic::sample_scene("orange", 3);
  make_pair("apple", apple, {0.5, 1.0, 0.62}, 1);
  make_pair("orange", orange, {0.5, 1.0, 0.62}, 1);
  // No preview and no JPEG.
  synthetic::write_scene_dng(path("bare.dng"), apple, synthetic::camera_metadata({0.5, 1.0, 0.62}, 1));
  std::string e = calibration_error({{path("bare.dng"), ""}});
  EXPECT_NE(e.find(path("bare.dng") + ": has no embedded preview, and no JPEG was given"), std::string::npos) << e;
  // A JPEG of another photo.
  e = calibration_error({{path("apple.dng"), path("orange.jpg")}});
  EXPECT_NE(e.find(path("orange.jpg") + ": does not show the picture in " + path("apple.dng")), std::string::npos) << e;
  // A JPEG of another shape.
  write_jpeg(path("strip.jpg"), Tensor(Shape{3, 30, 160}, 0.5f));
  e = calibration_error({{path("apple.dng"), path("strip.jpg")}});
  EXPECT_NE(e.find(path("strip.jpg") + ": 160x30 does not fit the image of " + path("apple.dng")), std::string::npos) << e;
  // Larger than the RAW.
  write_jpeg(path("large.jpg"), Tensor(Shape{3, 400, 400}, 0.5f));
  e = calibration_error({{path("apple.dng"), path("large.jpg")}});
  EXPECT_NE(e.find(path("large.jpg") + ": 400x400 is larger than the image of"), std::string::npos) << e;
  // Too small to calibrate against.
  write_jpeg(path("tiny.jpg"), Tensor(Shape{3, 40, 40}, 0.5f));
  e = calibration_error({{path("apple.dng"), path("tiny.jpg")}});
  EXPECT_NE(e.find(path("tiny.jpg") + ": only 40x40 pixels"), std::string::npos) << e;
  // A corrupt embedded preview.
  DngMetadata md = synthetic::camera_metadata({0.5, 1.0, 0.62}, 1);
  const std::string preview = encode_jpeg(apple, {90, ChromaSubsampling::k420, 1});
  synthetic::write_scene_dng(path("cut.dng"), apple, md, preview);
  {
    std::fstream f(path("cut.dng"), std::ios::in | std::ios::out | std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t at = bytes.find(preview);
    ASSERT_NE(at, std::string::npos);
    f.seekp(static_cast<std::streamoff>(at + preview.size() / 2));
    const char eoi[2] = {static_cast<char>(0xff), static_cast<char>(0xd9)};
    f.write(eoi, 2);
  }
  e = calibration_error({{path("cut.dng"), ""}});
  EXPECT_NE(e.find(path("cut.dng") + " (embedded preview): corrupt or truncated JPEG"), std::string::npos) << e;
  // A missing RAW, a JPEG that is not one.
  e = calibration_error({{path("none.dng"), ""}});
  EXPECT_EQ(e, path("none.dng") + ": no such file");
  { std::ofstream(path("fake.jpg")) << "not a jpeg"; }
  e = calibration_error({{path("apple.dng"), path("fake.jpg")}});
  EXPECT_EQ(e, path("fake.jpg") + ": not a JPEG (no start-of-image marker)");
  // Two cameras.
  DngMetadata other = synthetic::camera_metadata({0.5, 1.0, 0.62}, 1);
  other.model = "Other 2";
  const RawImage o = synthetic::write_scene_dng(path("other.dng"), orange, other);
  write_jpeg(path("other.jpg"), synthetic::camera_picture(o, 4));
  e = calibration_error({{path("apple.dng"), ""}, {path("other.dng"), ""}});
  EXPECT_NE(e.find(path("other.dng") + ": taken with Acme Other 2, but"), std::string::npos) << e;
  // Bad options.
  CalibrationOptions bad;
  bad.stages = {"tone_curve", "vignette"};
  EXPECT_THROW(bad.check(), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
