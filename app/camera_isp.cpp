// Implementation of app/camera_isp.h.
#include "app/camera_isp.h"

#include "app/loop_config.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace invgfx {

// A copy of the camera's ISP (and, on the render side, of its sensor) that follows it.
struct CameraIsp::Copy {
  CfaPattern cfa = CfaPattern::RGGB;
  IspPipeline isp;
  Sensor sensor;
  std::vector<Parameter*> parameters, sensor_parameters;  // traversal order, as the camera's
  uint64_t fields_version = ~uint64_t{0};                 // of the last fields taken from the camera
  std::vector<int> rows;                                  // photo side: the photos of the batch here
  Tensor in, out, d_out, d_in;                            // the ISP's input and output, and gradients
  Tensor raw, d_raw;                                      // render side: the sensor's output
};

namespace {

nlohmann::json config_or_default(const nlohmann::json& config_isp) {
  if (!config_isp.is_null()) return config_isp;
  const auto path = assets_dir() / "isp" / "default.json";
  return nlohmann::json::parse(read_input_file(path, "default ISP pipeline", limits::kMaxTextFileBytes));
}

// An object's parameters as its traversal lists them (the optimizer's and the copies' view).
template <class Traversable>
std::vector<Parameter*> parameters_of(Traversable& object) {
  std::vector<Parameter*> out;
  Traversal t;
  t.parameter = [&](Parameter& p) { out.push_back(&p); };
  object.traverse(t);
  return out;
}

// `to` takes the plain (not differentiable) fields of `from`, which lists the same fields in the
// same order; the differentiable ones come with the parameters.
template <class Traversable>
void copy_plain_fields(Traversable& from, Traversable& to) {
  std::vector<std::vector<double>> values;
  Traversal get;
  get.field = [&](const FieldSpec& spec, std::vector<double>& v) {
    if (!spec.has(field_flags::kDifferentiable)) values.push_back(v);
  };
  from.traverse(get);
  size_t k = 0;
  Traversal set;
  set.field = [&](const FieldSpec& spec, std::vector<double>& v) {
    if (!spec.has(field_flags::kDifferentiable) && k < values.size()) v = values[k++];
  };
  to.traverse(set);
}

void copy_values(const std::vector<Parameter*>& from, const std::vector<Parameter*>& to) {
  for (size_t i = 0; i < from.size(); ++i) {
    std::memcpy(to[i]->value.data(), from[i]->value.data(), sizeof(float) * static_cast<size_t>(from[i]->value.numel()));
    to[i]->requires_grad = from[i]->requires_grad;
  }
}

}  // namespace

CameraIsp::CameraIsp(const nlohmann::json& config_isp, const IspRawSettings* raw, const RawDenoiserOptions* denoiser) {
  const nlohmann::json j = config_or_default(config_isp);
  if (!j.is_object() || !j.contains("stages") || !j["stages"].is_array())
    throw std::invalid_argument("config: field 'isp' must be an IspPipeline JSON object with 'stages'");
  // The sensor stage (first, if present) is split from the rest, so that the rest can also develop
  // real RAW photos.
  nlohmann::json pipeline = j;
  pipeline["stages"] = nlohmann::json::array();
  for (size_t i = 0; i < j["stages"].size(); ++i) {
    const auto& s = j["stages"][i];
    if (s.is_object() && s.value("stage", "") == "sensor") {
      if (i != 0) throw std::invalid_argument("config: field 'isp': the sensor stage must come first");
      if (s.contains("params")) sensor_.params_from_json(s["params"]);
      if (s.contains("enabled")) sensor_.set_enabled(s["enabled"].get<bool>());
      continue;
    }
    pipeline["stages"].push_back(s);
  }
  isp_ = IspPipeline::from_json(pipeline);  // validates, throws naming the stage and field
  // RAW photos start from the camera's own metadata (and keep near it); a configuration the user
  // gave (not the default ISP) wins where it states params, as `develop --isp` does, so a
  // calibrated colour matrix or tone curve is kept.
  if (raw) {
    isp_.apply_raw_settings(*raw);
    if (!config_isp.is_null()) isp_.apply_explicit_params(pipeline);
  }
  sensor_.set_cfa(isp_.cfa());
  // The sensor is the simulation's camera model, not fitted: no gradients for its parameters.
  sensor_.visit_parameters([](Parameter& p) { p.requires_grad = false; });
  if (denoiser) denoiser_ = std::make_unique<RawDenoiser>(*denoiser);

  isp_parameters_ = parameters_of(isp_);
  for (Parameter* p : isp_parameters_)
    if (p->requires_grad) {
      anchored_.push_back(p);
      anchor_.push_back(p->value);
    }
  learnable_ = anchored_;
  if (denoiser_)
    for (Parameter* p : collect_parameters<float>(*denoiser_)) learnable_.push_back(p);
}

