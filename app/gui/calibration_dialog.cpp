#include "app/gui/calibration_dialog.h"

#include "app/gui/calibration_panels.h"
#include "isp/color_matrix.h"
#include "isp/tone_curve.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

QString fmt(double v, int digits) { return QString::number(v, 'f', digits); }

QTableWidgetItem* cell(const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  return item;
}

CalibrationFigures figures_from_json(const nlohmann::json& j) {
  return {j.value("psnr_db", 0.0), j.value("delta_e_2000", 0.0), j.value("pixels", int64_t{0})};
}

}  // namespace

CalibrationDialog::CalibrationDialog(QWidget* parent) : QDialog(parent) {
  setObjectName("calibration_dialog");
  setWindowTitle(tr("ISP Calibration from RAW + JPEG"));
  build();
  timer_ = new QTimer(this);
  connect(timer_, &QTimer::timeout, this, [this] { poll(); });
  timer_->start(100);
  update_buttons();
}

CalibrationDialog::~CalibrationDialog() { runner_.cancel(); }

void CalibrationDialog::build() {
  auto* root = new QVBoxLayout(this);

  // Pairs and options.
  auto* top = new QHBoxLayout;
  pairs_ = new QTableWidget(0, 2);
  pairs_->setObjectName("calibration_pairs");
  pairs_->setHorizontalHeaderLabels({tr("RAW"), tr("Camera JPEG (empty: beside the RAW, else embedded)")});
  pairs_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  pairs_->setSelectionBehavior(QAbstractItemView::SelectRows);
  pairs_->setMaximumHeight(120);
  top->addWidget(pairs_, 1);
  auto* pair_buttons = new QVBoxLayout;
  auto* add = new QPushButton(tr("Add RAWs…"));
  auto* jpeg = new QPushButton(tr("Set JPEG…"));
  auto* remove = new QPushButton(tr("Remove"));
  connect(add, &QPushButton::clicked, this, [this] { add_raws_dialog(); });
  connect(jpeg, &QPushButton::clicked, this, [this] { set_jpeg_dialog(); });
  connect(remove, &QPushButton::clicked, this, [this] {
    const int r = pairs_->currentRow();
    if (r >= 0) pairs_->removeRow(r);
    update_buttons();
  });
  for (auto* b : {add, jpeg, remove}) pair_buttons->addWidget(b);
  pair_buttons->addStretch();
  top->addLayout(pair_buttons);
  root->addLayout(top);

  auto* options = new QHBoxLayout;
  const CalibrationOptions defaults;
  for (const std::string& s : calibration_stage_names()) {
    auto* box = new QCheckBox(QString::fromStdString(s));
    box->setObjectName(QString("stage_") + QString::fromStdString(s));
    box->setChecked(std::find(defaults.stages.begin(), defaults.stages.end(), s) != defaults.stages.end());
    stage_boxes_.push_back(box);
    options->addWidget(box);
  }
  options->addStretch();
  options->addWidget(new QLabel(tr("Iterations")));
  iterations_ = new QSpinBox;
  iterations_->setRange(1, 100000);
  iterations_->setValue(defaults.iterations);
  options->addWidget(iterations_);
  options->addWidget(new QLabel(tr("Size")));
  size_ = new QSpinBox;
  size_->setRange(64, 4096);
  size_->setValue(defaults.pair.size);
  options->addWidget(size_);
  root->addLayout(options);

  auto* run = new QHBoxLayout;
  start_button_ = new QPushButton(tr("Calibrate"));
  start_button_->setObjectName("calibration_start");
  cancel_button_ = new QPushButton(tr("Cancel"));
  progress_ = new QProgressBar;
  progress_->setTextVisible(true);
  status_ = new QLabel;
  status_->setObjectName("calibration_status");
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  connect(start_button_, &QPushButton::clicked, this, [this] { start(); });
  connect(cancel_button_, &QPushButton::clicked, this, [this] { runner_.cancel(); });
  run->addWidget(start_button_);
  run->addWidget(cancel_button_);
  run->addWidget(progress_, 1);
  root->addLayout(run);
  root->addWidget(status_);

  // The pictures of one pair.
  auto* choice = new QHBoxLayout;
  choice->addWidget(new QLabel(tr("Pair")));
  pair_choice_ = new QComboBox;
  connect(pair_choice_, &QComboBox::currentIndexChanged, this, [this](int i) { show_pair(i); });
  choice->addWidget(pair_choice_, 1);
  root->addLayout(choice);
  auto* images = new QHBoxLayout;
  const QString captions[4] = {tr("RAW, metadata only"), tr("Camera JPEG"), tr("Calibrated"),
                               tr("ΔE00 (red 5, yellow 10, white ≥ 20)")};
  for (int i = 0; i < 4; ++i) {
    panels_[i] = new CalibrationImagePanel(captions[i]);
    images->addWidget(panels_[i], 1);
  }
  root->addLayout(images, 3);

  // The fitted look and the figures.
  auto* bottom = new QHBoxLayout;
  curve_ = new ToneCurvePlot;
  bottom->addWidget(curve_, 1);
  matrix_ = new QTableWidget(4, 3);
  matrix_->setObjectName("calibration_matrix");
  matrix_->setHorizontalHeaderLabels({"R", "G", "B"});
  matrix_->setVerticalHeaderLabels({tr("R′"), tr("G′"), tr("B′"), tr("tint")});
  matrix_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  matrix_->setToolTip(tr("Colour matrix (camera RGB after the as-shot white balance → linear sRGB), with the\n"
                         "fitted tint folded in; the tint row is that tint (R, G, B gains)."));
  auto* matrix_box = new QGroupBox(tr("Colour matrix"));
  (new QVBoxLayout(matrix_box))->addWidget(matrix_);
  bottom->addWidget(matrix_box, 1);
  figures_ = new QTableWidget(0, 4);
  figures_->setObjectName("calibration_figures");
  figures_->setHorizontalHeaderLabels({tr("before: fitted"), tr("before: held out"), tr("after: fitted"), tr("after: held out")});
  figures_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  figures_->setToolTip(tr("PSNR (dB) and mean ΔE00 of the development against the camera JPEG, with the RAW's\n"
                          "metadata alone (before) and calibrated (after), on the fitted and the held-out tiles."));
  auto* figures_box = new QGroupBox(tr("PSNR / mean ΔE00"));
  (new QVBoxLayout(figures_box))->addWidget(figures_);
  bottom->addWidget(figures_box, 2);
  root->addLayout(bottom, 2);

  auto* buttons = new QHBoxLayout;
  auto* open = new QPushButton(tr("Open isp.json…"));
  save_button_ = new QPushButton(tr("Save isp.json…"));
  use_button_ = new QPushButton(tr("Use for Fits"));
  use_button_->setToolTip(tr("The next fit of the main window develops its renders through this ISP."));
  auto* close = new QPushButton(tr("Close"));
  connect(open, &QPushButton::clicked, this, [this] { open_dialog(); });
  connect(save_button_, &QPushButton::clicked, this, [this] { save_dialog(); });
  connect(use_button_, &QPushButton::clicked, this, [this] { use_for_fits(); });
  connect(close, &QPushButton::clicked, this, [this] { this->close(); });
  buttons->addWidget(open);
  buttons->addStretch();
  for (auto* b : {save_button_, use_button_, close}) buttons->addWidget(b);
  root->addLayout(buttons);
  resize(1280, 860);
}

