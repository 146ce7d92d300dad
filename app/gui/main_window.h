// The main window of `invgfx`: menus and shortcuts, the dataset dock, the ImGui dashboard in the
// centre, the status bar, loading off the GUI thread, sessions, models, export and settings. The loop itself
// runs in a LoopRunner; this window only starts, pauses and commands it.
#pragma once

#include "app/gui/dashboard.h"
#include "app/gui/photo_loader.h"
#include "app/loop_runner.h"

#include <QMainWindow>
#include <QStringList>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QAction;
class QActionGroup;
class QLabel;
class QMenu;
class QProgressBar;
class QToolButton;

namespace invgfx {

class DatasetDock;
class ImGuiWidget;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens photos, lists or folders (off the GUI thread). The window waits for Start afterwards.
  void open_inputs(const std::vector<std::filesystem::path>& inputs);
  // Restores a session saved by the window or by `invgfx-cli fit` (its inputs and masks are in it).
  void open_session(const std::filesystem::path& path);
  // Saves the loop's session (with its inputs, masks and configuration); throws std::runtime_error.
  void save_session_to(const std::filesystem::path& path);
  // Opens a trained model (model.invgfx, written by `invgfx-cli train` or Save Model): photos opened
  // from now on are predicted by it at once (one forward pass each) and refined on Start. Throws
  // std::runtime_error naming the file and the problem; the model open before stays then.
  void open_model(const std::filesystem::path& path);
  // Writes the loop's network, camera and template as a model file; throws std::runtime_error.
  void save_model_to(const std::filesystem::path& path);
  bool has_model() const { return model_ != nullptr; }
  // Writes the current photo's scene (OBJ + MTL + PNG, GLB, PLY, scene.json, render.png, metrics.json)
  // into `dir`; throws std::runtime_error naming what failed.
  void export_to(const std::filesystem::path& dir);

  // For tests and --screenshot: whether a load is in progress, the runner (null before a load).
  bool loading() const;
  LoopRunner* runner() const { return runner_.get(); }
  Dashboard& dashboard() { return dashboard_; }
  DatasetDock* dataset_dock() const { return dock_; }
  ImGuiWidget* view() const { return view_; }
  QAction* action(const QString& name) const;  // by objectName, e.g. "run_start"
  // Renders a fresh frame of the dashboard and grabs the whole window.
  QImage grab_window();
  // Called once when a load finished (ok or not); for the --screenshot mode and tests.
  void set_on_loaded(std::function<void(bool ok)> f) { on_loaded_ = std::move(f); }
  // Ask before discarding an unsaved session on close (off in batch mode).
  void set_confirm_close(bool confirm) { confirm_close_ = confirm; }
  bool dirty() const;
  // Use this configuration for the next loads instead of the preset chosen in the Run menu.
  void set_config(const LoopConfig& config) { config_override_ = config; }
  // Masks for the next loads: "" none, "auto" GrabCut, or a folder (default: app/fit_request.h's
  // policy, a masks folder beside the photos if there is one, else auto).
  void set_masks(const std::string& masks) { masks_override_ = masks; }
  // Resizes within what OpenGL can draw (app/gui/gl_limits.h); a clamp is said in the status bar and
  // returned ("" when none).
  QString resize_within_gl(QSize requested);
  QString last_error() const { return last_error_; }

 protected:
  void closeEvent(QCloseEvent* e) override;
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;

 private:
  void create_actions();
  void create_menus();
  void create_status_bar();
  void read_settings();
  void write_settings();
  void add_recent(const QString& path);
  void rebuild_recent_menu();
  void update_actions();
  void update_status();
  void loaded();
  void run_action(const std::string& name);
  void show_error(const QString& title, const QString& message);
  FitRequest request_for(const std::vector<std::filesystem::path>& inputs) const;

  void open_photos_dialog();
  void open_folder_dialog();
  void open_session_dialog();
  bool save_session_dialog();  // false when cancelled or failed
  void export_dialog();
  void open_model_dialog();
  void save_model_dialog();
  void about();

  ImGuiWidget* view_ = nullptr;
  DatasetDock* dock_ = nullptr;
  Dashboard dashboard_;
  PhotoLoader loader_;
  std::unique_ptr<LoopRunner> runner_;
  std::vector<std::filesystem::path> inputs_;  // what the current loop was loaded from
  std::filesystem::path session_path_;
  int64_t saved_iteration_ = 0;                 // the iteration of the last save (dirty check)
  bool confirm_close_ = true;
  std::function<void(bool)> on_loaded_;
  QString last_error_;
  static constexpr const char* kAutomaticPreset = "automatic";
  QString preset_;  // a preset name, or kAutomaticPreset (fit_request.h: by the number of photos)
  std::optional<LoopConfig> config_override_;
  // The configuration the next fit would use (the override, or the request's preset).
  LoopConfig current_config() const;
  std::optional<std::string> masks_override_;
  std::shared_ptr<const ModelContents> model_;  // the open model (Open Model), or null
  std::filesystem::path model_path_;

  QLabel* state_label_ = nullptr;
  QLabel* iteration_label_ = nullptr;
  QLabel* rate_label_ = nullptr;
  QLabel* loss_label_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QToolButton* cancel_button_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QActionGroup* preset_group_ = nullptr;
  QStringList recent_;
};

}  // namespace invgfx
