// The main window's actions through Qt Test: open, start/pause/step (menu actions and shortcuts),
// photo focus from the dataset dock, drag and drop, export to a folder and loading the files back,
// save and reopen a session, and ImGui receiving Qt input.
#include "gui_test_env.h"

#include "app/fit_outputs.h"
#include "app/scene_file.h"
#include "app/gui/dataset_dock.h"
#include "app/gui/imgui_widget.h"
#include "app/gui/main_window.h"
#include "render/obj_loader.h"

#include <QAction>
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QToolButton>
#include <QListWidget>
#include <QMimeData>
#include <QTest>
#include <QUrl>

#include <fstream>

namespace invgfx {
namespace {

class GuiWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    gui_test::app();
    window_ = std::make_unique<MainWindow>();
    window_->set_confirm_close(false);
    window_->set_config(gui_test::tiny_config());
    window_->resize(1400, 860);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
  }
  void TearDown() override {
    if (window_) window_->close();
    window_.reset();
  }

  // Opens inputs and waits until the loop runs in the window.
  void open(const std::vector<std::filesystem::path>& inputs) {
    bool done = false, ok = false;
    window_->set_on_loaded([&](bool success) {
      done = true;
      ok = success;
    });
    window_->open_inputs(inputs);
    ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 60000));
    ASSERT_TRUE(ok) << window_->last_error().toStdString();
    ASSERT_NE(window_->runner(), nullptr);
  }

  void trigger(const char* name) {
    QAction* a = window_->action(name);
    ASSERT_NE(a, nullptr) << name;
    ASSERT_TRUE(a->isEnabled()) << name;
    a->trigger();
  }

  int64_t iteration() { return window_->runner()->status().iteration; }
  void idle() { ASSERT_TRUE(window_->runner()->wait_idle(30000)); }

  std::unique_ptr<MainWindow> window_;
};

TEST_F(GuiWindow, OpenStepStartPause) {
  open({gui_test::samples_dir()});
  EXPECT_EQ(window_->dataset_dock()->count(), 2);
  EXPECT_EQ(iteration(), 0) << "the window waits for Start";
  EXPECT_TRUE(window_->action("run_start")->isEnabled());

  trigger("run_step");
  trigger("run_step");
  idle();
  EXPECT_EQ(iteration(), 2);
  // The shortcut F10 steps as well (shortcuts need the window to be the active one).
  window_->activateWindow();
  ASSERT_TRUE(QTest::qWaitForWindowActive(window_.get()));
  QTest::keyClick(window_.get(), Qt::Key_F10);
  idle();
  EXPECT_EQ(iteration(), 3);

  trigger("run_start");
  ASSERT_TRUE(QTest::qWaitFor([&] { return iteration() >= 6; }, 30000));
  QTest::qWait(100);  // the status timer refreshes the actions
  EXPECT_TRUE(window_->action("run_pause")->isEnabled());
  EXPECT_FALSE(window_->action("run_step")->isEnabled()) << "no single step while running";
  trigger("run_pause");
  idle();
  const int64_t paused = iteration();
  QTest::qWait(200);
  EXPECT_EQ(iteration(), paused);
  EXPECT_TRUE(window_->dirty());

  // The dashboard caught up with the loop: history and snapshot.
  QTest::qWait(150);
  window_->grab_window();
  EXPECT_EQ(static_cast<int64_t>(window_->dashboard().history().size()), paused);
  EXPECT_EQ(window_->dashboard().snapshot().iteration, paused);

  trigger("run_reset");
  idle();
  EXPECT_EQ(iteration(), 0);
}

// Clicks `button` of the message box the window opens next (from inside its modal loop); records
// whether one opened.
void answer_next_box(QMessageBox::StandardButton button, bool* asked) {
  QTimer::singleShot(50, [button, asked] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box) return;
    *asked = true;
    box->button(button)->click();
  });
}

TEST_F(GuiWindow, ClosingWhileRunningAsksThenStopsTheWorker) {
  open({gui_test::samples_dir()});
  trigger("run_start");
  ASSERT_TRUE(QTest::qWaitFor([&] { return iteration() >= 2; }, 30000));
  ASSERT_TRUE(window_->dirty());
  window_->set_confirm_close(true);

  bool asked = false;
  answer_next_box(QMessageBox::Cancel, &asked);
  EXPECT_FALSE(window_->close()) << "Cancel keeps the window";
  EXPECT_TRUE(asked);
  EXPECT_TRUE(window_->isVisible());
  const int64_t before = iteration();
  ASSERT_TRUE(QTest::qWaitFor([&] { return iteration() > before; }, 30000)) << "the fit kept running";

  asked = false;
  answer_next_box(QMessageBox::Discard, &asked);
  EXPECT_TRUE(window_->close());
  EXPECT_TRUE(asked);
  EXPECT_TRUE(window_->runner()->status().stopped) << "the worker was joined";
  const int64_t last = iteration();
  QTest::qWait(200);
  EXPECT_EQ(iteration(), last);
}