void CalibrationDialog::add_pair(const QString& raw, const QString& jpeg) {
  const int r = pairs_->rowCount();
  pairs_->insertRow(r);
  pairs_->setItem(r, 0, cell(raw));
  pairs_->setItem(r, 1, cell(jpeg));
  update_buttons();
}

void CalibrationDialog::clear_pairs() {
  pairs_->setRowCount(0);
  update_buttons();
}

void CalibrationDialog::set_iterations(int n) { iterations_->setValue(n); }
void CalibrationDialog::set_working_size(int n) { size_->setValue(n); }

QString CalibrationDialog::status_text() const { return status_->text(); }

void CalibrationDialog::start() {
  const auto s = runner_.state();
  if (s == CalibrationRunner::State::kLoading || s == CalibrationRunner::State::kRunning || pairs_->rowCount() == 0) return;
  std::vector<CalibrationPairSpec> specs;
  for (int r = 0; r < pairs_->rowCount(); ++r)
    specs.push_back({pairs_->item(r, 0)->text().toStdString(), pairs_->item(r, 1)->text().toStdString()});
  CalibrationOptions o;
  o.stages.clear();
  for (QCheckBox* b : stage_boxes_)
    if (b->isChecked()) o.stages.push_back(b->text().toStdString());
  o.iterations = iterations_->value();
  o.pair.size = size_->value();
  try {
    o.check();
  } catch (const std::exception& e) {
    status_->setText(QString::fromStdString(e.what()));
    return;
  }
  opened_isp_.clear();
  have_shown_ = false;
  runner_.start(std::move(specs), o);
  status_->setText(tr("reading the pairs…"));
  update_buttons();
}

