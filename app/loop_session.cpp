// The Loop's side of sessions: what it gathers into a session file (session_file.h) and how it
// checks a stored session against itself before taking anything from it.
#include "app/loop.h"

#include "app/loop_rooms.h"

#include <stdexcept>

namespace invgfx {

namespace {

// Fields of the configuration a resumed fit may change (commands between steps); the rest must match.
bool mutable_field(const std::string& k) {
  return k == "iterations" || k == "groups" || k == "weights" || k == "checkpoint_interval" ||
         k == "checkpoint_path" || k == "log_interval" || k == "preset" || k == "render";
}

// Every optimizer of the fit, named as in the session: the camera's, then the scene sources'.
std::vector<std::pair<std::string, Optimizer*>> optimizers_of(CameraIsp& camera, NetworkScenes& network,
                                                              RefinedScenes* refined, MultiViewScenes* multiview) {
  std::vector<std::pair<std::string, Optimizer*>> all = {{"camera", &camera.optimizer()}};
  network.all_optimizers(all);
  if (refined) refined->all_optimizers(all);
  if (multiview) multiview->all_optimizers(all);
  return all;
}

}  // namespace

std::vector<std::pair<std::string, const Tensor*>> Loop::session_tensors() {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  visit_parameters([&](Parameter& p) { tensors.emplace_back(p.name, &p.value); });
  return tensors;
}

LoopConfig Loop::session_config(const std::filesystem::path& path) {
  const SessionContents c = read_session_file(path);
  try {
    return LoopConfig::from_json(c.config);
  } catch (const std::exception& e) {
    throw std::runtime_error("session file '" + path.string() + "': bad configuration: " + e.what());
  }
}

SessionInputs Loop::session_inputs(const std::filesystem::path& path) { return read_session_file(path).inputs; }

void Loop::save_session(const std::filesystem::path& path) {
  Rooms& r = *r_;
  SessionContents c;
  c.config = r.config.to_json();
  c.inputs.inputs = r.dataset.inputs;
  c.inputs.masks = r.dataset.options.masks;
  c.inputs.invert_masks = r.dataset.options.invert_masks;
  c.photos = r.dataset.photos.size();
  c.state = r.state;
  r.schedule->save(c.state.schedule);
  c.state.lr_factor = r.guard.lr_factor();
  c.state.sensor_frame = r.camera->sensor().frame();
  Traversal t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) { c.fields.emplace_back(spec.name, v); };
  r.camera->traverse(t);
  for (auto& [name, opt] : optimizers_of(*r.camera, *r.network, r.refined.get(), r.multiview.get()))
    c.optimizers.emplace_back(name, opt->save_state());
  write_session_file(path, c, session_tensors());
}

void Loop::load_session(const std::filesystem::path& path) {
  Rooms& r = *r_;
  const std::string where = "session file '" + path.string() + "'";
  const SessionContents d = read_session_file(path);
  const int n = num_photos();
  if (d.photos != static_cast<uint64_t>(n))
    throw std::runtime_error(where + ": made for " + std::to_string(d.photos) + " photos, the dataset has " +
                             std::to_string(n));
  LoopConfig stored;
  try {
    stored = LoopConfig::from_json(d.config);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": bad configuration: " + e.what());
  }
  {
    const nlohmann::json a = stored.to_json(), b = r.config.to_json();
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!mutable_field(it.key()) && (!b.contains(it.key()) || b[it.key()] != it.value()))
        throw std::runtime_error(where + ": made with another configuration (field '" + it.key() + "' differs)");
    if (stored.render.size != r.config.render.size || stored.render.light != r.config.render.light)
      throw std::runtime_error(where + ": made with another configuration (field 'render' differs)");
  }

  // The phase first (refinement has its own parameters), then every name and shape is checked
  // against this fit before anything changes.
  if (d.state.refining && !r.refined) begin_refinement();
  if (!d.state.refining && r.refined) {
    r.refined.reset();
    r.state.refining = false;
  }
  const auto tensors = session_tensors();
  if (tensors.size() != d.tensors.size())
    throw std::runtime_error(where + ": holds " + std::to_string(d.tensors.size()) + " parameters, this fit has " +
                             std::to_string(tensors.size()));
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].first != d.tensors[i].first)
      throw std::runtime_error(where + ": parameter " + std::to_string(i) + " is '" + d.tensors[i].first +
                               "', expected '" + tensors[i].first + "'");
    if (tensors[i].second->shape() != d.tensors[i].second.shape())
      throw std::runtime_error(where + ": parameter '" + tensors[i].first + "' has shape " +
                               d.tensors[i].second.shape().str() + ", expected " + tensors[i].second->shape().str());
  }
  const auto opts = optimizers_of(*r.camera, *r.network, r.refined.get(), r.multiview.get());
  if (opts.size() != d.optimizers.size())
    throw std::runtime_error(where + ": holds " + std::to_string(d.optimizers.size()) + " optimizer states, expected " +
                             std::to_string(opts.size()));
  for (size_t i = 0; i < opts.size(); ++i)
    if (d.optimizers[i].first != opts[i].first)
      throw std::runtime_error(where + ": optimizer state '" + d.optimizers[i].first + "', expected '" + opts[i].first + "'");
  try {
    r.schedule->restore(d.state.schedule);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }

  // Apply: the camera's plain fields (set by commands, in no tensor), the tensors, the optimizers.
  try {
    r.camera->set_plain_fields(d.fields);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  for (size_t i = 0; i < tensors.size(); ++i) const_cast<Tensor*>(tensors[i].second)->copy_from(d.tensors[i].second);
  for (size_t i = 0; i < opts.size(); ++i) {
    try {
      opts[i].second->load_state(d.optimizers[i].second);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": optimizer state '" + opts[i].first + "': " + e.what());
    }
  }
  r.config.iterations = stored.iterations;
  r.config.groups = stored.groups;
  r.config.weights = stored.weights;
  r.config.render = stored.render;
  r.pass->set_render_options(r.config.render);
  if (r.config.weights.symmetry > 0) r.pass->set_symmetry(r.net->template_mesh());
  r.state = d.state;
  r.guard.set_lr_factor(d.state.lr_factor);
  r.camera->sensor().set_frame(d.state.sensor_frame);
  apply_settings();
}

}  // namespace invgfx
