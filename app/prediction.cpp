// Implementation of app/prediction.h.
#include "app/prediction.h"

#include <algorithm>
#include <stdexcept>

namespace invgfx {

LoopConfig prediction_config(const ModelContents& model, const std::string& what, int num_photos, int refine_steps,
                             int batch) {
  LoopConfig config;
  try {
    config = LoopConfig::from_json(model.config);
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": bad configuration: " + e.what());
  }
  if (batch > 0) config.batch_size = batch;
  const int slots = std::max(1, std::min(config.batch_size, num_photos));
  config.train_fraction = 0;
  config.iterations = std::max(0, refine_steps) * ((std::max(1, num_photos) + slots - 1) / slots);
  config.checkpoint_interval = 0;
  config.checkpoint_path.clear();
  return config;
}

std::unique_ptr<Loop> prediction_loop(const ModelContents& model, const std::string& what, Dataset photos,
                                      int refine_steps, int batch) {
  const LoopConfig config =
      prediction_config(model, what, static_cast<int>(photos.photos.size()), refine_steps, batch);
  auto loop = std::make_unique<Loop>(config, std::move(photos), &model.template_mesh);
  loop->set_model(model, what);
  return loop;
}

}  // namespace invgfx