void CalibrationDialog::poll() {
  const auto s = runner_.state();
  using S = CalibrationRunner::State;
  if (s == S::kIdle) return;
  progress_->setRange(0, runner_.iterations());
  progress_->setValue(static_cast<int>(runner_.iteration()));
  CalibrationSnapshot snap;
  if (runner_.snapshot(snap) && (!have_shown_ || snap.iteration != shown_.iteration || s != S::kRunning)) {
    const bool first = !have_shown_;
    shown_ = std::move(snap);
    have_shown_ = true;
    show_snapshot();
    if (first) {
      pair_choice_->blockSignals(true);
      pair_choice_->clear();
      for (const auto& n : shown_.names) pair_choice_->addItem(QString::fromStdString(n));
      pair_choice_->blockSignals(false);
      show_pair(0);
    }
  }
  QString text;
  switch (s) {
    case S::kLoading: text = tr("reading: %1").arg(QString::fromStdString(runner_.message())); break;
    case S::kRunning: text = tr("fitting: iteration %1 of %2, loss %3").arg(runner_.iteration()).arg(runner_.iterations()).arg(fmt(shown_.loss, 5)); break;
    case S::kDone: text = tr("done: %1 iterations").arg(runner_.iteration()); break;
    case S::kCancelled: text = tr("cancelled at iteration %1").arg(runner_.iteration()); break;
    case S::kFailed: text = tr("failed: %1").arg(QString::fromStdString(runner_.message())); break;
    case S::kIdle: break;
  }
  if (status_->text() != text) status_->setText(text);
  update_buttons();
}

void CalibrationDialog::show_snapshot() {
  std::vector<QString> names;
  for (const auto& n : shown_.names) names.push_back(QString::fromStdString(n));
  if (shown_.names.size() > 1) {
    names.push_back(tr("all pairs"));
    auto before = shown_.before, after = shown_.after;
    before.push_back(shown_.before_all);
    after.push_back(shown_.after_all);
    fill_figures(names, before, after);
  } else {
    fill_figures(names, shown_.before, shown_.after);
  }
  fill_matrix(shown_.matrix, shown_.tint, true);
  curve_->set_curve(shown_.curve);
  show_pair(pair_choice_->currentIndex());
}

void CalibrationDialog::show_pair(int i) {
  if (!have_shown_ || i < 0 || i >= static_cast<int>(shown_.images.size())) return;
  const CalibrationImages& im = shown_.images[static_cast<size_t>(i)];
  panels_[0]->set_image(im.neutral);
  panels_[1]->set_image(im.target);
  panels_[2]->set_image(im.calibrated);
  panels_[3]->set_image(shown_.errors[static_cast<size_t>(i)]);
}

