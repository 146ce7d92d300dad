#pragma once
// The ISP stage interface: a one-in/one-out node with a name (the string used in JSON, logs and the GUI),
// its parameter struct to/from JSON, an exact identity setting and an enable flag.
//
// Traversal (core/traverse.h): a stage lists its parameters and, through field_specs, every field of
// its parameter struct with kind, range, unit and flags, plus "<stage>.enabled". Field values travel
// through params_to_json / params_from_json, the stage's one validated way in and out, so a field
// set through the traversal is checked and takes effect exactly as one read from a configuration.
//
// A disabled stage is an exact pass-through (forward copies, backward adds dL/dy into dL/dx), so the
// pipeline, the GUI toggles and tests can switch any stage off without rebuilding anything.
//
// Images are planar C×H×W or N×C×H×W (see as4d); a Bayer mosaic has C = 1. Stages that work on a
// mosaic read the colour of a pixel from the CFA pattern set with set_cfa; given a 3-channel image the
// same stages apply per channel instead, which is what unprocessing and RGB-only inputs need.
#include "core/node.h"
#include "core/tensor.h"
#include "core/traverse.h"
#include "isp/cfa.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace invgfx {

template <class T>
class IspStageT : public UnaryNodeT<T> {
 public:
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;

  // Current parameter values (the stage's parameter struct) as JSON, and back. params_from_json
  // accepts a subset of the fields; unknown fields, wrong types or sizes throw std::invalid_argument
  // naming the stage and the field.
  virtual nlohmann::json params_to_json() const = 0;
  virtual void params_from_json(const nlohmann::json& j) = 0;
  // Sets the parameters so that forward(x) == x exactly. Stages with no such setting (demosaic, sRGB)
  // disable themselves instead; a mosaic → RGB stage keeps its shape change (see demosaic.h).
  virtual void set_identity() = 0;
  // The CFA layout of a mosaic input; stages that do not look at the mosaic ignore it.
  virtual void set_cfa(CfaPattern p) { cfa_ = p; }
  CfaPattern cfa() const { return cfa_; }

  // Unprocessing (Brooks et al. 2019): stages with an inverse map an output back to an input.
  virtual bool has_inverse() const { return false; }
  virtual void inverse(const TensorT<T>& /*y*/, TensorT<T>& /*x*/) const {
    throw std::logic_error("isp stage '" + this->name() + "' has no inverse");
  }

  bool enabled() const { return enabled_; }
  void set_enabled(bool e) { enabled_ = e; }

  // Every field of the parameter struct, named by its params_to_json key (traverse prefixes the
  // stage's name). A field params_to_json does not write at the moment is skipped.
  virtual std::vector<FieldSpec> field_specs() const { return {}; }
  // Parameters, then "<stage>.enabled" and "<stage>.<key>" for each field spec.
  void traverse(const TraversalT<T>& t);

  // Marks every parameter of the stage learnable or frozen (ParameterT::requires_grad), or one by name
  // (parameters are named "<stage>.<field>", e.g. "white_balance.log_gains"; the short field name works too).
  void set_learnable(bool on) {
    this->visit_parameters([&](ParameterT<T>& p) { p.requires_grad = on; });
  }
  void set_learnable(const std::string& param, bool on) {
    bool found = false;
    this->visit_parameters([&](ParameterT<T>& p) {
      if (p.name == param || p.name == this->name() + "." + param) { p.requires_grad = on; found = true; }
    });
    if (!found)
      throw std::invalid_argument("isp stage '" + this->name() + "': no parameter named '" + param + "'");
  }

  void forward(const TensorT<T>& x, TensorT<T>& y) final {
    if (!enabled_) { y.copy_from(x); return; }
    forward_enabled(x, y);
  }
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                TensorT<T>* dL_dx) final {
    if (!enabled_) {
      if (dL_dx)
        for (int64_t i = 0; i < dL_dy.numel(); ++i) (*dL_dx)[i] += dL_dy[i];
      return;
    }
    backward_enabled(x, y, dL_dy, dL_dx);
  }

 protected:
  virtual void forward_enabled(const TensorT<T>& x, TensorT<T>& y) = 0;
  virtual void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                                TensorT<T>* dL_dx) = 0;

  CfaPattern cfa_ = CfaPattern::RGGB;
  bool enabled_ = true;
};

