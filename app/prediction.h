// A loop that predicts with a trained model (model_file.h): built from the model's configuration and
// template on new photos, holding the model's parameters, so that its scenes are the network's
// predictions at once (one forward pass) and its steps refine each photo's scene from there (the
// training phase is empty). The CLI's `predict` and the window's Open Model both build it here.
#pragma once

#include "app/loop.h"
#include "app/model_file.h"

#include <memory>
#include <string>

namespace invgfx {

// The model's configuration for `num_photos` photos: no training, `refine_steps` steps of refinement
// per photo (round robin in batches of `batch`, or the model's batch size when batch ≤ 0), no
// checkpoints. Throws std::runtime_error "<what>: bad configuration: …".
LoopConfig prediction_config(const ModelContents& model, const std::string& what, int num_photos, int refine_steps,
                             int batch = 0);

// The loop of prediction_config over `photos` (at the model's working size) with the model's
// parameters. Throws std::runtime_error "<what>: …" for a model that does not fit its own
// configuration, std::invalid_argument for photos of another size.
std::unique_ptr<Loop> prediction_loop(const ModelContents& model, const std::string& what, Dataset photos,
                                      int refine_steps, int batch = 0);

}  // namespace invgfx