void CalibrationDialog::fill_figures(const std::vector<QString>& names, const std::vector<CalibrationPairFigures>& before,
                                     const std::vector<CalibrationPairFigures>& after) {
  figures_->setRowCount(static_cast<int>(names.size()));
  QStringList labels;
  for (size_t r = 0; r < names.size(); ++r) {
    labels << names[r];
    const CalibrationFigures f[4] = {before[r].fit, before[r].held_out, after[r].fit, after[r].held_out};
    for (int c = 0; c < 4; ++c)
      figures_->setItem(static_cast<int>(r), c, cell(tr("%1 dB / %2").arg(fmt(f[c].psnr, 2), fmt(f[c].delta_e, 2))));
  }
  figures_->setVerticalHeaderLabels(labels);
}

void CalibrationDialog::fill_matrix(const std::array<double, 9>& m, const std::array<double, 3>& tint, bool have_tint) {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) matrix_->setItem(r, c, cell(fmt(m[static_cast<size_t>(3 * r + c)], 3)));
  for (int c = 0; c < 3; ++c) matrix_->setItem(3, c, cell(have_tint ? fmt(tint[static_cast<size_t>(c)], 3) : tr("—")));
}

void CalibrationDialog::update_buttons() {
  using S = CalibrationRunner::State;
  const auto s = runner_.state();
  const bool busy = s == S::kLoading || s == S::kRunning;
  const bool result = (s == S::kDone || s == S::kCancelled) && runner_.iteration() > 0;
  start_button_->setEnabled(!busy && pairs_->rowCount() > 0);
  cancel_button_->setEnabled(busy);
  save_button_->setEnabled(result && opened_isp_.isEmpty());
  use_button_->setEnabled((result && opened_isp_.isEmpty()) || !opened_isp_.isEmpty());
}

bool CalibrationDialog::save_to(const QString& isp_path, bool quiet) {
  try {
    const auto written = runner_.save(isp_path.toStdString());
    status_->setText(tr("wrote %1 files beside %2").arg(written.size()).arg(isp_path));
    return true;
  } catch (const std::exception& e) {
    status_->setText(tr("save failed: %1").arg(QString::fromStdString(e.what())));
    if (!quiet) QMessageBox::warning(this, tr("Save isp.json"), QString::fromStdString(e.what()));
    return false;
  }
}