CameraIsp::~CameraIsp() = default;

// The copy follows the camera: plain fields when one changed since it last looked, then every
// parameter's value and learnable flag.
void CameraIsp::follow(Copy& c, bool with_sensor) {
  if (c.fields_version != fields_version_) {
    copy_plain_fields(isp_, c.isp);
    c.isp.set_cfa(c.cfa);
    c.parameters = parameters_of(c.isp);
    if (c.parameters.size() != isp_parameters_.size())
      throw std::logic_error("camera: a copy of the ISP lists other parameters than the camera's");
    if (with_sensor) {
      copy_plain_fields(sensor_, c.sensor);
      c.sensor.set_cfa(sensor_.cfa());
      c.sensor_parameters = parameters_of(c.sensor);
    }
    c.fields_version = fields_version_;
  }
  copy_values(isp_parameters_, c.parameters);
  if (with_sensor) {
    Traversal t;
    size_t i = 0;
    t.parameter = [&](Parameter& p) {
      std::memcpy(c.sensor_parameters[i]->value.data(), p.value.data(), sizeof(float) * static_cast<size_t>(p.value.numel()));
      c.sensor_parameters[i++]->requires_grad = p.requires_grad;
    };
    sensor_.traverse(t);
    c.sensor.set_frame(sensor_.frame());
  }
}

// The copy's parameter gradients belong to the camera's ISP.
void CameraIsp::add_gradients(const Copy& c) {
  for (size_t i = 0; i < isp_parameters_.size(); ++i) {
    Parameter& to = *isp_parameters_[i];
    const Parameter& from = *c.parameters[i];
    if (!to.requires_grad || from.grad.numel() != to.value.numel()) continue;
    if (to.grad.numel() != to.value.numel()) to.zero_grad();
    for (int64_t k = 0; k < from.grad.numel(); ++k) to.grad[k] += from.grad[k];
  }
}

void CameraIsp::begin_batch(int slots) {
  while (static_cast<int>(slots_.size()) < slots) {
    auto c = std::make_unique<Copy>();
    c->cfa = isp_.cfa();
    c->isp = IspPipeline::from_json(isp_.to_json());
    c->sensor.set_first_item(static_cast<int64_t>(slots_.size()));  // noise as the batch's item
    slots_.push_back(std::move(c));
  }
  for (int b = 0; b < slots; ++b) follow(*slots_[static_cast<size_t>(b)], true);
}

void CameraIsp::mosaic(int slot, const Tensor& rgb) {
  Copy& c = *slots_[static_cast<size_t>(slot)];
  c.sensor.forward(rgb, c.raw);
}

void CameraIsp::develop(int slot, Tensor& srgb) {
  Copy& c = *slots_[static_cast<size_t>(slot)];
  c.isp.forward(c.raw, srgb);
}

void CameraIsp::develop_backward(int slot, const Tensor& srgb, const Tensor& dL_dsrgb) {
  Copy& c = *slots_[static_cast<size_t>(slot)];
  for (Parameter* p : c.parameters) p->zero_grad();
  c.d_raw.resize(c.raw.shape());
  c.d_raw.zero();
  c.isp.backward(c.raw, srgb, dL_dsrgb, &c.d_raw);
}

void CameraIsp::mosaic_backward(int slot, const Tensor& rgb, Tensor& dL_drgb) {
  Copy& c = *slots_[static_cast<size_t>(slot)];
  dL_drgb.resize(rgb.shape());
  dL_drgb.zero();
  c.sensor.backward(rgb, c.raw, c.d_raw, &dL_drgb);
}

void CameraIsp::end_backward(int slots) {
  for (int b = 0; b < slots; ++b) add_gradients(*slots_[static_cast<size_t>(b)]);
}

CameraIsp::Copy& CameraIsp::photo_copy(CfaPattern cfa) {
  for (auto& s : photo_sides_)
    if (s->cfa == cfa) return *s;
  auto c = std::make_unique<Copy>();
  c->cfa = cfa;
  c->isp = IspPipeline::from_json(isp_.to_json());
  photo_sides_.push_back(std::move(c));
  return *photo_sides_.back();
}

