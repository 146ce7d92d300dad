// Implementation of core/init.h.
#include "core/init.h"

#include <cmath>
#include <string>

namespace invgfx {

int64_t fan_in_of(const Shape& s) {
  if (s.rank() < 2) return 1;
  int64_t f = s[1];
  for (int i = 2; i < s.rank(); ++i) f *= s[i];
  return f;
}

template <class T>
void uniform(TensorT<T>& t, double lo, double hi, Rng& rng) {
  rng.fill_uniform(t, lo, hi);
}

template <class T>
void kaiming_uniform(TensorT<T>& t, int64_t fan_in, double a, Rng& rng) {
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in > 0 ? fan_in : 1));
  uniform(t, -bound, bound, rng);
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

template <class T>
void init_default(NodeT<T>& node, Rng& rng) {
  enum class Last { kNone, kDense, kNorm } last = Last::kNone;
  int64_t fan_in = 1;
  node.visit_parameters([&](ParameterT<T>& p) {
    if (ends_with(p.name, "weight") && p.value.rank() >= 2) {
      fan_in = fan_in_of(p.value.shape());
      kaiming_uniform(p.value, fan_in, std::sqrt(5.0), rng);
      last = Last::kDense;
    } else if (ends_with(p.name, "weight") && p.value.rank() == 1) {
      p.value.fill(T(1));
      last = Last::kNorm;
    } else if (ends_with(p.name, "bias") && last == Last::kDense) {
      const double b = 1.0 / std::sqrt(static_cast<double>(fan_in));
      uniform(p.value, -b, b, rng);
      last = Last::kNone;
    } else if (ends_with(p.name, "bias") && last == Last::kNorm) {
      p.value.zero();
      last = Last::kNone;
    } else {
      last = Last::kNone;
    }
  });
}

template void uniform<float>(TensorT<float>&, double, double, Rng&);
template void uniform<double>(TensorT<double>&, double, double, Rng&);
template void kaiming_uniform<float>(TensorT<float>&, int64_t, double, Rng&);
template void kaiming_uniform<double>(TensorT<double>&, int64_t, double, Rng&);
template void init_default<float>(NodeT<float>&, Rng&);
template void init_default<double>(NodeT<double>&, Rng&);

}  // namespace invgfx
