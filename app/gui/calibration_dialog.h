// The ISP calibration view (Tools ▸ Calibrate ISP from RAW + JPEG…): pick RAWs (and their camera JPEGs,
// else the sidecar or embedded preview is used), run the calibration on a worker
// (calibration_runner.h) with live progress, and see for each pair the RAW's neutral development, the
// camera JPEG, the calibrated development and the ΔE₀₀ error map, the fitted tone curve and colour
// matrix, and PSNR / ΔE₀₀ before and after on the fitted and held-out tiles. Save writes isp.json and
// its report; Open shows a saved calibration (isp.json, with calibration.json and the pictures beside
// it when present); Use for Fits hands the ISP to the main window's next fit.
#pragma once

#include "app/gui/calibration_runner.h"

#include <QDialog>

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace invgfx {

class CalibrationImagePanel;
class ToneCurvePlot;

class CalibrationDialog : public QDialog {
  Q_OBJECT

 public:
  explicit CalibrationDialog(QWidget* parent = nullptr);
  ~CalibrationDialog() override;

  // The pairs to calibrate (the JPEG may be empty: sidecar, else embedded preview).
  void add_pair(const QString& raw, const QString& jpeg = {});
  void clear_pairs();
  void set_iterations(int n);
  void set_working_size(int n);
  // Starts the calibration of the listed pairs (the Calibrate button).
  void start();
  // Writes isp.json and its report; false (with a message box unless quiet) on failure.
  bool save_to(const QString& isp_path, bool quiet = false);
  // Shows a saved calibration; false with an error message (in the status line) when it cannot be read.
  bool open_isp(const QString& isp_path);
  // Called with the calibrated ISP JSON and where it came from when the user presses Use for Fits.
  void set_on_use_isp(std::function<void(const nlohmann::json&, const QString&)> f) { on_use_isp_ = std::move(f); }

  const CalibrationRunner& runner() const { return runner_; }
  QString status_text() const;
  CalibrationImagePanel* panel(int i) const { return panels_[i]; }
  ToneCurvePlot* curve_plot() const { return curve_; }
  QTableWidget* figures_table() const { return figures_; }
  QTableWidget* matrix_table() const { return matrix_; }

 protected:
  void closeEvent(QCloseEvent* e) override;

 private:
  void build();
  void poll();
  void show_snapshot();
  void show_pair(int i);
  void update_buttons();
  void fill_figures(const std::vector<QString>& names, const std::vector<CalibrationPairFigures>& before,
                    const std::vector<CalibrationPairFigures>& after);
  void fill_matrix(const std::array<double, 9>& m, const std::array<double, 3>& tint, bool have_tint);
  void add_raws_dialog();
  void set_jpeg_dialog();
  void save_dialog();
  void open_dialog();
  void use_for_fits();

  CalibrationRunner runner_;
  CalibrationSnapshot shown_;
  bool have_shown_ = false;
  QString opened_isp_;             // an isp.json shown by Open (instead of a run)
  nlohmann::json opened_json_;
  std::function<void(const nlohmann::json&, const QString&)> on_use_isp_;

  QTableWidget* pairs_ = nullptr;
  std::vector<QCheckBox*> stage_boxes_;
  QSpinBox* iterations_ = nullptr;
  QSpinBox* size_ = nullptr;
  QPushButton* start_button_ = nullptr;
  QPushButton* cancel_button_ = nullptr;
  QPushButton* save_button_ = nullptr;
  QPushButton* use_button_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* status_ = nullptr;
  QComboBox* pair_choice_ = nullptr;
  CalibrationImagePanel* panels_[4] = {nullptr, nullptr, nullptr, nullptr};
  ToneCurvePlot* curve_ = nullptr;
  QTableWidget* matrix_ = nullptr;
  QTableWidget* figures_ = nullptr;
  QTimer* timer_ = nullptr;
};

}  // namespace invgfx
