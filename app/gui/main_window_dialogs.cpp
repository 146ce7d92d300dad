// The main window's dialogs: Open Photos, Open Folder, Open Session, Save Session As, Export Scene
// (written by the loop's worker between steps while the window polls for the result) and About.
#include "app/fit_outputs.h"
#include "app/gui/imgui_widget.h"
#include "app/gui/main_window.h"
#include "core/version.h"

#include <imgui.h>
#include <libraw.h>
#include <nlohmann/json.hpp>
#include <opencv2/core/version.hpp>

#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

#include <Eigen/Core>

#include <chrono>
#include <memory>

namespace invgfx {

namespace {
std::filesystem::path fspath(const QString& s) { return std::filesystem::path(s.toStdString()); }
}  // namespace

void MainWindow::open_photos_dialog() {
  QSettings s;
  const QStringList files = QFileDialog::getOpenFileNames(
      this, tr("Open Photos"), s.value("files/last_folder").toString(),
      tr("Photos (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.dng *.cr2 *.cr3 *.nef *.arw *.raf *.orf *.rw2);;All files (*)"));
  if (files.isEmpty()) return;
  std::vector<std::filesystem::path> inputs;
  for (const QString& f : files) inputs.push_back(fspath(f));
  open_inputs(inputs);
}

void MainWindow::open_folder_dialog() {
  QSettings s;
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Open Folder"), s.value("files/last_folder").toString());
  if (!dir.isEmpty()) open_inputs({fspath(dir)});
}

void MainWindow::open_session_dialog() {
  QSettings s;
  const QString file = QFileDialog::getOpenFileName(this, tr("Open Session"), s.value("files/last_session").toString(),
                                                    tr("Sessions (*.session);;All files (*)"));
  if (file.isEmpty()) return;
  s.setValue("files/last_session", QFileInfo(file).absolutePath());
  open_session(fspath(file));
}

bool MainWindow::save_session_dialog() {
  if (!runner_) return false;
  QSettings s;
  QString file = QFileDialog::getSaveFileName(this, tr("Save Session"),
                                              s.value("files/last_session").toString() + "/fit.session",
                                              tr("Sessions (*.session)"));
  if (file.isEmpty()) return false;
  if (!file.endsWith(".session")) file += ".session";
  s.setValue("files/last_session", QFileInfo(file).absolutePath());
  try {
    save_session_to(fspath(file));
    return true;
  } catch (const std::exception& e) {
    show_error(tr("Save Session"), e.what());
    return false;
  }
}

void MainWindow::export_dialog() {
  if (!runner_) return;
  QSettings s;
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Export Scene (OBJ, GLB, PLY, JSON) to Folder"),
                                                        s.value("files/last_export").toString());
  if (dir.isEmpty()) return;
  s.setValue("files/last_export", dir);
  const int photo = dashboard_.has_snapshot() ? dashboard_.snapshot().photo : 0;
  const std::filesystem::path target = fspath(dir);
  // Written by the worker between steps; the window polls the result instead of waiting on it.
  auto future = std::make_shared<std::future<void>>(
      runner_->post([photo, target](Loop& loop) { write_fit_outputs(loop, photo, loop.metrics(), target); }));
  statusBar()->showMessage(tr("Exporting to %1…").arg(dir));
  auto* poll = new QTimer(this);
  connect(poll, &QTimer::timeout, this, [this, poll, future, dir] {
    if (future->wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
    poll->deleteLater();
    try {
      future->get();
      statusBar()->showMessage(tr("Exported mesh.obj, scene.glb, scene.ply, scene.json to %1").arg(dir), 8000);
    } catch (const std::exception& e) {
      show_error(tr("Export"), e.what());
    }
  });
  poll->start(50);
}

void MainWindow::about() {
  QString gl = tr("unknown");
  if (view_->context()) {
    view_->makeCurrent();
    gl = QString::fromLatin1(reinterpret_cast<const char*>(view_->glGetString(GL_VERSION))) + ", " +
         QString::fromLatin1(reinterpret_cast<const char*>(view_->glGetString(GL_RENDERER)));
    view_->doneCurrent();
  }
  QMessageBox::about(
      this, tr("About invgfx"),
      tr("<h3>invgfx %1</h3><p>Self-supervised inverse graphics: a differentiable rasterizer and a "
         "differentiable camera ISP in one optimisation loop.</p>"
         "<p>Qt %2 · Dear ImGui %3 · Eigen %4.%5.%6 · OpenCV %7 · LibRaw %8 · nlohmann-json %9.%10.%11 · "
         "OpenMP %12</p><p>OpenGL %13</p>")
          .arg(version_string(), qVersion(), ImGui::GetVersion())
          .arg(EIGEN_WORLD_VERSION)
          .arg(EIGEN_MAJOR_VERSION)
          .arg(EIGEN_MINOR_VERSION)
          .arg(CV_VERSION, LibRaw::version())
          .arg(NLOHMANN_JSON_VERSION_MAJOR)
          .arg(NLOHMANN_JSON_VERSION_MINOR)
          .arg(NLOHMANN_JSON_VERSION_PATCH)
          .arg(_OPENMP)
          .arg(gl));
}

}  // namespace invgfx
