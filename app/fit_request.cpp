// Implementation of app/fit_request.h.
#include "app/fit_request.h"

#include "app/loop.h"
#include "app/multiview_dataset.h"

#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

FitRequest complete_request(FitRequest r) {
  if (r.resume.empty()) {
    if (r.inputs.empty()) throw std::runtime_error("no input photos given");
    return r;
  }
  if (!r.preset.empty() || !r.config_file.empty() || r.config)
    throw std::runtime_error("--resume takes the configuration from the session; drop --preset/--config");
  const SessionInputs s = Loop::session_inputs(r.resume);
  if (r.inputs.empty()) {
    if (s.inputs.empty())
      throw std::runtime_error(r.resume.string() + ": the session names no inputs; give the photos it was fitted on");
    r.inputs = s.inputs;
    if (r.masks.empty()) {
      r.masks = s.masks.empty() ? "none" : s.masks;
      r.invert_masks = s.invert_masks;
    }
  }
  return r;
}

bool is_multiview_request(const FitRequest& r) {
  return r.object || (r.inputs.size() == 1 && is_view_camera_source(r.inputs[0]));
}

std::string default_masks(const std::vector<fs::path>& inputs, const fs::path& images) {
  std::error_code ec;
  if (inputs.size() == 1 && is_view_camera_source(inputs[0])) return default_multiview_masks(inputs[0], images);
  if (!inputs.empty()) {
    const fs::path first = inputs.front();
    const fs::path folder = fs::is_directory(first, ec) ? first : first.parent_path();
    for (const fs::path& m : {folder / "masks", folder.parent_path() / "masks"})
      if (!m.empty() && fs::is_directory(m, ec) && fs::absolute(m, ec) != fs::absolute(folder, ec)) return m.string();
  }
  return "auto";
}

DatasetOptions dataset_options(const FitRequest& r, const LoopConfig& c) {
  DatasetOptions o;
  o.size = c.render.size;
  o.masks = r.masks.empty() ? default_masks(r.inputs, r.images) : r.masks == "none" ? std::string() : r.masks;
  o.invert_masks = r.invert_masks;
  o.images_dir = r.images;
  o.object = r.object;
  return o;
}

LoopConfig fit_config(const FitRequest& r, int num_photos) {
  LoopConfig c;
  if (!r.resume.empty()) {
    c = Loop::session_config(r.resume);
  } else if (r.config) {
    c = *r.config;
  } else if (!r.config_file.empty()) {
    c = LoopConfig::from_file(r.config_file);
  } else {
    c = LoopConfig::preset(!r.preset.empty()       ? r.preset
                           : is_multiview_request(r) ? "multiview"
                           : num_photos == 1         ? "single_object"
                                                     : "category");
    // Cameras of an orbit guess are fitted; known ones stay frozen unless the configuration says so.
    if (r.object) c.groups["camera"].frozen = false;
  }
  if (r.iterations) c.iterations = *r.iterations;
  if (r.size) {
    if (!r.resume.empty() && *r.size != c.render.size)
      throw std::runtime_error("--size cannot change the working size of a resumed session (" +
                               std::to_string(c.render.size) + ")");
    c.render.size = *r.size;
  }
  if (r.seed && r.resume.empty()) c.seed = *r.seed;
  if (r.checkpoint_interval) c.checkpoint_interval = *r.checkpoint_interval;
  if (r.log_interval) c.log_interval = *r.log_interval;
  try {
    c.check();
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("configuration: ") + e.what());
  }
  return c;
}

}  // namespace invgfx
