// A learnable parameter: value, gradient, name and group. The one way to list a node's parameters is
// `visit_parameters`; the optimizer, the session file, export and the GUI all use it.
#pragma once

#include "core/tensor.h"

#include <functional>
#include <string>
#include <vector>

namespace invgfx {

// The groups of the loop (app/loop_optimizers.h); any other string is allowed too.
namespace group {
inline constexpr const char* kNet = "net";
inline constexpr const char* kShape = "shape";
inline constexpr const char* kTexture = "texture";
inline constexpr const char* kLight = "light";
inline constexpr const char* kCamera = "camera";
inline constexpr const char* kIsp = "isp";
inline constexpr const char* kBackground = "background";
}  // namespace group

template <class T>
struct ParameterT {
  std::string name;   // unique within its owner, e.g. "conv1.weight"
  std::string group;  // "net", "shape", "isp", ...
  TensorT<T> value;
  TensorT<T> grad;  // same shape as value; backward adds into it
  // False when the parameter's group is frozen: nodes may then skip computing its gradient.
  bool requires_grad = true;

  ParameterT() = default;
  ParameterT(std::string name_, std::string group_, const Shape& shape)
      : name(std::move(name_)), group(std::move(group_)), value(shape), grad(shape) {}

  void zero_grad() {
    grad.resize(value.shape());
    grad.zero();
  }
};

using Parameter = ParameterT<float>;
using ParameterD = ParameterT<double>;

template <class T>
using ParameterVisitor = std::function<void(ParameterT<T>&)>;

// Collects pointers to all parameters a visitable object exposes.
template <class T, class Visitable>
std::vector<ParameterT<T>*> collect_parameters(Visitable& v) {
  std::vector<ParameterT<T>*> out;
  v.visit_parameters([&](ParameterT<T>& p) { out.push_back(&p); });
  return out;
}

}  // namespace invgfx
