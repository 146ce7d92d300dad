// Loads photos and builds the loop off the GUI thread, by the policy the CLI uses (app/fit_request.h):
// expanding the inputs, reading and resizing the photos (and computing masks), constructing the Loop,
// and restoring a session when asked. It reports progress per photo and can be cancelled between
// photos.
#pragma once

#include "app/fit_request.h"
#include "app/loop.h"
#include "app/model_file.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace invgfx {

struct LoadRequest {
  FitRequest request;  // complete (complete_request); a session in request.resume is restored
  // A model to predict with (app/prediction.h): the loop is built from its configuration and
  // template and holds its parameters; Start refines each photo for `refine_steps` steps.
  std::shared_ptr<const ModelContents> model;
  std::string model_name;  // names the model in messages
  int refine_steps = 200;
};

class PhotoLoader : public QObject {
  Q_OBJECT

 public:
  explicit PhotoLoader(QObject* parent = nullptr);
  ~PhotoLoader() override;  // cancels and joins

  // Starts loading; a load in progress is cancelled first.
  void start(LoadRequest request);
  void cancel();
  bool busy() const { return busy_; }

  // After finished(): the loop (null on error or cancel), and what went wrong.
  std::unique_ptr<Loop> take_loop();
  QString error() const;
  bool cancelled() const { return cancelled_; }
  const LoadRequest& request() const { return request_; }

 signals:
  void progress(int index, int count, const QString& path);
  void finished();

 private:
  void join();

  std::thread thread_;
  std::atomic<bool> cancel_{false}, busy_{false}, cancelled_{false};
  mutable std::mutex mutex_;
  std::unique_ptr<Loop> loop_;
  QString error_;
  LoadRequest request_;
};

}  // namespace invgfx
