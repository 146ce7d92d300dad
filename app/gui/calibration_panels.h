// The panels of the ISP calibration view (calibration_dialog.h): an image with its caption (the neutral
// development, the camera JPEG, the calibrated development, the ΔE₀₀ map) and the fitted tone curve.
// Plain widgets with setters; they know nothing of the calibration that fills them.
#pragma once

#include "core/tensor.h"

#include <QImage>
#include <QString>
#include <QWidget>

#include <vector>

namespace invgfx {

class CalibrationImagePanel : public QWidget {
  Q_OBJECT

 public:
  explicit CalibrationImagePanel(const QString& caption, QWidget* parent = nullptr);
  // 3×H×W sRGB in [0, 1]; an empty tensor clears the panel.
  void set_image(const Tensor& srgb);
  const QImage& image() const { return image_; }
  QSize sizeHint() const override { return {260, 240}; }

 protected:
  void paintEvent(QPaintEvent* e) override;

 private:
  QString caption_;
  QImage image_;
};

class ToneCurvePlot : public QWidget {
  Q_OBJECT

 public:
  explicit ToneCurvePlot(QWidget* parent = nullptr);
  // Knots Y_0..Y_K at x = k/K (display-space input → output); empty = no curve.
  void set_curve(const std::vector<double>& knots);
  const std::vector<double>& curve() const { return knots_; }
  QSize sizeHint() const override { return {260, 240}; }

 protected:
  void paintEvent(QPaintEvent* e) override;

 private:
  std::vector<double> knots_;
};

}  // namespace invgfx
