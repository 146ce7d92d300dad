// One traversal of an object's parameters and plain fields, after Mitsuba 3's `traverse`: the one
// path through which the optimizer finds what it moves, sessions find what they store, reports and
// scene files find what they write, and the GUI finds what it may edit, each by the entry's flags.
//
//   parameters  ParameterT<T> by reference (value, gradient, group, requires_grad): what the
//               optimizer moves and sessions store as tensors.
//   fields      every setting of the object as the user sees it, as a list of numbers with a spec:
//               kind (real, integer, boolean, choice), range, unit and flags. The callback receives
//               the current values and may change them; the object then takes the new values through
//               its own validation (std::invalid_argument naming the field when they are refused)
//               and updates whatever depends on them (a blur's taps, a curve's knots).
// A field backed by a parameter is flagged differentiable (editing it moves the parameter); one
// that only configures the object is plain. Discontinuous fields change the output by jumps (counts,
// choices, switches); structural ones change the shape of parameters or outputs, so they stay fixed
// while an optimizer holds the parameters (the GUI shows them read-only).
#pragma once

#include "core/parameter.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace invgfx {

namespace field_flags {
inline constexpr uint32_t kDifferentiable = 1u << 0;  // backed by a parameter the optimizer moves
inline constexpr uint32_t kPlain = 1u << 1;           // configures the object; never optimised
inline constexpr uint32_t kDiscontinuous = 1u << 2;   // the output jumps when it changes
inline constexpr uint32_t kStructural = 1u << 3;      // changes parameter or output shapes: fixed in a fit
inline constexpr uint32_t kLogScale = 1u << 4;        // positive, best edited on a logarithmic scale
}  // namespace field_flags

enum class FieldKind { kReal, kInteger, kBoolean, kChoice };

struct FieldSpec {
  std::string name;                  // unique within the traversal, e.g. "sharpen.sigma"
  FieldKind kind = FieldKind::kReal;
  uint32_t flags = field_flags::kPlain;
  int size = 1;                      // number of values; 0 = any number (a list)
  double lo = -std::numeric_limits<double>::infinity();  // range of each value
  double hi = std::numeric_limits<double>::infinity();
  std::string unit;                  // "px", "stops", "linear", …; "" when unitless
  std::vector<std::string> choices;  // kChoice: the names, by index

  static FieldSpec real(std::string name, double lo, double hi, std::string unit = "") {
    FieldSpec s;
    s.name = std::move(name);
    s.lo = lo;
    s.hi = hi;
    s.unit = std::move(unit);
    return s;
  }
  static FieldSpec integer(std::string name, double lo, double hi, std::string unit = "") {
    FieldSpec s = real(std::move(name), lo, hi, std::move(unit));
    s.kind = FieldKind::kInteger;
    s.flags |= field_flags::kDiscontinuous;
    return s;
  }
  static FieldSpec boolean(std::string name) {
    FieldSpec s = integer(std::move(name), 0, 1);
    s.kind = FieldKind::kBoolean;
    return s;
  }
  static FieldSpec choice(std::string name, std::vector<std::string> choices) {
    FieldSpec s = integer(std::move(name), 0, static_cast<double>(choices.size()) - 1);
    s.kind = FieldKind::kChoice;
    s.choices = std::move(choices);
    return s;
  }
  // Modifiers, for tables of specs.
  FieldSpec& values(int n) { size = n; return *this; }
  FieldSpec& learnable() { flags = (flags & ~field_flags::kPlain) | field_flags::kDifferentiable; return *this; }
  FieldSpec& structural() { flags |= field_flags::kStructural | field_flags::kDiscontinuous; return *this; }
  FieldSpec& log_scale() { flags |= field_flags::kLogScale; return *this; }

  bool has(uint32_t flag) const { return (flags & flag) != 0; }
  // Whether a user may edit it while a fit holds the object's parameters.
  bool editable() const { return !has(field_flags::kStructural); }
};

template <class T>
struct TraversalT {
  std::function<void(ParameterT<T>& parameter)> parameter;
  std::function<void(const FieldSpec& spec, std::vector<double>& values)> field;
};

using Traversal = TraversalT<float>;

// Sets field `name` of a traversable object to `values` (its validation applies). False when the
// object has no such field.
template <class T, class Object>
bool set_field(Object& object, const std::string& name, const std::vector<double>& values) {
  bool found = false;
  TraversalT<T> t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) {
    if (spec.name != name) return;
    v = values;
    found = true;
  };
  object.traverse(t);
  return found;
}

// The values of every field of a traversable object, by name, in traversal order.
template <class T, class Object>
std::vector<std::pair<std::string, std::vector<double>>> field_values(Object& object) {
  std::vector<std::pair<std::string, std::vector<double>>> out;
  TraversalT<T> t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) { out.emplace_back(spec.name, v); };
  object.traverse(t);
  return out;
}

}  // namespace invgfx
