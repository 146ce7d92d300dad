// The real `invgfx` executable on the sample photos: `--steps N --screenshot` after 1 and after a few
// dozen steps, then the pixels of the screenshots are checked where the window says its panels are.
#include "gui_test_env.h"

#include "app/dataset.h"
#include "core/version.h"

#include <QImage>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace invgfx {
namespace {

struct Shot {
  QImage image;
  nlohmann::json info;
};

Shot read_shot(const std::filesystem::path& png) {
  Shot s;
  s.image = QImage(QString::fromStdString(png.string())).convertToFormat(QImage::Format_RGB32);
  std::ifstream in(png.string() + ".json");
  if (in) s.info = nlohmann::json::parse(in);
  return s;
}

// One run of the executable: a screenshot after the first step and one after `steps`. `env`: variables
// for the run (e.g. "QT_SCALE_FACTOR=2 ").
std::pair<Shot, Shot> take_screenshots(const std::filesystem::path& dir, int steps, const std::string& env = "") {
  gui_test::ensure_display();
  const auto config = dir / "tiny.json";
  std::ofstream(config) << gui_test::tiny_config().to_json().dump(1);
  const std::string cmd = env + "\"" + INVGFX_GUI_EXE + "\" --config \"" + config.string() +
                          "\" --window-size 1500x900 --steps " + std::to_string(steps) + " --first-screenshot \"" +
                          (dir / "first.png").string() + "\" --screenshot \"" + (dir / "last.png").string() +
                          "\" \"" + gui_test::samples_dir().string() + "\" > \"" + (dir / "log.txt").string() +
                          "\" 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  return {read_shot(dir / "first.png"), read_shot(dir / "last.png")};
}

QRect panel(const Shot& s, const char* key) {
  const auto& r = s.info.at("panels").at(key);
  return QRect(static_cast<int>(std::ceil(r[0].get<double>())), static_cast<int>(std::ceil(r[1].get<double>())),
               static_cast<int>(r[2].get<double>()) - 1, static_cast<int>(r[3].get<double>()) - 1);
}

// Mean absolute difference (0..1) between a panel and an image tensor drawn into it (nearest texel).
double panel_vs_tensor(const QImage& image, const QRect& r, const Tensor& srgb) {
  const int S = static_cast<int>(srgb.dim(1));
  const int64_t plane = static_cast<int64_t>(S) * S;
  double sum = 0;
  int n = 0;
  for (int y = r.top() + 2; y < r.bottom() - 2; y += 3)
    for (int x = r.left() + 2; x < r.right() - 2; x += 3) {
      const int tx = std::min(S - 1, static_cast<int>((x - r.left() + 0.5) / r.width() * S));
      const int ty = std::min(S - 1, static_cast<int>((y - r.top() + 0.5) / r.height() * S));
      const QRgb p = image.pixel(x, y);
      const int64_t i = static_cast<int64_t>(ty) * S + tx;
      sum += std::abs(qRed(p) / 255.0 - srgb[i]) + std::abs(qGreen(p) / 255.0 - srgb[plane + i]) +
             std::abs(qBlue(p) / 255.0 - srgb[2 * plane + i]);
      n += 3;
    }
  return sum / std::max(1, n);
}

double panel_stddev(const QImage& image, const QRect& r) {
  double s = 0, s2 = 0;
  int n = 0;
  for (int y = r.top(); y <= r.bottom(); y += 2)
    for (int x = r.left(); x <= r.right(); x += 2) {
      const double v = qGray(image.pixel(x, y)) / 255.0;
      s += v;
      s2 += v * v;
      ++n;
    }
  const double m = s / n;
  return std::sqrt(std::max(0.0, s2 / n - m * m));
}

double panels_differ(const QImage& a, const QImage& b, const QRect& ra, const QRect& rb) {
  double sum = 0;
  int n = 0;
  for (int y = 0; y < std::min(ra.height(), rb.height()); y += 2)
    for (int x = 0; x < std::min(ra.width(), rb.width()); x += 2) {
      const QRgb p = a.pixel(ra.left() + x, ra.top() + y), q = b.pixel(rb.left() + x, rb.top() + y);
      sum += (std::abs(qRed(p) - qRed(q)) + std::abs(qGreen(p) - qGreen(q)) + std::abs(qBlue(p) - qBlue(q))) / 765.0;
      ++n;
    }
  return sum / std::max(1, n);
}

// The window reports the same version as every other binary (core/version.h), without a display.
TEST(GuiScreenshot, VersionIsTheProjectsOne) {
  const auto dir = gui_test::temp_dir("version");
  const std::string cmd = std::string("'") + INVGFX_GUI_EXE + "' --version > '" + (dir / "v.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(dir / "v.txt");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, std::string("invgfx ") + version_string());
}

TEST(GuiScreenshot, WindowShowsTheFitAndTheLossFalls) {
  const auto dir = gui_test::temp_dir("screenshot");
  const auto [first, last] = take_screenshots(dir, 30);
  ASSERT_FALSE(first.image.isNull());
  ASSERT_FALSE(last.image.isNull());
  ASSERT_TRUE(last.info.contains("panels")) << last.info.dump();
  EXPECT_EQ(first.info.at("iteration").get<int>(), 1);
  EXPECT_EQ(last.info.at("iteration").get<int>(), 30);
  EXPECT_GE(last.image.width(), 1400);

  for (const char* key : {"photo", "render", "linear", "error", "silhouette", "plot", "mesh"})
    EXPECT_TRUE(last.info["panels"].contains(key)) << key;

  // The photo panel shows the first sample photo as the dataset prepares it.
  DatasetOptions options;
  options.size = 64;
  const Dataset data = load_dataset({gui_test::samples_dir()}, options);
  const double photo_error = panel_vs_tensor(last.image, panel(last, "photo"), data.photos[0].srgb);
  EXPECT_LT(photo_error, 0.03) << "photo panel vs the photo";
  // ... and not, say, the other photo.
  EXPECT_GT(panel_vs_tensor(last.image, panel(last, "photo"), data.photos[1].srgb), 2 * photo_error);

  // The render panel is not blank and changed between the first and the last step.
  EXPECT_GT(panel_stddev(last.image, panel(last, "render")), 0.02);
  const double change = panels_differ(first.image, last.image, panel(first, "render"), panel(last, "render"));
  EXPECT_GT(change, 0.01) << "render after 1 step vs after 30";
  EXPECT_GT(panel_stddev(last.image, panel(last, "mesh")), 0.02) << "3D view shows the mesh";

  // The loss plot has points: pixels of the total's curve (white) inside the plot area.
  const QRect plot = panel(last, "plot");
  int curve = 0;
  for (int y = plot.top(); y <= plot.bottom(); ++y)
    for (int x = plot.left() + 60; x <= plot.right(); ++x) {
      const QRgb p = last.image.pixel(x, y);
      if (qRed(p) > 200 && qGreen(p) > 200 && qBlue(p) > 200) ++curve;
    }
  EXPECT_GT(curve, 40) << "white pixels of the total loss curve";

  // The loss went down: the last steps against the first ones.
  const auto losses = last.info.at("loss").get<std::vector<double>>();
  ASSERT_EQ(losses.size(), 30u);
  double head = 0, tail = 0;
  for (int i = 0; i < 5; ++i) head += losses[static_cast<size_t>(i)], tail += losses[losses.size() - 1 - i];
  EXPECT_LT(tail, 0.9 * head) << "mean loss of the last 5 steps vs the first 5";
  std::filesystem::remove_all(dir);
}

// HiDPI: at device pixel ratio 2 the screenshot has twice the pixels, the panel rectangles scale with
// it, and the photo panel still shows the photo (images and ImGui are drawn at the device resolution).
TEST(GuiScreenshot, HiDpiWindowScalesItsPanels) {
  const auto dir = gui_test::temp_dir("hidpi");
  const auto [first, last] = take_screenshots(dir, 2, "QT_SCALE_FACTOR=2 ");
  ASSERT_FALSE(last.image.isNull());
  EXPECT_EQ(last.image.width(), 3000);
  EXPECT_EQ(last.image.height(), 1800);
  const QRect photo = panel(last, "photo");
  EXPECT_GT(photo.width(), 200) << "panel rectangles are in device pixels";
  DatasetOptions options;
  options.size = 64;
  const Dataset data = load_dataset({gui_test::samples_dir()}, options);
  EXPECT_LT(panel_vs_tensor(last.image, photo, data.photos[0].srgb), 0.03) << "photo panel vs the photo";
  EXPECT_GT(panel_stddev(last.image, panel(last, "render")), 0.02);
  std::filesystem::remove_all(dir);
}

TEST(GuiScreenshot, BadArgumentsExitWithAnError) {
  gui_test::ensure_display();
  const auto dir = gui_test::temp_dir("badargs");
  const std::string missing = std::string("\"") + INVGFX_GUI_EXE + "\" --steps 1 --screenshot \"" +
                              (dir / "x.png").string() + "\" /nonexistent/photo.jpg > /dev/null 2>&1";
  EXPECT_NE(std::system(missing.c_str()), 0) << "a missing photo fails the batch run";
  EXPECT_FALSE(std::filesystem::exists(dir / "x.png"));
  const std::string bad_steps = std::string("\"") + INVGFX_GUI_EXE + "\" --steps -3 --screenshot \"" +
                                (dir / "y.png").string() + "\" > /dev/null 2>&1";
  EXPECT_NE(std::system(bad_steps.c_str()), 0);
  std::filesystem::remove_all(dir);
}

// Without any display the window cannot open: one line says so and how to run headless; --help and
// --version still answer.
TEST(GuiScreenshot, WithoutADisplayHelpWorksAndStartingSaysWhy) {
  const auto dir = gui_test::temp_dir("nodisplay");
  const std::string exe = std::string("env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM \"") + INVGFX_GUI_EXE + "\"";
  const auto out = dir / "out.txt";
  EXPECT_EQ(std::system((exe + " --help > \"" + out.string() + "\" 2>&1").c_str()), 0);
  std::string text;
  {
    std::ifstream f(out);
    text.assign(std::istreambuf_iterator<char>(f), {});
  }
  EXPECT_NE(text.find("--screenshot"), std::string::npos) << text;
  EXPECT_NE(std::system((exe + " > \"" + out.string() + "\" 2>&1").c_str()), 0);
  {
    std::ifstream f(out);
    text.assign(std::istreambuf_iterator<char>(f), {});
  }
  EXPECT_NE(text.find("no display"), std::string::npos) << text;
  EXPECT_NE(text.find("xvfb-run"), std::string::npos) << text;
  EXPECT_EQ(text.find("qt.qpa"), std::string::npos) << text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace invgfx
