// The main window: the status bar, settings and recent files, loading and replacing the fit, the
// run commands, sessions, closing, drag and drop. Its actions and menus are in
// main_window_actions.cpp, its dialogs in main_window_dialogs.cpp, its models in main_window_model.cpp.
#include "app/gui/main_window.h"

#include "app/config_budget.h"
#include "app/fit_outputs.h"
#include "app/gui/dataset_dock.h"
#include "app/gui/gl_limits.h"
#include "app/gui/imgui_widget.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QOpenGLContext>
#include <QProgressBar>
#include <QGuiApplication>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>


#include <cmath>
#include <fstream>

namespace invgfx {
namespace {

constexpr int kMaxRecent = 8;

QString qpath(const std::filesystem::path& p) { return QString::fromStdString(p.string()); }
std::filesystem::path fspath(const QString& s) { return std::filesystem::path(s.toStdString()); }

// Whether a file is a session (by its first bytes), so Open Recent and a drop can tell it from a photo.
bool is_session_file(const std::filesystem::path& p) {
  if (!regular_file_problem(p, limits::kMaxBinaryFileBytes).empty()) return false;  // a FIFO would block here
  std::ifstream in(p, std::ios::binary);
  char magic[8] = {};
  return in.read(magic, 8) && std::string(magic, 8) == "IGXSESSN";
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle("invgfx");
  setAcceptDrops(true);
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

  view_ = new ImGuiWidget(this);
  setCentralWidget(view_);
  view_->set_frame([this] { dashboard_.frame(); });
  view_->set_gl_hooks([this] { dashboard_.init_gl(view_); }, [this] { dashboard_.cleanup_gl(); });
  dashboard_.on_action = [this](const std::string& a) {
    // Deferred: the action may replace the runner, which the dashboard is drawing from right now.
    QTimer::singleShot(0, this, [this, a] { run_action(a); });
  };

  dock_ = new DatasetDock(this);
  addDockWidget(Qt::LeftDockWidgetArea, dock_);
  connect(dock_, &DatasetDock::photo_selected, this, [this](int i) {
    if (runner_) runner_->set_photo(i);
  });

  connect(&loader_, &PhotoLoader::progress, this, [this](int i, int n, const QString& what) {
    progress_->setMaximum(std::max(1, n));
    progress_->setValue(i);
    progress_->setFormat(QString("%1 %2/%3").arg(what).arg(std::min(i + 1, n)).arg(n));
  });
  connect(&loader_, &PhotoLoader::finished, this, [this] {
    if (!loader_.busy()) loaded();
  });

  create_actions();
  create_menus();
  create_status_bar();
  read_settings();
  update_actions();

  auto* timer = new QTimer(this);
  connect(timer, &QTimer::timeout, this, [this] { update_status(); });
  timer->start(50);
}

MainWindow::~MainWindow() {
  loader_.cancel();
  if (runner_) runner_->stop();
  // The view's GL clean-up uses the dashboard, a member that goes before QWidget deletes the
  // children: delete the view first. The dashboard reads the runner: detach it before the runner goes.
  delete view_;
  view_ = nullptr;
  dashboard_.set_runner(nullptr);
  runner_.reset();
}

void MainWindow::create_status_bar() {
  state_label_ = new QLabel(tr("no photos"));
  iteration_label_ = new QLabel;
  rate_label_ = new QLabel;
  loss_label_ = new QLabel;
  for (QLabel* l : {iteration_label_, rate_label_, loss_label_}) l->setMinimumWidth(110);
  progress_ = new QProgressBar;
  progress_->setMaximumWidth(260);
  progress_->setTextVisible(true);
  progress_->hide();
  cancel_button_ = new QToolButton;
  cancel_button_->setText(tr("Cancel"));
  cancel_button_->hide();
  connect(cancel_button_, &QToolButton::clicked, this, [this] { loader_.cancel(); });
  statusBar()->addWidget(state_label_, 1);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_button_);
  statusBar()->addPermanentWidget(iteration_label_);
  statusBar()->addPermanentWidget(rate_label_);
  statusBar()->addPermanentWidget(loss_label_);
}

void MainWindow::read_settings() {
  QSettings s;
  if (!restoreGeometry(s.value("window/geometry").toByteArray())) resize(1600, 960);
  resize_within_gl(size());  // settings from a larger screen or another GL
  restoreState(s.value("window/state").toByteArray());
  recent_ = s.value("files/recent").toStringList();
  preset_ = s.value("run/preset", kAutomaticPreset).toString();
  if (QAction* a = action("preset_" + preset_)) a->setChecked(true);
  rebuild_recent_menu();
}

QString MainWindow::resize_within_gl(QSize requested) {
  const QScreen* screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
  const QSize desktop = screen ? screen->virtualSize() : QSize();
  // Nor can the user drag it beyond what GL draws (the screen does not bound a drag).
  setMaximumSize(clamp_window_size(QSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX), devicePixelRatioF(), QSize(), nullptr));
  QString note;
  resize(clamp_window_size(requested, devicePixelRatioF(), desktop, &note));
  if (!note.isEmpty()) statusBar()->showMessage(note, 15000);
  return note;
}