bool CalibrationDialog::open_isp(const QString& isp_path) {
  namespace fs = std::filesystem;
  try {
    IspPipeline isp = IspPipeline::from_file(isp_path.toStdString());  // validates, names the file
    opened_json_ = nlohmann::json::parse(read_input_file(isp_path.toStdString(), "ISP pipeline", limits::kMaxTextFileBytes));
    opened_isp_ = isp_path;
    have_shown_ = false;
    auto* tc = dynamic_cast<ToneCurve*>(isp.stage("tone_curve"));
    curve_->set_curve(tc && tc->enabled() ? tc->knot_values() : std::vector<double>{});
    auto* cm = dynamic_cast<ColorMatrix*>(isp.stage("color_matrix"));
    std::array<double, 9> m{1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (cm) m = cm->params().matrix;
    fill_matrix(m, {1, 1, 1}, false);
    // The report and pictures beside it, when they are there.
    const fs::path dir = fs::path(isp_path.toStdString()).parent_path();
    std::vector<QString> names;
    std::vector<CalibrationPairFigures> before, after;
    std::vector<QString> pictures;
    if (std::ifstream rf(dir / "calibration.json"); rf) {
      const nlohmann::json report = nlohmann::json::parse(rf);
      for (const auto& p : report.at("pairs")) {
        names.push_back(QString::fromStdString(fs::path(p.at("raw").get<std::string>()).filename().string()));
        before.push_back({figures_from_json(p.at("before").at("fit")), figures_from_json(p.at("before").at("held_out"))});
        after.push_back({figures_from_json(p.at("after").at("fit")), figures_from_json(p.at("after").at("held_out"))});
        pictures.push_back(QString::fromStdString((dir / p.at("picture").get<std::string>()).string()));
      }
    }
    fill_figures(names, before, after);
    pair_choice_->blockSignals(true);
    pair_choice_->clear();
    for (const auto& n : names) pair_choice_->addItem(n);
    pair_choice_->blockSignals(false);
    for (auto* p : panels_) p->set_image(Tensor());
    // The first pair's side-by-side picture: four panels with 4-pixel gaps.
    if (!pictures.empty()) {
      const QImage sbs(pictures.front());
      const int w = (sbs.width() - 12) / 4;
      for (int k = 0; k < 4 && !sbs.isNull() && w > 0; ++k) {
        const QImage part = sbs.copy(k * (w + 4), 0, w, sbs.height()).convertToFormat(QImage::Format_RGB888);
        Tensor t({3, part.height(), part.width()});
        for (int y = 0; y < part.height(); ++y)
          for (int x = 0; x < part.width(); ++x) {
            const QRgb px = part.pixel(x, y);
            t.at(0, y, x) = qRed(px) / 255.f;
            t.at(1, y, x) = qGreen(px) / 255.f;
            t.at(2, y, x) = qBlue(px) / 255.f;
          }
        panels_[k]->set_image(t);
      }
    }
    status_->setText(tr("showing %1").arg(isp_path));
    update_buttons();
    return true;
  } catch (const std::exception& e) {
    status_->setText(tr("cannot open: %1").arg(QString::fromStdString(e.what())));
    return false;
  }
}

void CalibrationDialog::add_raws_dialog() {
  const QStringList files = QFileDialog::getOpenFileNames(
      this, tr("Add RAWs"), QString(), tr("Camera RAW (*.dng *.DNG *.cr2 *.CR2 *.cr3 *.CR3 *.nef *.NEF *.arw *.ARW *.orf *.ORF *.rw2 *.RW2 *.raf *.RAF *.pef *.PEF);;All files (*)"));
  for (const QString& f : files) add_pair(f);
}

void CalibrationDialog::set_jpeg_dialog() {
  const int r = pairs_->currentRow();
  if (r < 0) return;
  const QString f = QFileDialog::getOpenFileName(this, tr("Camera JPEG of %1").arg(pairs_->item(r, 0)->text()), QString(),
                                                 tr("JPEG (*.jpg *.JPG *.jpeg *.JPEG)"));
  if (!f.isEmpty()) pairs_->setItem(r, 1, cell(f));
}

void CalibrationDialog::save_dialog() {
  const QString f = QFileDialog::getSaveFileName(this, tr("Save isp.json"), "isp.json", tr("ISP JSON (*.json)"));
  if (!f.isEmpty()) save_to(f);
}

void CalibrationDialog::open_dialog() {
  const QString f = QFileDialog::getOpenFileName(this, tr("Open isp.json"), QString(), tr("ISP JSON (*.json)"));
  if (!f.isEmpty()) open_isp(f);
}

void CalibrationDialog::use_for_fits() {
  try {
    const nlohmann::json j = opened_isp_.isEmpty() ? runner_.isp_json() : opened_json_;
    if (on_use_isp_) on_use_isp_(j, opened_isp_.isEmpty() ? tr("this calibration") : opened_isp_);
    status_->setText(tr("the next fit develops through this ISP"));
  } catch (const std::exception& e) {
    status_->setText(QString::fromStdString(e.what()));
  }
}

void CalibrationDialog::closeEvent(QCloseEvent* e) {
  runner_.cancel();
  QDialog::closeEvent(e);
}

}  // namespace invgfx
