// Central finite-difference gradient checking, shared by every module's tests.
//
// The numeric derivative of a scalar loss L with respect to x_i is (L(x + h e_i) − L(x − h e_i)) / 2h,
// whose truncation error is O(h²) and rounding error O(ε·|L| / h); h = 1e-6 in double balances the
// two at about 1e-10 relative. An element passes when |analytic − numeric| ≤ atol + rtol·max(|a|, |n|)
// (the numpy.allclose rule, symmetric); the report names the worst element by that ratio.
#pragma once

#include "core/node.h"
#include "core/random.h"
#include "core/tensor.h"

#include <functional>
#include <string>
#include <vector>

namespace invgfx {

struct GradCheckOptions {
  double step = 1e-6;   // h of the central difference, in the units of x
  double rtol = 1e-5;   // relative tolerance
  double atol = 1e-8;   // absolute tolerance
  int max_elements = 0; // check at most this many elements per tensor (spread by a seeded draw); 0 = all
  uint64_t seed = 1;    // for the element draw and the random projection of outputs
};

struct GradCheckReport {
  bool ok = true;
  std::string worst_what;   // which tensor held the worst element
  int64_t worst_index = -1; // its flat index
  double worst_analytic = 0, worst_numeric = 0;
  double worst_ratio = 0;   // |a − n| / (atol + rtol·max(|a|, |n|)); ≤ 1 passes
  double max_abs_error = 0;
  int64_t checked = 0;

  // One line naming the worst element, for test failure messages.
  std::string message() const;
  void merge(const GradCheckReport& o);
};

// Checks `analytic` = dL/dx for the n variables at x. `loss` must recompute L from the current
// contents of x (the checker perturbs x in place and restores it).
template <class T>
GradCheckReport check_gradient(const std::string& what, T* x, int64_t n, const T* analytic,
                               const std::function<double()>& loss, const GradCheckOptions& opt = {});

// Checks a node against L = Σ_k Σ_j w_kj · out_k[j] with fixed random weights w in [-1, 1]: runs
// forward and backward once for the analytic gradients of every input (where check_input[i] is
// true, or all when empty) and every parameter, then compares each with central differences.
template <class T>
GradCheckReport check_node(NodeT<T>& node, const std::vector<TensorT<T>*>& inputs,
                           const GradCheckOptions& opt = {}, std::vector<bool> check_input = {});

}  // namespace invgfx
