#pragma once
// The ISP pipeline: a chain of named stages built from JSON, run forward and backward as one node.
//
//   {
//     "cfa": "RGGB",                                   // Bayer layout of the input mosaic
//     "stages": [
//       {"stage": "black_white_level", "params": {"black": [64, 64, 64, 64], "white": 1023}},
//       {"stage": "white_balance", "params": {"gains": [2.0, 1.0, 1.6]}, "learnable": true},
//       {"stage": "demosaic", "params": {"method": "malvar"}},
//       {"stage": "color_matrix", "learnable": ["matrix"]},
//       {"stage": "tone_curve", "params": {"knots": 16}, "enabled": false},
//       {"stage": "srgb"}
//     ]
//   }
//
// "stage" is the stage's name (the same string in logs, timers and the GUI); the optional "params" are
// that stage's parameter struct fields (see each stage's header); "learnable" is true/false or a list
// of parameter names (unlisted parameters are frozen; omitted = the stage's default); "enabled"
// defaults to true. Bad JSON, unknown stages or fields, and wrong parameter sizes throw
// std::invalid_argument saying which stage and field.
//
// Typical use: a RAW mosaic 1×H×W (or N×1×H×W) in, sRGB 3×H×W out:
//   auto isp = IspPipeline::from_file("assets/isp/default.json");
//   isp.apply_raw_settings(settings_from_the_raw_file);
//   isp.forward(raw, srgb);  ...  isp.backward(raw, srgb, dL_dsrgb, &dL_draw);
#include "isp/isp_stage.h"

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace invgfx {

// What a RAW file says about how to develop it (LibRaw: idata.filters/COLOR, black + cblack, maximum,
// cam_mul, rgb_cam).
struct IspRawSettings {
  CfaPattern cfa = CfaPattern::RGGB;           // Bayer layout of the visible area
  std::array<double, 4> black{0, 0, 0, 0};     // DN per 2×2 tile site, row-major
  double white = 1.0;                          // DN of saturation
  std::array<double, 3> wb_gains{1, 1, 1};     // as-shot multipliers (R, G, B); normalised by green
  std::array<double, 9> camera_to_srgb{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major 3×3 (LibRaw rgb_cam)
};

// Names of every stage the pipeline knows, in their usual order.
const std::vector<std::string>& isp_stage_names();
// A stage by name with default (identity where it exists) parameters; throws for an unknown name.
template <class T>
std::unique_ptr<IspStageT<T>> make_isp_stage(const std::string& name);

template <class T>
class IspPipelineT : public UnaryNodeT<T> {
 public:
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;

  IspPipelineT() = default;
  IspPipelineT(IspPipelineT&&) noexcept = default;
  IspPipelineT& operator=(IspPipelineT&&) noexcept = default;

  static IspPipelineT from_json(const nlohmann::json& j);
  static IspPipelineT from_file(const std::string& path);
  // The configuration in the schema above (current values; reloading it gives the same pipeline).
  nlohmann::json to_json() const;
  // {"<stage>": {params}} for reports and scene.json.
  nlohmann::json parameters_json() const;

  std::string name() const override { return "isp"; }
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                TensorT<T>* dL_dx) override;
  void visit_parameters(const ParameterVisitor<T>& v) override;
  // Every stage's traversal in order (core/traverse.h; fields "<stage>.<field>", "<stage>.enabled").
  // The CFA is not a field: it comes from each RAW file's metadata.
  void traverse(const TraversalT<T>& t) {
    for (auto& s : stages_) s->traverse(t);
  }

  // Appends a stage (names must be unique).
  IspStageT<T>& add(std::unique_ptr<IspStageT<T>> stage);
  size_t size() const { return stages_.size(); }
  IspStageT<T>& at(size_t i) { return *stages_[i]; }
  const IspStageT<T>& at(size_t i) const { return *stages_[i]; }
  // The stage with this name, or nullptr.
  IspStageT<T>* stage(const std::string& name);
  // Typed access; throws if absent or of another type.
  template <class S>
  S& get(const std::string& name) {
    auto* s = dynamic_cast<S*>(stage(name));
    if (!s) throw std::invalid_argument("isp pipeline: no stage '" + name + "' of the requested type");
    return *s;
  }
  // The output of stage i from the last forward (empty for a disabled stage), e.g. for the GUI.
  const TensorT<T>& output_of(size_t i) const { return outputs_[i]; }

  CfaPattern cfa() const { return cfa_; }
  void set_cfa(CfaPattern p);
  // Sets CFA, black/white level, white balance gains and colour matrix from RAW metadata (stages that
  // are absent are skipped).
  void apply_raw_settings(const IspRawSettings& s);
  // Sets again the params the configuration `j` (this pipeline's JSON) states explicitly: after
  // apply_raw_settings, a user's configuration (e.g. a calibrated colour matrix) wins over the
  // metadata, and the metadata fills what it leaves out.
  void apply_explicit_params(const nlohmann::json& j);
  // Every stage to its identity setting.
  void set_identity();

 private:
  std::vector<std::unique_ptr<IspStageT<T>>> stages_;
  std::vector<TensorT<T>> outputs_, grads_;
  std::vector<size_t> active_;  // enabled stages of the last forward
  CfaPattern cfa_ = CfaPattern::RGGB;
};

using IspPipeline = IspPipelineT<float>;
using IspPipelineD = IspPipelineT<double>;

}  // namespace invgfx
