// Implementation of isp/pipeline.h.
#include "isp/pipeline.h"

#include "isp/black_white_level.h"
#include "isp/color_matrix.h"
#include "isp/demosaic.h"
#include "isp/denoise.h"
#include "isp/lens_shading.h"
#include "isp/saturation.h"
#include "isp/sensor.h"
#include "isp/sharpen.h"
#include "isp/srgb.h"
#include "isp/tone_curve.h"
#include "isp/white_balance.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <fstream>
#include <sstream>

namespace invgfx {

const std::vector<std::string>& isp_stage_names() {
  static const std::vector<std::string> names = {"sensor",       "black_white_level", "lens_shading",
                                                 "white_balance", "demosaic",         "denoise",
                                                 "color_matrix",
                                                 "tone_curve",    "saturation",       "sharpen",
                                                 "srgb"};
  return names;
}

template <class T>
std::unique_ptr<IspStageT<T>> make_isp_stage(const std::string& name) {
  if (name == "sensor") return std::make_unique<SensorT<T>>();
  if (name == "black_white_level") return std::make_unique<BlackWhiteLevelT<T>>();
  if (name == "lens_shading") return std::make_unique<LensShadingT<T>>();
  if (name == "denoise") return std::make_unique<DenoiseT<T>>();
  if (name == "saturation") return std::make_unique<SaturationT<T>>();
  if (name == "sharpen") return std::make_unique<SharpenT<T>>();
  if (name == "white_balance") return std::make_unique<WhiteBalanceT<T>>();
  if (name == "demosaic") return std::make_unique<DemosaicT<T>>();
  if (name == "color_matrix") return std::make_unique<ColorMatrixT<T>>();
  if (name == "tone_curve") return std::make_unique<ToneCurveT<T>>();
  if (name == "srgb") return std::make_unique<SrgbT<T>>();
  std::string list;
  for (const auto& n : isp_stage_names()) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("isp pipeline: unknown stage '" + name + "' (known: " + list + ")");
}

template <class T>
IspPipelineT<T> IspPipelineT<T>::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("isp pipeline: the configuration must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "cfa" && it.key() != "stages")
      throw std::invalid_argument("isp pipeline: unknown key '" + it.key() + "' (known: cfa, stages)");
  IspPipelineT p;
  if (j.contains("cfa")) {
    if (!j["cfa"].is_string()) throw std::invalid_argument("isp pipeline: 'cfa' must be a string like \"RGGB\"");
    p.cfa_ = cfa_pattern_from_string(j["cfa"].get<std::string>());
  }
  if (!j.contains("stages") || !j["stages"].is_array())
    throw std::invalid_argument("isp pipeline: 'stages' must be an array of {\"stage\": name, ...}");
  size_t index = 0;
  for (const auto& s : j["stages"]) {
    const std::string where = "isp pipeline: stages[" + std::to_string(index++) + "]";
    if (!s.is_object() || !s.contains("stage") || !s["stage"].is_string())
      throw std::invalid_argument(where + " must be an object with a string \"stage\"");
    for (auto it = s.begin(); it != s.end(); ++it)
      if (it.key() != "stage" && it.key() != "params" && it.key() != "learnable" && it.key() != "enabled")
        throw std::invalid_argument(where + " ('" + s["stage"].get<std::string>() + "'): unknown key '" + it.key() +
                                    "' (known: stage, params, learnable, enabled)");
    auto stage = make_isp_stage<T>(s["stage"].get<std::string>());
    stage->set_cfa(p.cfa_);
    if (s.contains("params")) stage->params_from_json(s["params"]);
    if (s.contains("enabled")) {
      if (!s["enabled"].is_boolean()) throw std::invalid_argument(where + ": 'enabled' must be true or false");
      stage->set_enabled(s["enabled"].get<bool>());
    }
    if (s.contains("learnable")) {
      const auto& l = s["learnable"];
      if (l.is_boolean()) {
        stage->set_learnable(l.get<bool>());
      } else if (l.is_array()) {
        stage->set_learnable(false);
        for (const auto& name : l) {
          if (!name.is_string()) throw std::invalid_argument(where + ": 'learnable' must list parameter names");
          stage->set_learnable(name.get<std::string>(), true);
        }
      } else {
        throw std::invalid_argument(where + ": 'learnable' must be true, false or a list of parameter names");
      }
    }
    p.add(std::move(stage));
  }
  return p;
}

template <class T>
IspPipelineT<T> IspPipelineT<T>::from_file(const std::string& path) {
  std::string text;
  try {
    text = read_input_file(path, "isp pipeline", limits::kMaxTextFileBytes);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument("isp pipeline: '" + path + "' is not valid JSON: " + e.what());
  }
  try {
    return from_json(j);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(e.what()) + " (in '" + path + "')");
  }
}