// Cancelling a load (the status bar's Cancel) keeps the fit that was open; the window stays usable.
TEST_F(GuiWindow, CancelledLoadKeepsTheOpenFit) {
  open({gui_test::samples_dir()});
  trigger("run_step");
  idle();
  const auto dir = gui_test::temp_dir("cancel_load");
  for (int i = 0; i < 300; ++i)  // slow enough to cancel: 300 photos with automatic masks
    std::filesystem::create_symlink(gui_test::samples_dir() / "apple.jpg", dir / ("apple" + std::to_string(i) + ".jpg"));
  bool done = false, ok = true;
  window_->set_on_loaded([&](bool success) {
    done = true;
    ok = success;
  });
  window_->open_inputs({dir});
  QToolButton* cancel = nullptr;
  for (QToolButton* b : window_->findChildren<QToolButton*>())
    if (b->text() == "Cancel") cancel = b;
  ASSERT_NE(cancel, nullptr);
  ASSERT_TRUE(QTest::qWaitFor([&] { return cancel->isVisible(); }, 5000));
  QTest::mouseClick(cancel, Qt::LeftButton);
  ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 30000));
  EXPECT_FALSE(ok) << "the load was cancelled, not finished";
  EXPECT_FALSE(cancel->isVisible());
  ASSERT_NE(window_->runner(), nullptr);
  EXPECT_EQ(window_->dataset_dock()->count(), 2) << "the open fit and its photos stay";
  EXPECT_EQ(iteration(), 1);
  trigger("run_step");
  idle();
  EXPECT_EQ(iteration(), 2);
  std::filesystem::remove_all(dir);
}

TEST_F(GuiWindow, DockSelectsThePhotoInFocus) {
  open({gui_test::samples_dir()});
  window_->dataset_dock()->list()->setCurrentRow(1);
  idle();
  LoopSnapshot snap;
  uint64_t version = 0;
  ASSERT_TRUE(window_->runner()->copy_snapshot(snap, version));
  EXPECT_EQ(snap.photo, 1);
}

TEST_F(GuiWindow, DropOpensTheDroppedPhoto) {
  open({gui_test::samples_dir()});
  bool done = false;
  window_->set_on_loaded([&](bool) { done = true; });
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(QString::fromStdString((gui_test::samples_dir() / "orange.jpg").string()))});
  QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(window_.get(), &enter);
  EXPECT_TRUE(enter.isAccepted());
  QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(window_.get(), &drop);
  ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 60000));
  EXPECT_EQ(window_->dataset_dock()->count(), 1);
  EXPECT_EQ(window_->runner()->num_photos(), 1);
}

TEST_F(GuiWindow, ExportWritesFilesThatLoadBack) {
  open({gui_test::samples_dir()});
  for (int i = 0; i < 3; ++i) trigger("run_step");
  idle();
  const auto dir = gui_test::temp_dir("export");
  window_->export_to(dir);
  for (const char* f : {"mesh.obj", "mesh.mtl", "texture.png", "scene.glb", "scene.ply", "scene.json", "render.png",
                        "metrics.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;

  struct {
    Mesh mesh;
  } snap;
  window_->runner()->call([&](Loop& loop) { snap.mesh = loop.mesh(0); });
  ASSERT_GT(snap.mesh.num_vertices(), 0);
  const Mesh obj = load_obj<float>((dir / "mesh.obj").string());
  EXPECT_EQ(obj.num_vertices(), snap.mesh.num_vertices());
  EXPECT_EQ(obj.num_faces(), snap.mesh.num_faces());
  EXPECT_TRUE(obj.has_texture());

  const SceneFile scene = read_scene_file(dir / "scene.json");
  EXPECT_EQ(scene.mesh.num_faces(), snap.mesh.num_faces());
  const Tensor again = render_scene_file(scene);
  EXPECT_EQ(again.dim(1), 64);

  std::ifstream glb(dir / "scene.glb", std::ios::binary);
  char magic[4] = {};
  glb.read(magic, 4);
  EXPECT_EQ(std::string(magic, 4), "glTF");
  std::ifstream ply(dir / "scene.ply");
  std::string line;
  std::getline(ply, line);
  EXPECT_EQ(line, "ply");
  bool vertex_line = false;
  while (std::getline(ply, line) && line != "end_header")
    if (line == "element vertex " + std::to_string(snap.mesh.num_vertices())) vertex_line = true;
  // PLY splits UV seams into separate vertices or keeps the template's; either way it names a count.
  EXPECT_TRUE(vertex_line || line == "end_header");
  std::filesystem::remove_all(dir);
}

TEST_F(GuiWindow, SaveAndOpenSessionResumesTheFit) {
  open({gui_test::samples_dir()});
  for (int i = 0; i < 4; ++i) trigger("run_step");
  idle();
  const auto dir = gui_test::temp_dir("session");
  const auto path = dir / "fit.session";
  window_->save_session_to(path);
  EXPECT_TRUE(std::filesystem::exists(path));
  ASSERT_EQ(Loop::session_inputs(path).inputs.size(), 1u) << "the session names what it was fitted on";
  EXPECT_EQ(std::filesystem::canonical(Loop::session_inputs(path).inputs[0]),
            std::filesystem::canonical(gui_test::samples_dir()));
  EXPECT_FALSE(window_->dirty());

  // The next step from the saved state, as the original fit takes it.
  trigger("run_step");
  idle();
  std::vector<StepInfo> original;
  uint64_t generation = 0;
  window_->runner()->copy_history(original, generation);
  ASSERT_EQ(original.size(), 5u);

  bool done = false, ok = false;
  window_->set_on_loaded([&](bool success) {
    done = true;
    ok = success;
  });
  window_->open_session(path);
  ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 60000));
  ASSERT_TRUE(ok) << window_->last_error().toStdString();
  EXPECT_EQ(iteration(), 4);
  EXPECT_EQ(window_->dataset_dock()->count(), 2);
  EXPECT_FALSE(window_->dirty());
  trigger("run_step");
  idle();
  std::vector<StepInfo> resumed;
  generation = ~uint64_t{0};
  window_->runner()->copy_history(resumed, generation);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].iteration, 5);
  EXPECT_DOUBLE_EQ(resumed[0].loss, original[4].loss) << "the resumed fit continues bit-identically";
  std::filesystem::remove_all(dir);
}

