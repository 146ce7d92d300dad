// Implementation of core/gradcheck.h.
#include "core/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace invgfx {

std::string GradCheckReport::message() const {
  std::ostringstream s;
  s.precision(10);
  s << (ok ? "ok" : "FAILED") << ": checked " << checked << " elements; worst " << worst_what << "["
    << worst_index << "] analytic " << worst_analytic << " numeric " << worst_numeric << " (ratio "
    << worst_ratio << " of tolerance), max abs error " << max_abs_error;
  return s.str();
}

void GradCheckReport::merge(const GradCheckReport& o) {
  ok = ok && o.ok;
  checked += o.checked;
  max_abs_error = std::max(max_abs_error, o.max_abs_error);
  if (o.worst_index >= 0 && (worst_index < 0 || o.worst_ratio > worst_ratio)) {
    worst_what = o.worst_what;
    worst_index = o.worst_index;
    worst_analytic = o.worst_analytic;
    worst_numeric = o.worst_numeric;
    worst_ratio = o.worst_ratio;
  }
}

namespace {

std::vector<int64_t> pick_elements(int64_t n, const GradCheckOptions& opt, uint64_t salt) {
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  if (opt.max_elements > 0 && n > opt.max_elements) {
    Rng rng(opt.seed * 7919 + salt);
    std::shuffle(idx.begin(), idx.end(), rng.engine());
    idx.resize(static_cast<size_t>(opt.max_elements));
    std::sort(idx.begin(), idx.end());
  }
  return idx;
}

}  // namespace

template <class T>
GradCheckReport check_gradient(const std::string& what, T* x, int64_t n, const T* analytic,
                               const std::function<double()>& loss, const GradCheckOptions& opt) {
  GradCheckReport r;
  const uint64_t salt = std::hash<std::string>{}(what);
  for (int64_t i : pick_elements(n, opt, salt)) {
    const T saved = x[i];
    x[i] = static_cast<T>(saved + opt.step);
    const T up = x[i];
    const double lp = loss();
    x[i] = static_cast<T>(saved - opt.step);
    const T down = x[i];
    const double lm = loss();
    x[i] = saved;
    // Divide by the step actually taken, which in float differs from 2h.
    const double numeric = (lp - lm) / (static_cast<double>(up) - static_cast<double>(down));
    const double a = static_cast<double>(analytic[i]);
    const double err = std::abs(a - numeric);
    const double tol = opt.atol + opt.rtol * std::max(std::abs(a), std::abs(numeric));
    const double ratio = std::isfinite(err) ? err / tol : INFINITY;
    ++r.checked;
    r.max_abs_error = std::max(r.max_abs_error, err);
    if (!(ratio <= 1.0)) r.ok = false;
    if (r.worst_index < 0 || ratio > r.worst_ratio || !std::isfinite(ratio)) {
      r.worst_what = what;
      r.worst_index = i;
      r.worst_analytic = a;
      r.worst_numeric = numeric;
      r.worst_ratio = ratio;
    }
  }
  return r;
}

template <class T>
GradCheckReport check_node(NodeT<T>& node, const std::vector<TensorT<T>*>& inputs,
                           const GradCheckOptions& opt, std::vector<bool> check_input) {
  const size_t n_in = inputs.size(), n_out = static_cast<size_t>(node.num_outputs());
  if (check_input.empty()) check_input.assign(n_in, true);
  std::vector<TensorT<T>> outs(n_out), weights(n_out), dout(n_out), din(n_in);
  std::vector<const TensorT<T>*> in_c(inputs.begin(), inputs.end());
  std::vector<TensorT<T>*> out_p, din_p;
  std::vector<const TensorT<T>*> out_c, dout_c;
  for (auto& o : outs) out_p.push_back(&o);

  node.forward(in_c, out_p);
  Rng rng(opt.seed);
  for (size_t k = 0; k < n_out; ++k) {
    weights[k].resize(outs[k].shape());
    rng.fill_uniform(weights[k], -1.0, 1.0);
    dout[k].copy_from(weights[k]);
    out_c.push_back(&outs[k]);
    dout_c.push_back(&dout[k]);
  }
  for (size_t i = 0; i < n_in; ++i) {
    din[i].resize(inputs[i]->shape());
    din[i].zero();
    din_p.push_back(check_input[i] ? &din[i] : nullptr);
  }
  std::vector<ParameterT<T>*> params;
  node.visit_parameters([&](ParameterT<T>& p) {
    p.zero_grad();
    params.push_back(&p);
  });
  node.backward(in_c, out_c, dout_c, din_p);

  // Copies of the analytic gradients: the loss evaluations below re-run forward only, but keep them
  // safe from nodes that reuse buffers.
  std::vector<TensorT<T>> param_grads;
  for (auto* p : params) param_grads.push_back(p->grad);

  auto loss = [&]() {
    node.forward(in_c, out_p);
    double l = 0;
    for (size_t k = 0; k < n_out; ++k) {
      if (outs[k].shape() != weights[k].shape()) return static_cast<double>(NAN);
      for (int64_t j = 0; j < outs[k].numel(); ++j)
        l += static_cast<double>(outs[k][j]) * static_cast<double>(weights[k][j]);
    }
    return l;
  };

  GradCheckReport report;
  for (size_t i = 0; i < n_in; ++i) {
    if (!check_input[i]) continue;
    report.merge(check_gradient<T>(node.name() + ".input" + std::to_string(i), inputs[i]->data(),
                                   inputs[i]->numel(), din[i].data(), loss, opt));
  }
  for (size_t p = 0; p < params.size(); ++p) {
    if (!params[p]->requires_grad) continue;
    report.merge(check_gradient<T>(node.name() + "." + params[p]->name, params[p]->value.data(),
                                   params[p]->value.numel(), param_grads[p].data(), loss, opt));
  }
  return report;
}

template GradCheckReport check_gradient<float>(const std::string&, float*, int64_t, const float*,
                                               const std::function<double()>&, const GradCheckOptions&);
template GradCheckReport check_gradient<double>(const std::string&, double*, int64_t, const double*,
                                                const std::function<double()>&, const GradCheckOptions&);
template GradCheckReport check_node<float>(NodeT<float>&, const std::vector<TensorT<float>*>&,
                                           const GradCheckOptions&, std::vector<bool>);
template GradCheckReport check_node<double>(NodeT<double>&, const std::vector<TensorT<double>*>&,
                                            const GradCheckOptions&, std::vector<bool>);

}  // namespace invgfx
