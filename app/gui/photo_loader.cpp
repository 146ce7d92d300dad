// Implementation of app/gui/photo_loader.h.
#include "app/gui/photo_loader.h"

#include "app/prediction.h"

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
      const FitRequest& r = request.request;
      LoopConfig config = request.model ? prediction_config(*request.model, request.model_name, 1, 0)
                                        : fit_config(r, static_cast<int>(expand_inputs(r.inputs).size()));
      Dataset dataset = load_dataset(r.inputs, dataset_options(r, config), [this](int i, int n, const std::filesystem::path& p) {
        emit progress(i, n, QString::fromStdString(p.filename().string()));
        return !cancel_.load();
      });
      if (cancel_) throw LoadCancelled();
      // The default preset follows the photos that loaded (one → single_object), as in the CLI.
      if (!request.model) {
        const LoopConfig again = fit_config(r, static_cast<int>(dataset.photos.size()));
        if (again.render.size == config.render.size) config = again;
      }
      emit progress(static_cast<int>(dataset.photos.size()), static_cast<int>(dataset.photos.size()),
                    tr("building the networks"));
      if (request.model)
        loop = prediction_loop(*request.model, request.model_name, std::move(dataset), request.refine_steps);
      else
        loop = std::make_unique<Loop>(config, std::move(dataset));
      if (!r.resume.empty()) loop->load_session(r.resume);
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