template <class T>
nlohmann::json IspPipelineT<T>::to_json() const {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& s : stages_) {
    nlohmann::json learn = nlohmann::json::array();
    s->visit_parameters([&](ParameterT<T>& p) {
      if (p.requires_grad) learn.push_back(p.name.substr(p.name.find('.') + 1));
    });
    stages.push_back({{"stage", s->name()}, {"enabled", s->enabled()}, {"params", s->params_to_json()},
                      {"learnable", learn}});
  }
  return {{"cfa", to_string(cfa_)}, {"stages", stages}};
}

template <class T>
nlohmann::json IspPipelineT<T>::parameters_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : stages_) j[s->name()] = s->params_to_json();
  return j;
}

template <class T>
IspStageT<T>& IspPipelineT<T>::add(std::unique_ptr<IspStageT<T>> stage) {
  if (this->stage(stage->name()))
    throw std::invalid_argument("isp pipeline: stage '" + stage->name() + "' appears twice");
  stage->set_cfa(cfa_);
  stages_.push_back(std::move(stage));
  outputs_.resize(stages_.size());
  grads_.resize(stages_.size());
  return *stages_.back();
}

template <class T>
IspStageT<T>* IspPipelineT<T>::stage(const std::string& name) {
  for (auto& s : stages_)
    if (s->name() == name) return s.get();
  return nullptr;
}

template <class T>
void IspPipelineT<T>::set_cfa(CfaPattern p) {
  cfa_ = p;
  for (auto& s : stages_) s->set_cfa(p);
}

template <class T>
void IspPipelineT<T>::set_identity() {
  for (auto& s : stages_) s->set_identity();
}

template <class T>
void IspPipelineT<T>::apply_raw_settings(const IspRawSettings& r) {
  set_cfa(r.cfa);
  if (auto* s = dynamic_cast<BlackWhiteLevelT<T>*>(stage("black_white_level"))) s->set_params({r.black, r.white});
  if (auto* s = dynamic_cast<WhiteBalanceT<T>*>(stage("white_balance"))) s->set_gains(r.wb_gains);
  if (auto* s = dynamic_cast<ColorMatrixT<T>*>(stage("color_matrix"))) {
    auto p = s->params();
    p.matrix = r.camera_to_srgb;
    s->set_params(p);
  }
}

template <class T>
void IspPipelineT<T>::apply_explicit_params(const nlohmann::json& j) {
  for (const auto& s : j.at("stages"))
    if (s.contains("params")) stage(s.at("stage").get<std::string>())->params_from_json(s.at("params"));
}

template <class T>
void IspPipelineT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  active_.clear();
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i]->enabled()) active_.push_back(i);
    else outputs_[i].resize(Shape{0});
  }
  if (active_.empty()) { y.copy_from(x); return; }
  const TensorT<T>* cur = &x;
  for (size_t k = 0; k < active_.size(); ++k) {
    const size_t i = active_[k];
    stages_[i]->forward(*cur, outputs_[i]);
    cur = &outputs_[i];
  }
  y.copy_from(*cur);
}

template <class T>
void IspPipelineT<T>::backward(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                               TensorT<T>* dL_dx) {
  if (active_.empty()) {
    if (dL_dx)
      for (int64_t i = 0; i < dL_dy.numel(); ++i) (*dL_dx)[i] += dL_dy[i];
    return;
  }
  // grads_[i] holds ∂L/∂(output of stage i).
  const TensorT<T>* g = &dL_dy;
  for (size_t k = active_.size(); k-- > 0;) {
    const size_t i = active_[k];
    const TensorT<T>& in = k == 0 ? x : outputs_[active_[k - 1]];
    TensorT<T>* din = nullptr;
    if (k > 0) {
      din = &grads_[active_[k - 1]];
      din->resize(in.shape());
      din->zero();
    } else {
      din = dL_dx;
    }
    stages_[i]->backward(in, outputs_[i], *g, din);
    g = din;
  }
}

template <class T>
void IspPipelineT<T>::visit_parameters(const ParameterVisitor<T>& v) {
  for (auto& s : stages_) s->visit_parameters(v);
}

template class IspPipelineT<float>;
template class IspPipelineT<double>;
template std::unique_ptr<IspStageT<float>> make_isp_stage<float>(const std::string&);
template std::unique_ptr<IspStageT<double>> make_isp_stage<double>(const std::string&);

}  // namespace invgfx