void MainWindow::write_settings() {
  QSettings s;
  s.setValue("window/geometry", saveGeometry());
  s.setValue("window/state", saveState());
  s.setValue("files/recent", recent_);
  s.setValue("run/preset", preset_);
}

void MainWindow::add_recent(const QString& path) {
  recent_.removeAll(path);
  recent_.prepend(path);
  while (recent_.size() > kMaxRecent) recent_.removeLast();
  QSettings().setValue("files/recent", recent_);
  rebuild_recent_menu();
}

void MainWindow::rebuild_recent_menu() {
  recent_menu_->clear();
  for (const QString& r : recent_) {
    QAction* a = recent_menu_->addAction(r);
    connect(a, &QAction::triggered, this, [this, r] {
      const auto p = fspath(r);
      if (is_session_file(p)) open_session(p);
      else open_inputs({p});
    });
  }
  recent_menu_->setEnabled(!recent_.isEmpty());
}

FitRequest MainWindow::request_for(const std::vector<std::filesystem::path>& inputs) const {
  FitRequest r;
  r.inputs = inputs;
  if (masks_override_) r.masks = masks_override_->empty() ? "none" : *masks_override_;
  r.config = config_override_;
  if (!config_override_ && preset_ != kAutomaticPreset) r.preset = preset_.toStdString();
  return r;
}

LoopConfig MainWindow::current_config() const {
  if (config_override_) return *config_override_;
  return fit_config(request_for(inputs_), std::max<int>(1, static_cast<int>(inputs_.size())));
}

bool MainWindow::loading() const { return loader_.busy(); }

bool MainWindow::dirty() const {
  return runner_ && runner_->status().iteration != saved_iteration_;
}

void MainWindow::open_inputs(const std::vector<std::filesystem::path>& inputs) {
  if (inputs.empty()) return;
  LoadRequest r;
  r.request = request_for(inputs);
  r.model = model_;
  r.model_name = "model file '" + model_path_.string() + "'";
  if (runner_) runner_->pause();
  loader_.start(std::move(r));
  progress_->setValue(0);
  progress_->show();
  cancel_button_->show();
  update_actions();
}

void MainWindow::open_session(const std::filesystem::path& path) {
  try {
    LoadRequest r;
    FitRequest f;
    f.resume = path;
    r.request = complete_request(f);  // the session's inputs and masks; throws naming the file
    if (runner_) runner_->pause();
    loader_.start(std::move(r));
    progress_->setValue(0);
    progress_->show();
    cancel_button_->show();
    update_actions();
  } catch (const std::exception& e) {
    show_error(tr("Open Session"), e.what());
    if (on_loaded_) on_loaded_(false);
  }
}

void MainWindow::loaded() {
  progress_->hide();
  cancel_button_->hide();
  std::unique_ptr<Loop> loop = loader_.take_loop();
  if (!loop) {
    if (!loader_.cancelled()) show_error(tr("Open"), loader_.error());
    else statusBar()->showMessage(tr("Loading cancelled"), 4000);
    update_actions();
    if (on_loaded_) on_loaded_(false);
    return;
  }
  // Replace the running fit: stop its worker first, so nothing reads the old loop afterwards.
  dashboard_.set_runner(nullptr);
  if (runner_) runner_->stop();
  runner_.reset();

  const FitRequest& request = loader_.request().request;
  inputs_ = request.inputs;
  session_path_ = request.resume;
  saved_iteration_ = loop->iteration();
  dock_->set_dataset(loop->dataset());
  std::vector<std::string> names;
  for (const Photo& p : loop->dataset().photos) names.push_back(p.path.filename().string());
  const auto skipped = loop->dataset().skipped;
  const std::string slow = slow_step_warning(loop->config().render.size, loop->config().batch_size);
  runner_ = std::make_unique<LoopRunner>(std::move(loop));
  dashboard_.set_photo_names(std::move(names));
  dashboard_.set_runner(runner_.get());
  if (!request.resume.empty()) {
    add_recent(qpath(request.resume));
  } else {
    for (const auto& p : request.inputs) add_recent(qpath(std::filesystem::absolute(p)));
    QSettings().setValue("files/last_folder", qpath(std::filesystem::absolute(request.inputs.front()).parent_path()));
  }
  QString title = request.resume.empty() ? qpath(request.inputs.front().filename()) : qpath(request.resume.filename());
  if (request.inputs.size() > 1) title += tr(" and %1 more").arg(request.inputs.size() - 1);
  setWindowTitle(title + " — invgfx");
  QString message = tr("%1 photos loaded — press Start (F5)").arg(runner_->num_photos());
  if (!skipped.empty()) message += tr("; %1 skipped: %2").arg(skipped.size()).arg(QString::fromStdString(skipped[0]));
  if (!slow.empty()) message += "; " + QString::fromStdString(slow);
  statusBar()->showMessage(message, 8000);
  update_actions();
  view_->update();
  if (on_loaded_) on_loaded_(true);
}

