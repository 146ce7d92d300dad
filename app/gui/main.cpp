// invgfx: the desktop application.
//   invgfx                         opens the bundled sample photos and waits for Start
//   invgfx PATH...                 opens those photos, lists or folders
//   invgfx --steps N --screenshot OUT.png [PATH...]
//                                  runs N steps, saves a screenshot of the whole window and exits;
//                                  OUT.png.json records where each panel is and the losses, for tests;
//                                  --first-screenshot FIRST.png also grabs the window after step 1
//   --preset NAME, --config FILE, --masks DIR|auto|none   as in invgfx-cli fit
//   --model FILE                   a trained model (invgfx-cli train): the photos are predicted by it
//                                  at once and refined on Start
#include "app/gui/imgui_widget.h"
#include "app/gui/main_window.h"
#include "app/loop_config.h"
#include "core/version.h"

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QCommandLineParser>
#include <QImage>
#include <QSurfaceFormat>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <iostream>

using namespace invgfx;

namespace {

// Grabs the window into `path`; false (with a message) when it cannot be written.
bool save_grab(MainWindow& window, const QString& path) {
  window.dashboard().refresh();
  const QImage image = window.grab_window();
  if (!image.save(path)) {
    std::cerr << "invgfx: cannot write " << path.toStdString() << "\n";
    return false;
  }
  // Where the panels are (device pixels of the screenshot) and what the loss did.
  const double dpr = window.devicePixelRatioF();
  const QPoint offset = window.view()->mapTo(&window, QPoint(0, 0));
  nlohmann::json j;
  j["width"] = image.width();
  j["height"] = image.height();
  for (const auto& [key, r] : window.dashboard().panel_rects())
    j["panels"][key] = {(r[0] + offset.x()) * dpr, (r[1] + offset.y()) * dpr, r[2] * dpr, r[3] * dpr};
  const auto& history = window.dashboard().history();
  j["iteration"] = window.runner()->status().iteration;
  j["steps"] = history.size();
  j["loss"] = nlohmann::json::array();
  for (const StepInfo& s : history) j["loss"].push_back(s.loss);
  std::ofstream(path.toStdString() + ".json") << j.dump(1) << "\n";
  return true;
}

// Steps the loaded fit N times (exactly), then grabs the window and quits with 0 (1 on failure).
// With `first`, the window is also grabbed after the first step (the tests compare the two).
void run_screenshot(MainWindow& window, int steps, const QString& path, const QString& first) {
  window.set_confirm_close(false);
  window.set_on_loaded([&window, steps, path, first](bool ok) {
    if (!ok) {
      std::cerr << "invgfx: loading failed: " << window.last_error().toStdString() << "\n";
      QApplication::exit(1);
      return;
    }
    LoopRunner* runner = window.runner();
    const int64_t start = runner->status().iteration;
    const int64_t target = start + steps;
    runner->post([target](Loop& loop) {
      if (loop.config().iterations < target) loop.set_iterations(static_cast<int>(target));
    });
    const bool grab_first = !first.isEmpty() && steps > 0;
    const int queued = grab_first ? 1 : steps;
    for (int i = 0; i < queued; ++i) runner->step_once();
    auto* poll = new QTimer(&window);
    auto first_done = std::make_shared<bool>(!grab_first);
    QObject::connect(poll, &QTimer::timeout, &window, [&window, runner, start, target, steps, path, first, poll,
                                                       first_done] {
      const RunnerStatus st = runner->status();
      if (!st.error.empty()) {
        std::cerr << "invgfx: " << st.error << "\n";
        QApplication::exit(1);
        return;
      }
      if (!*first_done) {
        if (st.iteration < start + 1 || !runner->wait_idle(0)) return;
        if (!save_grab(window, first)) QApplication::exit(1);
        *first_done = true;
        for (int i = 1; i < steps; ++i) runner->step_once();
        return;
      }
      if (st.iteration < target || !runner->wait_idle(0)) return;
      poll->stop();
      if (!save_grab(window, path)) {
        QApplication::exit(1);
        return;
      }
      std::printf("invgfx: %lld steps, screenshot %s\n", static_cast<long long>(st.iteration),
                  path.toStdString().c_str());
      window.close();
      QApplication::exit(0);
    });
    poll->start(20);
  });
}

}  // namespace

// --help and --version answer without a window system; with no display at all the user gets one
// clear line instead of Qt's plugin diagnostics.
bool wants_help_or_version(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help" || a == "--help-all" || a == "-v" || a == "--version") return true;
  }
  return false;
}

