// The ISP calibration view through the main window (Tools ▸ Calibrate ISP from RAW + JPEG…) on a
// synthetic pair with a known camera look: a run fills the four pictures, the tone curve, the colour
// matrix and the before/after figures, Save writes isp.json and its report, Open shows them again,
// Use for Fits hands the ISP to the window, and a bad pair shows its one-line error. A screenshot of
// the view is left in the build folder (test_gui/calibration.png) for a look.
#include "gui_test_env.h"

#include "app/gui/calibration_dialog.h"
#include "app/gui/calibration_panels.h"
#include "app/gui/main_window.h"
#include "tests/isp/synthetic_camera.h"

#include <QAction>
#include <QPushButton>
#include <QStatusBar>
#include <QTableWidget>
#include <QTest>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

TEST(GuiCalibration, RunShowSaveOpenAndUse) {
  gui_test::app();
  const fs::path dir = gui_test::temp_dir("calibration");
  const RawImage raw = synthetic::write_scene_dng((dir / "apple.dng").string(), synthetic::sample_scene("apple", 2),
                                                  synthetic::camera_metadata({0.5, 1.0, 0.62}, 1));
  write_jpeg((dir / "apple.jpg").string(), synthetic::camera_picture(raw, 4), {97, ChromaSubsampling::k444, 1});

  MainWindow window;
  window.set_confirm_close(false);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  QAction* open = window.action("tools_calibrate_isp");
  ASSERT_NE(open, nullptr);
  open->trigger();
  auto* d = window.findChild<CalibrationDialog*>();
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(QTest::qWaitForWindowExposed(d));

  d->add_pair(QString::fromStdString((dir / "apple.dng").string()));
  d->set_iterations(60);
  d->start();
  using S = CalibrationRunner::State;
  ASSERT_TRUE(QTest::qWaitFor([&] { return d->runner().state() == S::kDone || d->runner().state() == S::kFailed; }, 120000));
  ASSERT_EQ(d->runner().state(), S::kDone) << d->status_text().toStdString();
  QTest::qWait(300);  // the view polls every 100 ms
  EXPECT_TRUE(d->status_text().startsWith("done")) << d->status_text().toStdString();
  for (int i = 0; i < 4; ++i) {
    ASSERT_FALSE(d->panel(i)->image().isNull()) << "panel " << i;
    EXPECT_EQ(d->panel(i)->image().width(), 248) << "panel " << i;
  }
  EXPECT_EQ(d->curve_plot()->curve().size(), 33u);
  QTableWidget* f = d->figures_table();
  ASSERT_EQ(f->rowCount(), 1);
  const double before = f->item(0, 1)->text().split(" ").front().toDouble();
  const double after = f->item(0, 3)->text().split(" ").front().toDouble();
  EXPECT_LT(before, 20.0);
  EXPECT_GT(after, 34.0);
  EXPECT_FALSE(d->matrix_table()->item(3, 0)->text().isEmpty());  // the tint row

  fs::create_directories(fs::path(INVGFX_BINARY_DIR) / "test_gui");
  const QString shot = QString::fromStdString((fs::path(INVGFX_BINARY_DIR) / "test_gui" / "calibration.png").string());
  EXPECT_TRUE(d->grab().save(shot));

  // Save, then show the saved calibration again.
  const QString isp = QString::fromStdString((dir / "out" / "isp.json").string());
  fs::create_directories(dir / "out");
  ASSERT_TRUE(d->save_to(isp, true)) << d->status_text().toStdString();
  for (const char* name : {"isp.json", "calibration.json", "apple_calibration.png"}) EXPECT_TRUE(fs::exists(dir / "out" / name)) << name;
  ASSERT_TRUE(d->open_isp(isp)) << d->status_text().toStdString();
  EXPECT_EQ(d->curve_plot()->curve().size(), 33u);
  EXPECT_EQ(d->figures_table()->rowCount(), 1);
  EXPECT_EQ(d->panel(1)->image().width(), 248);
  EXPECT_FALSE(d->open_isp(QString::fromStdString((dir / "apple.jpg").string())));
  EXPECT_TRUE(d->status_text().contains("apple.jpg")) << d->status_text().toStdString();

  // Use for Fits: the window takes the ISP for its next fit and says so.
  ASSERT_TRUE(d->open_isp(isp));
  int clicked = 0;
  for (QPushButton* b : d->findChildren<QPushButton*>())
    if (b->text() == "Use for Fits") {
      b->click();
      ++clicked;
    }
  EXPECT_EQ(clicked, 1);
  EXPECT_TRUE(window.statusBar()->currentMessage().contains("calibrated ISP")) << window.statusBar()->currentMessage().toStdString();

  // A pair that cannot be calibrated: its error, in one line, in the status.
  d->clear_pairs();
  synthetic::write_scene_dng((dir / "bare.dng").string(), synthetic::sample_scene("apple", 4),
                             synthetic::camera_metadata({0.5, 1.0, 0.62}, 1));
  d->add_pair(QString::fromStdString((dir / "bare.dng").string()));
  d->start();
  ASSERT_TRUE(QTest::qWaitFor([&] { return d->runner().state() == S::kFailed; }, 60000));
  QTest::qWait(300);
  EXPECT_TRUE(d->status_text().contains("has no embedded preview")) << d->status_text().toStdString();
  d->close();
  window.close();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace invgfx