using IspStage = IspStageT<float>;
using IspStageD = IspStageT<double>;

namespace isp_detail {

// Loops over fewer elements than this run on one thread: a parallel region costs a few µs when the
// machine is idle and up to milliseconds when it is oversubscribed, more than the work it would split.
inline constexpr int64_t kOmpMinWork = 1 << 14;

// Parameter gradients summed over an image in a fixed order: [0, count) is cut into at most
// kReduceBlocks blocks that do not depend on the thread count; body(i0, i1, acc) adds block [i0, i1)'s
// contributions into acc[0..n) (zeroed), and the blocks' sums are added into out[0..n) in block order.
// So the sums are the same bit for bit at any thread count and from run to run, which an OpenMP
// reduction or a critical section does not promise. The partial sums live in a per-thread buffer that
// keeps its capacity, so steady-state calls do not allocate.
inline constexpr int64_t kReduceBlocks = 64;
template <class F>
void reduce_blocks(int64_t count, int n, bool parallel, double* out, const F& body) {
  thread_local std::vector<double> partials;
  const int64_t nb = std::min(count, kReduceBlocks);
  if (nb <= 0) return;
  partials.assign(static_cast<size_t>(nb * n), 0.0);
  double* acc = partials.data();
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t b = 0; b < nb; ++b) body(count * b / nb, count * (b + 1) / nb, acc + b * n);
  for (int64_t b = 0; b < nb; ++b)
    for (int k = 0; k < n; ++k) out[k] += acc[b * n + k];
}

// Checks that x is C×H×W or N×C×H×W with C in the allowed set; returns its N×C×H×W reading.
inline Dims4 image_dims(const Shape& s, const std::string& stage, bool allow_mosaic, bool allow_rgb) {
  if (s.rank() < 3 || s.rank() > 4)
    throw std::invalid_argument("isp stage '" + stage + "': input must be C×H×W or N×C×H×W, got " + s.str());
  Dims4 d = as4d(s);
  const bool ok = (allow_mosaic && d.c == 1) || (allow_rgb && d.c == 3);
  if (!ok)
    throw std::invalid_argument("isp stage '" + stage + "': input has " + std::to_string(d.c) +
                                " channels, expected " +
                                (allow_mosaic && allow_rgb ? "1 (Bayer mosaic) or 3 (RGB)"
                                 : allow_mosaic            ? "1 (Bayer mosaic)"
                                                           : "3 (RGB)") + "; shape " + s.str());
  if (d.h < 1 || d.w < 1) throw std::invalid_argument("isp stage '" + stage + "': empty image " + s.str());
  return d;
}
// The same for a stage whose name is longer than a short string: its name is built only for an
// error, so a steady-state forward does not allocate.
template <class Stage>
Dims4 image_dims_of(const Shape& s, const Stage& stage, bool allow_mosaic, bool allow_rgb) {
  const Dims4 d = as4d(s);
  const bool ok = s.rank() >= 3 && s.rank() <= 4 && ((allow_mosaic && d.c == 1) || (allow_rgb && d.c == 3)) &&
                  d.h >= 1 && d.w >= 1;
  return ok ? d : image_dims(s, stage.name(), allow_mosaic, allow_rgb);
}

// Throws unless every key of j is one of `allowed` (catches typos in preset files).
inline void check_keys(const nlohmann::json& j, const std::string& stage, std::initializer_list<const char*> allowed) {
  if (!j.is_object())
    throw std::invalid_argument("isp stage '" + stage + "': params must be a JSON object, got " + j.dump());
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw std::invalid_argument("isp stage '" + stage + "': unknown parameter '" + it.key() +
                                  "' (known: " + list + ")");
    }
  }
}

inline double read_number(const nlohmann::json& j, const std::string& stage, const char* key, double lo, double hi) {
  const auto& v = j.at(key);
  if (!v.is_number())
    throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key + "' must be a number, got " + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi)
    throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key + "' = " + v.dump() +
                                " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

inline bool read_bool(const nlohmann::json& j, const std::string& stage, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_boolean())
    throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key + "' must be true/false, got " + v.dump());
  return v.get<bool>();
}

inline std::string read_string(const nlohmann::json& j, const std::string& stage, const char* key) {
  const auto& v = j.at(key);
  if (!v.is_string())
    throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key + "' must be a string, got " + v.dump());
  return v.get<std::string>();
}

