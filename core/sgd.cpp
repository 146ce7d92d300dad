// Implementation of core/sgd.h.
#include "core/sgd.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

void SgdSettings::check() const {
  auto fail = [](const std::string& what, double v) {
    throw std::invalid_argument("SgdSettings: " + what + ", got " + std::to_string(v));
  };
  if (!(lr >= 0.0) || !std::isfinite(lr)) fail("lr must be finite and >= 0", lr);
  if (!(momentum >= 0.0 && momentum < 1.0)) fail("momentum must be in [0, 1)", momentum);
  if (!(dampening >= 0.0 && dampening <= 1.0)) fail("dampening must be in [0, 1]", dampening);
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay)) fail("weight_decay must be finite and >= 0", weight_decay);
  if (nesterov && (momentum <= 0.0 || dampening != 0.0))
    throw std::invalid_argument("SgdSettings: nesterov needs momentum > 0 and dampening == 0");
}

template <class T>
SgdT<T>::SgdT(std::vector<ParameterT<T>*> params, const SgdSettings& settings)
    : OptimizerT<T>(std::move(params), settings.lr), settings_(settings) {
  settings_.check();
  this->set_weight_decay(settings_.weight_decay);
  const size_t n = this->params_.size();
  buf_.resize(n);
  t_.assign(n, 0);
  if (settings_.momentum > 0.0)
    for (size_t i = 0; i < n; ++i) buf_[i] = TensorT<T>(this->params_[i]->value.shape(), T(0));
}

template <class T>
void SgdT<T>::update_range(size_t i, ParameterT<T>& p, int64_t j0, int64_t j1, T lr, T weight_decay,
                           T grad_scale) {
  T* theta = p.value.data();
  const T* grad = p.grad.data();
  if (settings_.momentum == 0.0) {
#pragma omp simd
    for (int64_t j = j0; j < j1; ++j) theta[j] -= lr * (grad[j] * grad_scale + weight_decay * theta[j]);
    return;
  }
  // The buffer starts as the first gradient (t_ is advanced in end_update, after all blocks).
  const bool first = t_[i] == 0;
  const T mu = static_cast<T>(settings_.momentum);
  const T keep = first ? T(0) : mu;
  const T take = first ? T(1) : static_cast<T>(1.0 - settings_.dampening);
  // Direction d = coef_g·g + coef_b·b: Nesterov d = g + μ b, heavy ball d = b.
  const T coef_g = settings_.nesterov ? T(1) : T(0);
  const T coef_b = settings_.nesterov ? mu : T(1);
  T* b = buf_[i].data();
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T g = grad[j] * grad_scale + weight_decay * theta[j];
    b[j] = keep * b[j] + take * g;
    theta[j] -= lr * (coef_g * g + coef_b * b[j]);
  }
}

template <class T>
void SgdT<T>::visit_own_state(const OptimizerStateVisitor<T>& visit) {
  for (size_t i = 0; i < this->params_.size(); ++i) {
    const std::string& n = this->params_[i]->name;
    if (visit.integer) visit.integer("sgd.t." + n, t_[i]);
    if (visit.tensor && settings_.momentum > 0.0) visit.tensor("sgd.momentum." + n, buf_[i]);
  }
}

template class SgdT<float>;
template class SgdT<double>;

}  // namespace invgfx
