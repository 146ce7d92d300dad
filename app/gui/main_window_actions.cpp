// The main window's actions (named, with their shortcuts) and the menus that hold them: File, Run with
// its presets, View, Tools, Help. The window finds an action by its object name (action()).
#include "app/gui/main_window.h"

#include "app/gui/calibration_dialog.h"
#include "app/gui/dataset_dock.h"
#include "app/gui/imgui_widget.h"

#include <QAction>
#include <QActionGroup>
#include <QKeySequence>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>

namespace invgfx {

QAction* MainWindow::action(const QString& name) const { return findChild<QAction*>(name); }

void MainWindow::create_actions() {
  auto make = [this](const char* name, const QString& text, const QKeySequence& key, auto&& slot) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    if (!key.isEmpty()) a->setShortcut(key);
    connect(a, &QAction::triggered, this, slot);
    return a;
  };
  make("file_open_photos", tr("&Open Photos…"), QKeySequence::Open, [this] { open_photos_dialog(); });
  make("file_open_folder", tr("Open &Folder…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O),
       [this] { open_folder_dialog(); });
  make("file_open_session", tr("Open &Session…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_O),
       [this] { open_session_dialog(); });
  make("file_save_session", tr("&Save Session"), QKeySequence::Save, [this] {
    if (session_path_.empty()) {
      save_session_dialog();
      return;
    }
    try {
      save_session_to(session_path_);
    } catch (const std::exception& e) {
      show_error(tr("Save Session"), e.what());
    }
  });
  make("file_save_session_as", tr("Save Session &As…"), QKeySequence::SaveAs, [this] { save_session_dialog(); });
  make("file_open_model", tr("Open &Model…"), QKeySequence(Qt::CTRL | Qt::Key_M), [this] { open_model_dialog(); });
  make("file_save_model", tr("Save Mo&del…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M), [this] { save_model_dialog(); });
  make("file_export", tr("&Export Scene…"), QKeySequence(Qt::CTRL | Qt::Key_E), [this] { export_dialog(); });
  make("file_quit", tr("&Quit"), QKeySequence::Quit, [this] { close(); });
  make("run_start", tr("&Start"), QKeySequence(Qt::Key_F5), [this] { run_action("start"); });
  make("run_pause", tr("&Pause"), QKeySequence(Qt::Key_F6), [this] { run_action("pause"); });
  make("run_step", tr("S&tep"), QKeySequence(Qt::Key_F10), [this] { run_action("step"); });
  make("run_reset", tr("&Reset"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] { run_action("reset"); });
  make("run_refine", tr("Re&fine Current Photo"), QKeySequence(Qt::CTRL | Qt::Key_F), [this] { run_action("refine"); });
  auto toggle = [this](const char* name, const QString& text, const QKeySequence& key, bool* flag) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    a->setCheckable(true);
    a->setChecked(*flag);
    a->setShortcut(key);
    connect(a, &QAction::toggled, this, [this, flag](bool on) {
      *flag = on;
      view_->update();
    });
  };
  DashboardPanels& p = dashboard_.panels();
  toggle("view_images", tr("&Image Panels"), QKeySequence(Qt::CTRL | Qt::Key_1), &p.images);
  toggle("view_plots", tr("&Loss Plots"), QKeySequence(Qt::CTRL | Qt::Key_2), &p.plots);
  toggle("view_mesh", tr("&3D View"), QKeySequence(Qt::CTRL | Qt::Key_3), &p.mesh);
  toggle("view_controls", tr("&Controls"), QKeySequence(Qt::CTRL | Qt::Key_4), &p.controls);
  make("help_about", tr("&About invgfx"), QKeySequence(), [this] { about(); });
  // The ISP calibration view (app/gui/calibration_dialog.h); Use for Fits sets the next fit's ISP.
  make("tools_calibrate_isp", tr("&Calibrate ISP from RAW + JPEG…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K), [this] {
    auto* d = findChild<CalibrationDialog*>();
    if (!d) {
      d = new CalibrationDialog(this);
      d->set_on_use_isp([this](const nlohmann::json& isp, const QString& from) {
        LoopConfig c = current_config();
        c.isp = isp;
        set_config(c);
        statusBar()->showMessage(tr("The next fit develops its renders through the calibrated ISP (%1)").arg(from), 10000);
      });
    }
    d->show();
    d->raise();
    d->activateWindow();
  });
}

void MainWindow::create_menus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(action("file_open_photos"));
  file->addAction(action("file_open_folder"));
  file->addAction(action("file_open_session"));
  file->addAction(action("file_open_model"));
  recent_menu_ = file->addMenu(tr("Open &Recent"));
  file->addSeparator();
  file->addAction(action("file_save_session"));
  file->addAction(action("file_save_session_as"));
  file->addAction(action("file_save_model"));
  file->addAction(action("file_export"));
  file->addSeparator();
  file->addAction(action("file_quit"));

  QMenu* run = menuBar()->addMenu(tr("&Run"));
  run->addAction(action("run_start"));
  run->addAction(action("run_pause"));
  run->addAction(action("run_step"));
  run->addAction(action("run_reset"));
  run->addSeparator();
  run->addAction(action("run_refine"));
  run->addSeparator();
  QMenu* presets = run->addMenu(tr("&Preset"));
  preset_group_ = new QActionGroup(this);
  // "automatic" is fit_request.h's default: by the number of photos.
  std::vector<std::string> names = {kAutomaticPreset};
  for (const std::string& n : LoopConfig::preset_names()) names.push_back(n);
  for (const std::string& n : names) {
    QAction* a = presets->addAction(QString::fromStdString(n));
    a->setCheckable(true);
    a->setObjectName(QString("preset_") + QString::fromStdString(n));
    preset_group_->addAction(a);
    connect(a, &QAction::triggered, this, [this, n] {
      preset_ = QString::fromStdString(n);
      // A preset changes the networks and the schedule: rebuild the loop on the same photos.
      if (!inputs_.empty() && (!dirty() || QMessageBox::question(this, tr("Change preset"),
                                                                  tr("Restart the fit with preset %1?").arg(preset_)) ==
                                                QMessageBox::Yes))
        open_inputs(inputs_);
    });
  }

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(action("view_images"));
  view->addAction(action("view_plots"));
  view->addAction(action("view_mesh"));
  view->addAction(action("view_controls"));
  view->addSeparator();
  QAction* dock = dock_->toggleViewAction();
  dock->setObjectName("view_dataset");
  dock->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
  view->addAction(dock);

  QMenu* tools = menuBar()->addMenu(tr("&Tools"));
  tools->addAction(action("tools_calibrate_isp"));

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(action("help_about"));
}

}  // namespace invgfx
