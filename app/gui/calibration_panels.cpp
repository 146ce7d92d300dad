#include "app/gui/calibration_panels.h"

#include "app/gui/panel_image.h"

#include <QPainter>
#include <QPainterPath>

namespace invgfx {

CalibrationImagePanel::CalibrationImagePanel(const QString& caption, QWidget* parent)
    : QWidget(parent), caption_(caption) {
  setMinimumSize(160, 140);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void CalibrationImagePanel::set_image(const Tensor& srgb) {
  if (srgb.empty()) {
    image_ = QImage();
  } else {
    Rgba8Image rgba;
    srgb_to_rgba(srgb, rgba);
    image_ = QImage(rgba.pixels.data(), rgba.width, rgba.height, rgba.width * 4, QImage::Format_RGBA8888).copy();
  }
  update();
}

void CalibrationImagePanel::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  const int caption_h = fontMetrics().height() + 4;
  p.drawText(QRect(0, 0, width(), caption_h), Qt::AlignCenter, caption_);
  const QRect area(0, caption_h, width(), height() - caption_h);
  if (image_.isNull()) {
    p.setPen(palette().color(QPalette::Disabled, QPalette::Text));
    p.drawText(area, Qt::AlignCenter, tr("—"));
    return;
  }
  const QSize s = image_.size().scaled(area.size(), Qt::KeepAspectRatio);
  const QRect target(area.x() + (area.width() - s.width()) / 2, area.y() + (area.height() - s.height()) / 2, s.width(),
                     s.height());
  p.setRenderHint(QPainter::SmoothPixmapTransform, true);
  p.drawImage(target, image_);
}

ToneCurvePlot::ToneCurvePlot(QWidget* parent) : QWidget(parent) {
  setMinimumSize(180, 160);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ToneCurvePlot::set_curve(const std::vector<double>& knots) {
  knots_ = knots;
  update();
}

void ToneCurvePlot::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing, true);
  p.fillRect(rect(), palette().window());
  const int caption_h = fontMetrics().height() + 4;
  p.drawText(QRect(0, 0, width(), caption_h), Qt::AlignCenter, tr("Tone curve (sRGB in → out)"));
  const int side = std::max(10, std::min(width() - 16, height() - caption_h - 12));
  const QRectF box((width() - side) / 2.0, caption_h + 4.0, side, side);
  p.fillRect(box, palette().base());
  p.setPen(QPen(palette().color(QPalette::Mid), 1));
  for (int k = 1; k < 4; ++k) {
    const double t = k / 4.0;
    p.drawLine(QPointF(box.left() + t * box.width(), box.top()), QPointF(box.left() + t * box.width(), box.bottom()));
    p.drawLine(QPointF(box.left(), box.top() + t * box.height()), QPointF(box.right(), box.top() + t * box.height()));
  }
  p.drawRect(box);
  p.setPen(QPen(palette().color(QPalette::Dark), 1, Qt::DashLine));
  p.drawLine(box.bottomLeft(), box.topRight());  // identity
  if (knots_.size() < 2) return;
  QPainterPath path;
  const double K = static_cast<double>(knots_.size() - 1);
  for (size_t k = 0; k < knots_.size(); ++k) {
    const QPointF pt(box.left() + k / K * box.width(), box.bottom() - knots_[k] * box.height());
    if (k == 0) path.moveTo(pt);
    else path.lineTo(pt);
  }
  p.setPen(QPen(QColor(225, 87, 89), 2));
  p.drawPath(path);
}

}  // namespace invgfx
