// The window's models: Save Model writes the running network; after Open Model, an opened photo shows
// the network's prediction at once (the same scene a prediction loop of the model decodes, bit for
// bit) and Start refines it.
#include "gui_test_env.h"

#include "app/gui/main_window.h"
#include "app/prediction.h"

#include <QAction>
#include <QTest>

#include <cstring>
#include <fstream>

namespace invgfx {
namespace {

TEST(GuiModel, SaveModelThenPredictAnOpenedPhotoAndRefineIt) {
  gui_test::app();
  MainWindow window;
  window.set_confirm_close(false);
  window.set_config(gui_test::tiny_config());
  window.resize(1400, 860);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  auto open = [&](const std::vector<std::filesystem::path>& inputs) {
    bool done = false, ok = false;
    window.set_on_loaded([&](bool success) {
      done = true;
      ok = success;
    });
    window.open_inputs(inputs);
    ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 60000));
    ASSERT_TRUE(ok) << window.last_error().toStdString();
  };

  // Train a few steps on the samples, save the network as a model.
  open({gui_test::samples_dir()});
  for (int i = 0; i < 3; ++i) window.action("run_step")->trigger();
  ASSERT_TRUE(window.runner()->wait_idle(30000));
  const auto dir = gui_test::temp_dir("model");
  const auto path = dir / "model.invgfx";
  ASSERT_TRUE(window.action("file_save_model")->isEnabled());
  window.save_model_to(path);
  ASSERT_TRUE(std::filesystem::exists(path));

  // Open it, then one photo: the snapshot shows the prediction before any step.
  EXPECT_FALSE(window.has_model());
  window.open_model(path);
  EXPECT_TRUE(window.has_model());
  const auto photo = gui_test::samples_dir() / "apple.jpg";
  open({photo});
  ASSERT_TRUE(window.runner()->wait_idle(30000));
  LoopSnapshot snap;
  uint64_t version = 0;
  ASSERT_TRUE(QTest::qWaitFor([&] { return window.runner()->copy_snapshot(snap, version); }, 30000));
  EXPECT_EQ(snap.iteration, 0);

  const ModelContents model = read_model_file(path);
  FitRequest r;
  r.inputs = {photo};
  const LoopConfig at_size = prediction_config(model, "model", 1, 0);
  auto expected = prediction_loop(model, "model", load_dataset(r.inputs, dataset_options(r, at_size)), 0);
  const Scene want = expected->scene(0);
  ASSERT_EQ(snap.scene.positions.shape(), want.positions.shape());
  EXPECT_EQ(std::memcmp(snap.scene.positions.data(), want.positions.data(), sizeof(float) * want.positions.numel()), 0)
      << "the window shows the model's prediction";
  EXPECT_EQ(std::memcmp(snap.scene.camera.data(), want.camera.data(), sizeof(float) * 4), 0);

  // Step refines the photo's own scene from there.
  window.action("run_step")->trigger();
  ASSERT_TRUE(window.runner()->wait_idle(30000));
  EXPECT_EQ(window.runner()->status().phase, LoopPhase::kRefinement);

  // A damaged model is refused naming the file; the open model stays.
  std::ofstream(dir / "bad.invgfx") << "not a model at all";
  try {
    window.open_model(dir / "bad.invgfx");
    FAIL() << "accepted a damaged model";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.invgfx': not an invgfx model"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(window.has_model());
  window.close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace invgfx