bool has_display() {
  for (const char* v : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
    if (const char* s = std::getenv(v); s && *s) return true;
  return false;
}

int main(int argc, char** argv) {
  std::unique_ptr<QCoreApplication> app_holder;
  if (wants_help_or_version(argc, argv)) {
    app_holder = std::make_unique<QCoreApplication>(argc, argv);
  } else {
    if (!has_display()) {
      std::cerr << "invgfx: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); run it in a "
                   "desktop session, or headless as: xvfb-run -a invgfx ...\n";
      return 1;
    }
    QApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QSurfaceFormat format;
    format.setDepthBufferSize(24);
    QSurfaceFormat::setDefaultFormat(format);
    app_holder = std::make_unique<QApplication>(argc, argv);
  }
  QCoreApplication& app = *app_holder;
  QCoreApplication::setApplicationName("invgfx");
  QCoreApplication::setOrganizationName("invgfx");
  QCoreApplication::setApplicationVersion(version_string());

  QCommandLineParser parser;
  parser.setApplicationDescription("Self-supervised inverse graphics: recover a textured mesh, light, camera and "
                                   "camera ISP from photos, live.");
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption steps_option("steps", "Run N steps (with --screenshot).", "N");
  QCommandLineOption shot_option("screenshot", "Save a screenshot of the window after --steps and exit.", "PATH");
  QCommandLineOption first_option("first-screenshot", "Also save a screenshot after the first step.", "PATH");
  QCommandLineOption size_option("window-size", "Window size WxH (default: the last one, or 1600x960).", "WxH");
  QCommandLineOption preset_option("preset", "Loop preset (assets/presets/NAME.json).", "NAME");
  QCommandLineOption config_option("config", "Loop configuration file (JSON; overrides --preset).", "FILE");
  QCommandLineOption masks_option("masks", "Masks: a folder, 'auto' or 'none' (default: DIR/masks or auto).", "MASKS");
  QCommandLineOption model_option("model", "Open a trained model (model.invgfx): the photos are predicted by it.", "FILE");
  parser.addOption(preset_option);
  parser.addOption(model_option);
  parser.addOption(config_option);
  parser.addOption(masks_option);
  parser.addOption(steps_option);
  parser.addOption(shot_option);
  parser.addOption(first_option);
  parser.addOption(size_option);
  parser.addPositionalArgument("photos", "Photos, lists or folders to open (default: the sample photos).",
                               "[PHOTOS...]");
  parser.process(app);

  std::vector<std::filesystem::path> inputs;
  for (const QString& p : parser.positionalArguments()) inputs.emplace_back(p.toStdString());
  if (inputs.empty()) {
    try {
      inputs.push_back(assets_dir() / "samples");
    } catch (const std::exception& e) {
      std::cerr << "invgfx: " << e.what() << "\n";
    }
  }

  MainWindow window;
  try {
    if (parser.isSet(config_option))
      window.set_config(LoopConfig::from_file(parser.value(config_option).toStdString()));
    else if (parser.isSet(preset_option))
      window.set_config(LoopConfig::preset(parser.value(preset_option).toStdString()));
  } catch (const std::exception& e) {
    std::cerr << "invgfx: " << e.what() << "\n";
    return 2;
  }
  if (parser.isSet(model_option)) {
    try {
      window.open_model(parser.value(model_option).toStdString());
    } catch (const std::exception& e) {
      std::cerr << "invgfx: " << e.what() << "\n";
      return 2;
    }
  }
  if (parser.isSet(masks_option)) {
    const std::string m = parser.value(masks_option).toStdString();
    window.set_masks(m == "none" ? std::string() : m);
  }
  if (parser.isSet(size_option)) {
    const QStringList wh = parser.value(size_option).split('x');
    bool ok_w = false, ok_h = false;
    const int w = wh.size() == 2 ? wh[0].toInt(&ok_w) : 0, h = wh.size() == 2 ? wh[1].toInt(&ok_h) : 0;
    if (!ok_w || !ok_h || w < 1 || h < 1) {
      std::cerr << "invgfx: --window-size needs WxH with positive integers, got '" << parser.value(size_option).toStdString()
                << "'\n";
      return 2;
    }
    const QString note = window.resize_within_gl(QSize(w, h));
    if (!note.isEmpty()) std::cerr << "invgfx: " << note.toStdString() << "\n";
  }
  if (parser.isSet(shot_option)) {
    bool ok = true;
    const int steps = parser.isSet(steps_option) ? parser.value(steps_option).toInt(&ok) : 0;
    if (!ok || steps < 0) {
      std::cerr << "invgfx: --steps needs a non-negative integer\n";
      return 2;
    }
    if (!parser.isSet(size_option)) window.resize(1600, 960);
    run_screenshot(window, steps, parser.value(shot_option), parser.value(first_option));
  }
  window.show();
  if (!inputs.empty()) window.open_inputs(inputs);
  return app.exec();
}