void CameraIsp::develop_photos(const Tensor& raw, std::span<const CfaPattern> cfa, Tensor& srgb) {
  const int64_t R = raw.dim(0), S = raw.dim(2), plane = S * S;
  raw_in_ = &raw;
  const Tensor* in = &raw;
  if (denoiser_) {
    denoiser_->forward(raw, raw_out_);
    in = &raw_out_;
  }
  srgb.resize({R, 3, S, S});
  for (auto& s : photo_sides_) s->rows.clear();
  for (int64_t r = 0; r < R; ++r) photo_copy(cfa[static_cast<size_t>(r)]).rows.push_back(static_cast<int>(r));
  for (auto& s : photo_sides_) {
    if (s->rows.empty()) continue;
    follow(*s, false);
    const int64_t n = static_cast<int64_t>(s->rows.size());
    s->in.resize({n, 1, S, S});
    for (int64_t k = 0; k < n; ++k)
      std::memcpy(s->in.data() + k * plane, in->data() + s->rows[static_cast<size_t>(k)] * plane,
                  sizeof(float) * static_cast<size_t>(plane));
    s->isp.forward(s->in, s->out);
    for (int64_t k = 0; k < n; ++k)
      std::memcpy(srgb.data() + s->rows[static_cast<size_t>(k)] * 3 * plane, s->out.data() + k * 3 * plane,
                  sizeof(float) * static_cast<size_t>(3 * plane));
  }
}

void CameraIsp::develop_photos_backward(const Tensor& dL_dsrgb) {
  const int64_t R = dL_dsrgb.dim(0), S = dL_dsrgb.dim(2), plane = S * S;
  d_raw_out_.resize({R, 1, S, S});
  for (auto& s : photo_sides_) {
    if (s->rows.empty()) continue;
    const int64_t n = static_cast<int64_t>(s->rows.size());
    s->d_out.resize(s->out.shape());
    for (int64_t k = 0; k < n; ++k)
      std::memcpy(s->d_out.data() + k * 3 * plane, dL_dsrgb.data() + s->rows[static_cast<size_t>(k)] * 3 * plane,
                  sizeof(float) * static_cast<size_t>(3 * plane));
    for (Parameter* p : s->parameters) p->zero_grad();
    s->d_in.resize(s->in.shape());
    s->d_in.zero();
    s->isp.backward(s->in, s->out, s->d_out, &s->d_in);
    for (int64_t k = 0; k < n; ++k)
      std::memcpy(d_raw_out_.data() + s->rows[static_cast<size_t>(k)] * plane, s->d_in.data() + k * plane,
                  sizeof(float) * static_cast<size_t>(plane));
    add_gradients(*s);
  }
  if (denoiser_) denoiser_->backward(*raw_in_, raw_out_, d_raw_out_, nullptr);
}

double CameraIsp::prior(double weight, bool grad) {
  if (weight <= 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < anchored_.size(); ++i) {
    Parameter& p = *anchored_[i];
    for (int64_t k = 0; k < p.value.numel(); ++k) {
      const double d = static_cast<double>(p.value[k]) - anchor_[i][k];
      sum += d * d;
      if (grad) p.grad[k] += static_cast<float>(2 * weight * d);
    }
  }
  return weight * sum;
}

void CameraIsp::traverse(const Traversal& t) {
  sensor_.traverse(t);
  isp_.traverse(t);
  if (denoiser_ && t.parameter) denoiser_->visit_parameters(t.parameter);
}

nlohmann::json CameraIsp::to_json() const {
  nlohmann::json j = isp_.to_json();
  nlohmann::json stages = nlohmann::json::array();
  stages.push_back({{"stage", "sensor"}, {"enabled", sensor_.enabled()}, {"params", sensor_.params_to_json()}});
  for (const auto& s : j["stages"]) stages.push_back(s);
  j["stages"] = stages;
  return j;
}

void CameraIsp::set_plain_fields(const std::vector<std::pair<std::string, std::vector<double>>>& fields) {
  Traversal t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) {
    if (spec.has(field_flags::kDifferentiable) || !spec.editable()) return;
    for (const auto& [name, values] : fields)
      if (name == spec.name) v = values;
  };
  traverse(t);
  fields_changed();
}

}  // namespace invgfx
