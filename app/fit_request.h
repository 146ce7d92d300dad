// One policy for both faces of the program: from what a user gave — inputs, masks, a preset or a
// configuration, a session to continue — to the dataset options and the loop's configuration. The
// CLI's `fit` and the window's Open and Open Session go through it, so the same photos give the same
// fit whichever face starts it.
//   inputs   files, lists and folders; when a session is resumed without inputs, the session's
//   masks    "" = the default: a folder "masks" inside the one folder given or next to the photos'
//            folder (as `invgfx-cli synth` writes it), otherwise automatic GrabCut masks; "none";
//            "auto"; or a folder. A resumed session keeps its own unless masks are given.
//            A multi-view dataset (a transforms*.json or a COLMAP folder): "alpha" when every photo has
//            an alpha channel, else none.
//   preset   "" = multiview for a multi-view dataset or --object; else by the number of photos
//            that loaded: single_object for one, category for more
//   config   a configuration file (fields it omits keep their defaults), or one given whole; either
//            replaces the preset. A resumed fit takes the session's configuration.
#pragma once

#include "app/dataset.h"
#include "app/loop_config.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace invgfx {

struct FitRequest {
  std::vector<std::filesystem::path> inputs;
  std::string masks;
  bool invert_masks = false;
  std::string preset;
  std::filesystem::path config_file;
  std::optional<LoopConfig> config;
  std::filesystem::path resume;  // a session file to continue
  std::filesystem::path images;  // the photos of a COLMAP model (default: images/ beside it)
  bool object = false;           // a plain folder of one object: orbit-guess cameras, fitted (multiview)
  // Overrides of the configuration (the command line's --iters, --size, …).
  std::optional<int> iterations, size, checkpoint_interval, log_interval;
  std::optional<uint64_t> seed;
};

// The request with a resumed session's inputs and masks filled in where the request has none.
// Throws std::runtime_error when there is nothing to fit, or a combination is contradictory (a
// preset or configuration with --resume, a working size other than the session's).
FitRequest complete_request(FitRequest request);

// The masks the default policy finds for these inputs: a masks folder, or "auto"; for a multi-view
// dataset "alpha" or "".
std::string default_masks(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& images = {});
// True when the request is a multi-view fit (one camera file or COLMAP folder, or --object).
bool is_multiview_request(const FitRequest& request);

// Dataset options of the request at the configuration's working size.
DatasetOptions dataset_options(const FitRequest& request, const LoopConfig& config);

// The configuration of the request when `num_photos` photos loaded (the default preset follows
// them). Throws std::runtime_error naming the file or field that is wrong.
LoopConfig fit_config(const FitRequest& request, int num_photos);

}  // namespace invgfx
