// Shared by the layer tests: the finite-difference check of a layer in double with the tolerance
// below, random inputs and parameters, and the largest difference of two tensors.
//
// Tolerance: in double with h = 1e-6, central differences of these smooth (or piecewise-linear, away
// from kinks) maps have truncation error O(h²·|f'''|) ≈ 1e-12 and rounding error ≈ ε·|L|/h ≈
// 1e-10·|L|; with |L| ≲ 100 for these sizes the numeric derivative is good to ~1e-8 absolute. rtol
// 1e-6 with atol 1e-7 passes that with a margin of 10 while a wrong index, a missing term or a
// float-precision shortcut (errors ≥ 1e-4) fails by orders of magnitude.
#pragma once

#include "core/gradcheck.h"
#include "core/node.h"
#include "core/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace invgfx::test {

inline GradCheckOptions tight() {
  GradCheckOptions o;
  o.rtol = 1e-6;
  o.atol = 1e-7;
  return o;
}

inline void expect_grads(NodeD& node, TensorD& x, GradCheckOptions opt = tight()) {
  const GradCheckReport r = check_node<double>(node, {&x}, opt);
  EXPECT_TRUE(r.ok) << node.name() << " " << x.shape().str() << ": " << r.message();
  EXPECT_GT(r.checked, 0);
}

inline TensorD layer_input(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  TensorD t(s);
  Rng rng(seed);
  rng.fill_uniform(t, lo, hi);
  return t;
}

inline void randomize_params(NodeD& node, uint64_t seed, double scale = 0.5) {
  Rng rng(seed);
  node.visit_parameters([&](ParameterD& p) { rng.fill_uniform(p.value, -scale, scale); });
}

inline double max_abs_diff(const TensorD& a, const TensorD& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace invgfx::test