// A session saved by the window continues in the CLI without retyping its photos, and the CLI's
// session opens in the window where the CLI left it.
TEST_F(GuiWindow, SessionsMoveBetweenTheWindowAndTheCli) {
  open({gui_test::samples_dir()});
  for (int i = 0; i < 3; ++i) trigger("run_step");
  idle();
  const auto dir = gui_test::temp_dir("window_cli");
  window_->save_session_to(dir / "window.session");
  const std::string cmd = std::string("OMP_NUM_THREADS=2 '") + INVGFX_CLI_EXE + "' fit --resume '" +
                          (dir / "window.session").string() + "' --iters 5 --out '" + (dir / "cli").string() +
                          "' > '" + (dir / "cli.txt").string() + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream log(dir / "cli.txt");
  const std::string out((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(out.find("loaded 2 photo(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("resumed"), std::string::npos) << out;

  bool done = false, ok = false;
  window_->set_on_loaded([&](bool success) {
    done = true;
    ok = success;
  });
  window_->open_session(dir / "cli" / "session.bin");
  ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 60000));
  ASSERT_TRUE(ok) << window_->last_error().toStdString();
  EXPECT_EQ(iteration(), 5);
  EXPECT_EQ(window_->dataset_dock()->count(), 2);
  std::filesystem::remove_all(dir);
}

TEST_F(GuiWindow, ImGuiReceivesWheelAndClicks) {
  open({gui_test::samples_dir()});
  for (int i = 0; i < 2; ++i) trigger("run_step");
  idle();
  QImage before = window_->grab_window();
  const auto rects = window_->dashboard().panel_rects();
  ASSERT_TRUE(rects.count("photo"));
  const auto r = rects.at("photo");
  ImGuiWidget* view = window_->view();
  const QPoint centre(static_cast<int>(r[0] + r[2] / 2), static_cast<int>(r[1] + r[3] / 2));
  // Hover first (ImGui needs the mouse position a frame before the wheel counts).
  QTest::mouseMove(view, centre);
  window_->grab_window();
  QWheelEvent wheel(QPointF(centre), view->mapToGlobal(QPointF(centre)), QPoint(), QPoint(0, 360), Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(view, &wheel);
  QImage after = window_->grab_window();
  const QPoint offset = view->mapTo(window_.get(), QPoint(0, 0));
  const QRect panel(static_cast<int>(r[0]) + offset.x() + 2, static_cast<int>(r[1]) + offset.y() + 2,
                    static_cast<int>(r[2]) - 4, static_cast<int>(r[3]) - 4);
  double diff = 0;
  int n = 0;
  for (int y = panel.top(); y < panel.bottom(); y += 3)
    for (int x = panel.left(); x < panel.right(); x += 3) {
      diff += std::abs(qGray(before.pixel(x, y)) - qGray(after.pixel(x, y))) / 255.0;
      ++n;
    }
  EXPECT_GT(diff / n, 0.02) << "the wheel zoomed the photo panel";

  // A click on the dashboard's Start button (the first of its toolbar) runs the loop.
  const int64_t before_steps = iteration();
  window_->grab_window();
  const QPoint start_button(24, 12);
  QTest::mouseMove(view, start_button);
  window_->grab_window();
  QTest::mousePress(view, Qt::LeftButton, Qt::NoModifier, start_button);
  window_->grab_window();
  QTest::mouseRelease(view, Qt::LeftButton, Qt::NoModifier, start_button);
  window_->grab_window();
  ASSERT_TRUE(QTest::qWaitFor([&] { return iteration() > before_steps; }, 10000)) << "Start clicked in ImGui";
  window_->runner()->pause();
  idle();
}

}  // namespace
}  // namespace invgfx
