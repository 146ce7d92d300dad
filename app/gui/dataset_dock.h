// The dataset browser: one row per photo with its thumbnail, a mask indicator (mask file, automatic
// mask, or none) and its latest loss. Clicking a row focuses the dashboard on that photo.
#pragma once

#include "app/dataset.h"

#include <QDockWidget>

#include <vector>

class QListWidget;

namespace invgfx {

class DatasetDock : public QDockWidget {
  Q_OBJECT

 public:
  explicit DatasetDock(QWidget* parent = nullptr);

  void set_dataset(const Dataset& dataset);
  void clear();
  // Losses of every photo (NaN: not seen yet) and the photo in focus.
  void set_losses(const std::vector<double>& losses, int current);
  int count() const;
  QListWidget* list() const { return list_; }

 signals:
  void photo_selected(int index);

 private:
  void update_label(int row);

  QListWidget* list_;
  std::vector<QString> names_, masks_;
  std::vector<double> losses_;
};

}  // namespace invgfx