// A flat array of numbers (nested arrays are flattened row-major); n_expected = 0 accepts any length ≥ 1.
inline std::vector<double> read_numbers(const nlohmann::json& j, const std::string& stage, const char* key,
                                        size_t n_expected) {
  std::vector<double> out;
  auto flatten = [&](const nlohmann::json& v, auto&& self) -> void {
    if (v.is_array()) {
      for (const auto& e : v) self(e, self);
    } else if (v.is_number() && std::isfinite(v.get<double>())) {
      out.push_back(v.get<double>());
    } else {
      throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key +
                                  "' must hold finite numbers, found " + v.dump());
    }
  };
  const auto& v = j.at(key);
  if (!v.is_array())
    throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key + "' must be an array, got " + v.dump());
  flatten(v, flatten);
  if ((n_expected && out.size() != n_expected) || out.empty())
    throw std::invalid_argument("isp stage '" + stage + "': parameter '" + key + "' must have " +
                                std::to_string(n_expected) + " numbers, got " + std::to_string(out.size()));
  return out;
}

// A field's JSON value as a list of numbers (booleans 0/1, choices by index, nested arrays flattened
// row-major), and back in the shape of `like` (the value it replaces).
inline void json_to_values(const nlohmann::json& j, const FieldSpec& spec, std::vector<double>& out) {
  if (j.is_array()) {
    for (const auto& e : j) json_to_values(e, spec, out);
  } else if (j.is_boolean()) {
    out.push_back(j.get<bool>() ? 1.0 : 0.0);
  } else if (j.is_string()) {
    const auto it = std::find(spec.choices.begin(), spec.choices.end(), j.get<std::string>());
    out.push_back(static_cast<double>(it - spec.choices.begin()));
  } else if (j.is_number()) {
    out.push_back(j.get<double>());
  }
}
inline nlohmann::json values_to_json(const std::vector<double>& v, size_t& i, const FieldSpec& spec,
                                     const nlohmann::json& like, bool top = true) {
  if (like.is_array()) {
    nlohmann::json a = nlohmann::json::array();
    if (top && (like.empty() || !like[0].is_array())) {  // a flat list may change length (a curve's knots)
      while (i < v.size()) a.push_back(values_to_json(v, i, spec, 0.0, false));
      return a;
    }
    for (const auto& e : like) a.push_back(values_to_json(v, i, spec, e, false));
    return a;
  }
  if (i >= v.size()) throw std::invalid_argument("isp field '" + spec.name + "': too few values");
  const double x = v[i++];
  switch (spec.kind) {
    case FieldKind::kBoolean: return x != 0.0;
    case FieldKind::kChoice: {
      const auto k = static_cast<size_t>(std::llround(x));
      if (!(x >= 0) || k >= spec.choices.size())
        throw std::invalid_argument("isp field '" + spec.name + "': choice " + std::to_string(x) + " out of range");
      return spec.choices[k];
    }
    case FieldKind::kInteger: return static_cast<int64_t>(std::llround(x));
    case FieldKind::kReal: return x;
  }
  return x;
}

}  // namespace isp_detail

template <class T>
void IspStageT<T>::traverse(const TraversalT<T>& t) {
  if (t.parameter) this->visit_parameters(t.parameter);
  if (!t.field) return;
  const std::string prefix = this->name() + ".";
  {
    FieldSpec spec = FieldSpec::boolean(prefix + "enabled");
    std::vector<double> v = {enabled_ ? 1.0 : 0.0};
    t.field(spec, v);
    if (v.size() == 1) enabled_ = v[0] != 0.0;
  }
  const nlohmann::json params = params_to_json();
  nlohmann::json changes = nlohmann::json::object();
  for (FieldSpec spec : field_specs()) {
    const std::string key = spec.name;
    if (!params.contains(key)) continue;
    std::vector<double> v;
    isp_detail::json_to_values(params[key], spec, v);
    const std::vector<double> before = v;
    spec.name = prefix + key;
    t.field(spec, v);
    if (v == before) continue;
    size_t i = 0;
    changes[key] = isp_detail::values_to_json(v, i, spec, params[key]);
  }
  if (!changes.empty()) params_from_json(changes);
}

}  // namespace invgfx