void MainWindow::run_action(const std::string& name) {
  if (!runner_) return;
  if (name == "start") runner_->start();
  else if (name == "pause") runner_->pause();
  else if (name == "step") runner_->step_once();
  else if (name == "reset") {
    runner_->pause();
    runner_->reset();
    saved_iteration_ = 0;
  } else if (name == "refine") {
    runner_->post([](Loop& loop) { loop.start_refinement(); });
    runner_->start();
  }
  update_actions();
  view_->update();
}

void MainWindow::update_actions() {
  const bool have = runner_ != nullptr;
  const bool running = have && runner_->status().running;
  action("run_start")->setEnabled(have && !running);
  action("run_pause")->setEnabled(running);
  action("run_step")->setEnabled(have && !running);
  action("run_reset")->setEnabled(have);
  action("run_refine")->setEnabled(have);
  action("file_save_session")->setEnabled(have);
  action("file_save_session_as")->setEnabled(have);
  action("file_save_model")->setEnabled(have);
  action("file_export")->setEnabled(have);
}

void MainWindow::update_status() {
  if (!runner_ || !view_) return;
  static uint64_t shown_version = 0;
  const RunnerStatus st = runner_->status();
  QString state = st.running ? tr("running") : tr("paused");
  if (st.phase == LoopPhase::kDone) state = tr("done");
  if (st.recoveries > 0) state += tr(" — diverged and recovered %1×").arg(st.recoveries);
  if (!st.error.empty()) state += tr(" — error: %1").arg(QString::fromStdString(st.error));
  state += QString(" · %1").arg(QString::fromUtf8(to_string(st.phase)));
  state_label_->setText(state);
  iteration_label_->setText(tr("iteration %1").arg(st.iteration));
  rate_label_->setText(tr("%1 steps/s").arg(st.steps_per_second, 0, 'f', 1));
  loss_label_->setText(std::isfinite(st.loss) ? tr("loss %1").arg(st.loss, 0, 'g', 4) : tr("loss –"));
  if (st.version != shown_version) {
    shown_version = st.version;
    view_->update();
    if (dashboard_.has_snapshot()) dock_->set_losses(dashboard_.snapshot().photo_loss, dashboard_.snapshot().photo);
  }
  view_->set_animating(dashboard_.turntable() && dashboard_.panels().mesh);
  update_actions();
}

void MainWindow::show_error(const QString& title, const QString& message) {
  last_error_ = message;
  statusBar()->showMessage(title + ": " + message, 10000);
  if (confirm_close_) QMessageBox::warning(this, title, message);
}

void MainWindow::save_session_to(const std::filesystem::path& path) {
  if (!runner_) throw std::runtime_error("no fit to save");
  int64_t iteration = 0;
  runner_->call([&](Loop& loop) {
    loop.save_session(path);  // with its inputs and masks, so either face reopens it
    iteration = loop.iteration();
  });
  session_path_ = path;
  saved_iteration_ = iteration;
  add_recent(qpath(path));
  statusBar()->showMessage(tr("Session saved to %1").arg(qpath(path)), 5000);
}

void MainWindow::export_to(const std::filesystem::path& dir) {
  if (!runner_) throw std::runtime_error("no fit to export");
  const int photo = dashboard_.has_snapshot() ? dashboard_.snapshot().photo : 0;
  runner_->call([&](Loop& loop) { write_fit_outputs(loop, photo, loop.metrics(), dir); });
  statusBar()->showMessage(tr("Exported to %1").arg(qpath(dir)), 5000);
}

QImage MainWindow::grab_window() {
  update_status();
  // ImGui lays out a frame from the previous frame's sizes; two frames make the grab current.
  view_->grabFramebuffer();
  view_->grabFramebuffer();
  return grab().toImage();
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (confirm_close_ && dirty()) {
    const auto answer = QMessageBox::question(this, tr("Unsaved fit"),
                                              tr("The fit has changed since it was last saved. Save the session?"),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                              QMessageBox::Save);
    if (answer == QMessageBox::Cancel || (answer == QMessageBox::Save && !save_session_dialog())) {
      e->ignore();
      return;
    }
  }
  write_settings();
  loader_.cancel();
  dashboard_.set_runner(nullptr);
  if (runner_) runner_->stop();  // finishes the current step, then the worker exits
  e->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (e->mimeData()->hasUrls()) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
  std::vector<std::filesystem::path> inputs;
  for (const QUrl& url : e->mimeData()->urls())
    if (url.isLocalFile()) inputs.push_back(fspath(url.toLocalFile()));
  if (inputs.empty()) return;
  e->acceptProposedAction();
  if (inputs.size() == 1 && is_session_file(inputs[0]))
    open_session(inputs[0]);
  else
    open_inputs(inputs);
}

}  // namespace invgfx
