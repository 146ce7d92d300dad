// Implementation of core/divergence_guard.h.
#include "core/divergence_guard.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace {

template <class T>
bool all_finite(const T* p, int64_t n) {
  bool ok = true;
#pragma omp parallel for reduction(&& : ok) schedule(static) if (n >= (int64_t{1} << 16))
  for (int64_t i = 0; i < n; ++i) ok = ok && std::isfinite(p[i]);
  return ok;
}

}  // namespace

template <class T>
StepVerdict DivergenceGuardT<T>::prepare(std::span<OptimizerT<T>* const> opts, double loss) {
  StepVerdict v;
  prepared_.resize(opts.size());
  if (!std::isfinite(loss)) {
    v.ok = false;
    v.problem = "loss is not finite";
    return v;
  }
  for (size_t k = 0; k < opts.size(); ++k) {
    prepared_[k] = opts[k]->prepare();
    if (!prepared_[k].applied) {
      v.ok = false;
      v.problem = prepared_[k].problem;
      return v;
    }
  }
  return v;
}

template <class T>
void DivergenceGuardT<T>::keep(std::span<OptimizerT<T>* const> opts) {
  for (OptimizerT<T>* o : opts) o->keep();
}

template <class T>
void DivergenceGuardT<T>::apply(std::span<OptimizerT<T>* const> opts) {
  if (prepared_.size() != opts.size()) throw std::logic_error("DivergenceGuard::apply: not the prepared optimizers");
  for (size_t k = 0; k < opts.size(); ++k) opts[k]->apply(prepared_[k]);
}

template <class T>
StepVerdict DivergenceGuardT<T>::check_values(std::span<OptimizerT<T>* const> opts) const {
  StepVerdict v;
  for (OptimizerT<T>* o : opts)
    for (const ParameterT<T>* p : o->parameters()) {
      if (!p->requires_grad || all_finite(p->value.data(), p->value.numel())) continue;
      v.ok = false;
      v.problem = "new value of " + p->name + " is not finite";
      return v;
    }
  return v;
}

template <class T>
void DivergenceGuardT<T>::rollback(std::span<OptimizerT<T>* const> opts) {
  for (OptimizerT<T>* o : opts) o->rollback();
}

template class DivergenceGuardT<float>;
template class DivergenceGuardT<double>;

}  // namespace invgfx
