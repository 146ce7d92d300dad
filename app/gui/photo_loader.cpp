#include "app/gui/photo_loader.h"

namespace invgfx {

PhotoLoader::PhotoLoader(QObject* parent) : QObject(parent) {}

PhotoLoader::~PhotoLoader() {
  cancel();
  join();
}

void PhotoLoader::join() {
  if (thread_.joinable()) thread_.join();
}

void PhotoLoader::cancel() { cancel_ = true; }

void PhotoLoader::start(LoadRequest request) {
  cancel();
  join();
  cancel_ = false;
  cancelled_ = false;
  busy_ = true;
  {
    std::lock_guard lock(mutex_);
    loop_.reset();
    error_.clear();
  }
  request_ = std::move(request);
  thread_ = std::thread([this, request = request_] {
    std::unique_ptr<Loop> loop;
    QString error;
    try {
      DatasetOptions options = request.dataset;
      options.size = request.config.render.size;
      Dataset dataset = load_dataset(request.inputs, options, [this](int i, int n, const std::filesystem::path& p) {
        emit progress(i, n, QString::fromStdString(p.filename().string()));
        return !cancel_.load();
      });
      if (cancel_) throw LoadCancelled();
      emit progress(static_cast<int>(dataset.photos.size()), static_cast<int>(dataset.photos.size()),
                    tr("building the networks"));
      loop = std::make_unique<Loop>(request.config, std::move(dataset));
      if (!request.session.empty()) loop->load_session(request.session);
      if (cancel_) throw LoadCancelled();
    } catch (const LoadCancelled&) {
      cancelled_ = true;
      loop.reset();
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
      loop.reset();
    }
    {
      std::lock_guard lock(mutex_);
      loop_ = std::move(loop);
      error_ = error;
    }
    busy_ = false;
    emit finished();
  });
}

std::unique_ptr<Loop> PhotoLoader::take_loop() {
  std::lock_guard lock(mutex_);
  return std::move(loop_);
}

QString PhotoLoader::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

}  // namespace invgfx
