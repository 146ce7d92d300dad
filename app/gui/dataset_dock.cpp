// Implementation of app/gui/dataset_dock.h.
#include "app/gui/dataset_dock.h"

#include "app/gui/panel_image.h"

#include <QImage>
#include <QListWidget>
#include <QPixmap>

#include <cmath>

namespace invgfx {

DatasetDock::DatasetDock(QWidget* parent) : QDockWidget(tr("Dataset"), parent) {
  setObjectName("dataset_dock");
  list_ = new QListWidget(this);
  list_->setIconSize(QSize(72, 72));
  list_->setUniformItemSizes(true);
  list_->setSelectionMode(QAbstractItemView::SingleSelection);
  list_->setSpacing(2);
  setWidget(list_);
  connect(list_, &QListWidget::currentRowChanged, this, [this](int row) {
    if (row >= 0) emit photo_selected(row);
  });
}

void DatasetDock::clear() {
  list_->clear();
  names_.clear();
  masks_.clear();
  losses_.clear();
}

int DatasetDock::count() const { return list_->count(); }

void DatasetDock::set_dataset(const Dataset& dataset) {
  const QSignalBlocker block(list_);
  clear();
  Rgba8Image rgba;
  for (const Photo& p : dataset.photos) {
    srgb_to_rgba(p.srgb, rgba);
    QImage image(rgba.pixels.data(), rgba.width, rgba.height, rgba.width * 4, QImage::Format_RGBA8888);
    // Mask indicator: a strip along the bottom of the thumbnail (green: mask file, blue: automatic).
    QImage thumb = image.scaled(list_->iconSize(), Qt::KeepAspectRatio, Qt::SmoothTransformation)
                       .convertToFormat(QImage::Format_RGB32);
    if (!p.mask.empty()) {
      const QRgb c = p.mask_is_auto ? qRgb(70, 130, 230) : qRgb(60, 200, 90);
      for (int y = thumb.height() - 5; y < thumb.height(); ++y)
        for (int x = 0; x < thumb.width(); ++x) thumb.setPixel(x, y, c);
    }
    auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(thumb)), QString());
    item->setToolTip(QString::fromStdString(p.path.string()) +
                     QString("\n%1×%2").arg(p.original_width).arg(p.original_height) +
                     (p.is_raw() ? tr("\ncamera RAW") : QString()));
    list_->addItem(item);
    names_.push_back(QString::fromStdString(p.path.filename().string()));
    masks_.push_back(p.mask.empty() ? tr("no mask") : p.mask_is_auto ? tr("auto mask") : tr("mask"));
    losses_.push_back(std::nan(""));
    update_label(list_->count() - 1);
  }
  if (list_->count() > 0) list_->setCurrentRow(0);
}

void DatasetDock::update_label(int row) {
  const size_t r = static_cast<size_t>(row);
  const QString loss = std::isfinite(losses_[r]) ? QString::number(losses_[r], 'g', 4) : QString("–");
  list_->item(row)->setText(QString("%1\n%2 · loss %3").arg(names_[r], masks_[r], loss));
}

void DatasetDock::set_losses(const std::vector<double>& losses, int current) {
  const QSignalBlocker block(list_);
  for (int row = 0; row < list_->count() && row < static_cast<int>(losses.size()); ++row) {
    const double l = losses[static_cast<size_t>(row)];
    const double old = losses_[static_cast<size_t>(row)];
    if (l == old || (std::isnan(l) && std::isnan(old))) continue;
    losses_[static_cast<size_t>(row)] = l;
    update_label(row);
  }
  if (current >= 0 && current < list_->count() && list_->currentRow() != current) list_->setCurrentRow(current);
}

}  // namespace invgfx
