// Implementation of app/camera_isp.h.
#include "app/camera_isp.h"

#include "app/loop_config.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace invgfx {

struct CameraIsp::PhotoSide {
  CfaPattern cfa = CfaPattern::RGGB;
  IspPipeline isp;
  std::vector<Parameter*> parameters;  // traversal order, as the render side's
  uint64_t fields_version = 0;
  std::vector<int> rows;               // the photos of the current batch developed here
  Tensor in, out, d_out, d_in;
};

namespace {

nlohmann::json config_or_default(const nlohmann::json& config_isp) {
  if (!config_isp.is_null()) return config_isp;
  const auto path = assets_dir() / "isp" / "default.json";
  std::ifstream f(path);
  if (!f) throw std::invalid_argument("camera: cannot open the default ISP '" + path.string() + "'");
  return nlohmann::json::parse(f);
}

// The pipeline's parameters as its traversal lists them (the optimizer's and the photo side's view).
std::vector<Parameter*> parameters_of(IspPipeline& isp) {
  std::vector<Parameter*> out;
  Traversal t;
  t.parameter = [&](Parameter& p) { out.push_back(&p); };
  isp.traverse(t);
  return out;
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
  if (raw) isp_.apply_raw_settings(*raw);   // start from the camera's own metadata (and keep near it)
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

void CameraIsp::mosaic_backward(const Tensor& rgb, const Tensor& raw, const Tensor& dL_draw, Tensor& dL_drgb) {
  dL_drgb.resize(rgb.shape());
  dL_drgb.zero();
  sensor_.backward(rgb, raw, dL_draw, &dL_drgb);
}

void CameraIsp::develop_backward(const Tensor& raw, const Tensor& srgb, const Tensor& dL_dsrgb, Tensor& dL_draw) {
  dL_draw.resize(raw.shape());
  dL_draw.zero();
  isp_.backward(raw, srgb, dL_dsrgb, &dL_draw);
}

CameraIsp::PhotoSide& CameraIsp::photo_side(CfaPattern cfa) {
  for (auto& s : photo_sides_)
    if (s->cfa == cfa) return *s;
  auto side = std::make_unique<PhotoSide>();
  side->cfa = cfa;
  side->isp = IspPipeline::from_json(isp_.to_json());
  side->isp.set_cfa(cfa);
  side->fields_version = ~uint64_t{0};
  photo_sides_.push_back(std::move(side));
  return *photo_sides_.back();
}

// The photo side follows the render side: plain fields when they changed (through the traversal, in
// the same order on both), then every parameter's values and learnable flag.
void CameraIsp::sync(PhotoSide& side) {
  if (side.fields_version != fields_version_) {
    std::vector<std::vector<double>> values;
    Traversal get;
    get.field = [&](const FieldSpec& spec, std::vector<double>& v) {
      if (!spec.has(field_flags::kDifferentiable)) values.push_back(v);
    };
    isp_.traverse(get);
    size_t k = 0;
    Traversal set;
    set.field = [&](const FieldSpec& spec, std::vector<double>& v) {
      if (!spec.has(field_flags::kDifferentiable) && k < values.size()) v = values[k++];
    };
    side.isp.traverse(set);
    side.isp.set_cfa(side.cfa);
    side.parameters = parameters_of(side.isp);
    if (side.parameters.size() != isp_parameters_.size())
      throw std::logic_error("camera: the photo side's ISP lists other parameters than the render side's");
    side.fields_version = fields_version_;
  }
  for (size_t i = 0; i < isp_parameters_.size(); ++i) {
    Parameter& from = *isp_parameters_[i];
    Parameter& to = *side.parameters[i];
    std::memcpy(to.value.data(), from.value.data(), sizeof(float) * static_cast<size_t>(from.value.numel()));
    to.requires_grad = from.requires_grad;
  }
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
  raw_side_.resize(static_cast<size_t>(R));
  for (auto& s : photo_sides_) s->rows.clear();
  for (int64_t r = 0; r < R; ++r) {
    PhotoSide& side = photo_side(cfa[static_cast<size_t>(r)]);
    side.rows.push_back(static_cast<int>(r));
  }
  for (auto& s : photo_sides_) {
    if (s->rows.empty()) continue;
    sync(*s);
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
    // The photo side's parameter gradients belong to the same ISP.
    for (size_t i = 0; i < isp_parameters_.size(); ++i) {
      Parameter& to = *isp_parameters_[i];
      const Parameter& from = *s->parameters[i];
      if (!to.requires_grad || from.grad.numel() != to.value.numel()) continue;
      if (to.grad.numel() != to.value.numel()) to.zero_grad();
      for (int64_t k = 0; k < from.grad.numel(); ++k) to.grad[k] += from.grad[k];
    }
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

}  // namespace invgfx
