// The main window's models (app/model_file.h): Open Model reads a trained model, after which opened
// or dropped photos are predicted by it at once and refined on Start (app/prediction.h); Save Model
// writes the running loop's network, camera and template (by the loop's worker, between steps).
#include "app/gui/main_window.h"
#include "app/prediction.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>
#include <QStatusBar>

#include <stdexcept>

namespace invgfx {

namespace {
std::filesystem::path fspath(const QString& s) { return std::filesystem::path(s.toStdString()); }
QString qpath(const std::filesystem::path& p) { return QString::fromStdString(p.string()); }
}  // namespace

void MainWindow::open_model(const std::filesystem::path& path) {
  auto model = std::make_shared<const ModelContents>(read_model_file(path));  // throws naming the file
  prediction_config(*model, "model file '" + path.string() + "'", 1, 0);     // its configuration reads back
  model_ = std::move(model);
  model_path_ = path;
  setWindowTitle(tr("invgfx — model %1").arg(QFileInfo(qpath(path)).fileName()));
  statusBar()->showMessage(tr("Model %1 open: photos opened or dropped now are predicted by it, and refined on Start")
                               .arg(qpath(path)),
                           8000);
}

void MainWindow::save_model_to(const std::filesystem::path& path) {
  if (!runner_) throw std::runtime_error("no network to save");
  runner_->call([&](Loop& loop) {
    write_model_file(path, loop.model({{"iteration", loop.iteration()}, {"train_photos", loop.num_photos()},
                                       {"saved_by", "invgfx"}}));
  });
  statusBar()->showMessage(tr("Model saved to %1").arg(qpath(path)), 5000);
}

void MainWindow::open_model_dialog() {
  QSettings s;
  const QString file = QFileDialog::getOpenFileName(this, tr("Open Model"), s.value("files/last_model").toString(),
                                                    tr("Models (*.invgfx);;All files (*)"));
  if (file.isEmpty()) return;
  s.setValue("files/last_model", QFileInfo(file).absolutePath());
  try {
    open_model(fspath(file));
  } catch (const std::exception& e) {
    show_error(tr("Open Model"), e.what());
  }
}

void MainWindow::save_model_dialog() {
  if (!runner_) return;
  QSettings s;
  QString file = QFileDialog::getSaveFileName(this, tr("Save Model"), s.value("files/last_model").toString() + "/model.invgfx",
                                              tr("Models (*.invgfx)"));
  if (file.isEmpty()) return;
  if (!file.endsWith(".invgfx")) file += ".invgfx";
  s.setValue("files/last_model", QFileInfo(file).absolutePath());
  try {
    save_model_to(fspath(file));
  } catch (const std::exception& e) {
    show_error(tr("Save Model"), e.what());
  }
}

}  // namespace invgfx
