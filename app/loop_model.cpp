// The Loop's side of model files (model_file.h): what a model holds of a loop — the network's and the
// camera's parameters (never refinement's per-photo scenes), the camera's fields, the template and
// the configuration — and how a loop takes a model's parameters, checked before anything changes.
#include "app/loop.h"

#include "app/loop_rooms.h"

#include <stdexcept>

namespace invgfx {

// The parameters a model holds: the network's (encoder, heads, feature network), then the camera's.
std::vector<Parameter*> Loop::model_parameters() {
  std::vector<Parameter*> ps;
  r_->net->visit_parameters([&](Parameter& p) { ps.push_back(&p); });
  Traversal t;
  t.parameter = [&](Parameter& p) { ps.push_back(&p); };
  r_->camera->traverse(t);
  return ps;
}

ModelContents Loop::model(const nlohmann::json& info) {
  ModelContents m;
  m.config = r_->config.to_json();
  m.config.erase("checkpoint_path");  // where one run saved its sessions says nothing about the model
  m.info = info;
  m.template_mesh = r_->net->template_mesh();
  Traversal t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) { m.fields.emplace_back(spec.name, v); };
  r_->camera->traverse(t);
  for (Parameter* p : model_parameters()) m.tensors.emplace_back(p->name, p->value);
  return m;
}

void Loop::set_model(const ModelContents& m, const std::string& what) {
  Rooms& r = *r_;
  const std::vector<Parameter*> ps = model_parameters();
  if (ps.size() != m.tensors.size())
    throw std::runtime_error(what + ": holds " + std::to_string(m.tensors.size()) + " parameters, this network has " +
                             std::to_string(ps.size()) + " (a model of another configuration)");
  for (size_t i = 0; i < ps.size(); ++i) {
    if (ps[i]->name != m.tensors[i].first)
      throw std::runtime_error(what + ": parameter " + std::to_string(i) + " is '" + m.tensors[i].first +
                               "', expected '" + ps[i]->name + "'");
    if (ps[i]->value.shape() != m.tensors[i].second.shape())
      throw std::runtime_error(what + ": parameter '" + ps[i]->name + "' has shape " +
                               m.tensors[i].second.shape().str() + ", expected " + ps[i]->value.shape().str());
  }
  // The camera's plain fields (set by commands, in no tensor) first: the traversal validates them.
  try {
    r.camera->set_plain_fields(m.fields);
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
  for (size_t i = 0; i < ps.size(); ++i) ps[i]->value.copy_from(m.tensors[i].second);
  if (r.refined) {
    r.refined.reset();
    r.state.refining = false;
  }
}

}  // namespace invgfx
