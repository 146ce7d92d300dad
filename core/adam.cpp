// Implementation of core/adam.h.
#include "core/adam.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

void AdamSettings::check() const {
  auto fail = [](const std::string& what, double v) {
    throw std::invalid_argument("AdamSettings: " + what + ", got " + std::to_string(v));
  };
  if (!(lr >= 0.0) || !std::isfinite(lr)) fail("lr must be finite and >= 0", lr);
  if (!(beta1 >= 0.0 && beta1 < 1.0)) fail("beta1 must be in [0, 1)", beta1);
  if (!(beta2 >= 0.0 && beta2 < 1.0)) fail("beta2 must be in [0, 1)", beta2);
  if (!(eps > 0.0) || !std::isfinite(eps)) fail("eps must be finite and > 0", eps);
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay)) fail("weight_decay must be finite and >= 0", weight_decay);
}

template <class T>
AdamT<T>::AdamT(std::vector<ParameterT<T>*> params, const AdamSettings& settings)
    : OptimizerT<T>(std::move(params), settings.lr), settings_(settings) {
  settings_.check();
  this->set_weight_decay(settings_.weight_decay);
  const size_t n = this->params_.size();
  m_.resize(n);
  v_.resize(n);
  t_.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    m_[i] = TensorT<T>(this->params_[i]->value.shape(), T(0));
    v_[i] = TensorT<T>(this->params_[i]->value.shape(), T(0));
  }
}

template <class T>
void AdamT<T>::update_range(size_t i, ParameterT<T>& p, int64_t j0, int64_t j1, T lr, T weight_decay,
                            T grad_scale) {
  const int64_t t = t_[i];  // already advanced by begin_update
  const double bc1 = 1.0 - std::pow(settings_.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(settings_.beta2, static_cast<double>(t));
  const T b1 = static_cast<T>(settings_.beta1), b2 = static_cast<T>(settings_.beta2);
  const T one_b1 = T(1) - b1, one_b2 = T(1) - b2;
  const T step_size = static_cast<T>(static_cast<double>(lr) / bc1);
  const T inv_sqrt_bc2 = static_cast<T>(1.0 / std::sqrt(bc2));
  const T eps = static_cast<T>(settings_.eps);
  const bool l2 = settings_.weight_decay_mode == AdamSettings::WeightDecay::kL2;
  const T l2_coef = l2 ? weight_decay : T(0);
  const T decay = l2 ? T(1) : T(1) - lr * weight_decay;

  T* theta = p.value.data();
  const T* grad = p.grad.data();
  T* m = m_[i].data();
  T* v = v_[i].data();
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T g = grad[j] * grad_scale + l2_coef * theta[j];
    m[j] = b1 * m[j] + one_b1 * g;
    v[j] = b2 * v[j] + one_b2 * g * g;
    theta[j] = theta[j] * decay - step_size * m[j] / (std::sqrt(v[j]) * inv_sqrt_bc2 + eps);
  }
}

template <class T>
void AdamT<T>::visit_own_state(const OptimizerStateVisitor<T>& visit) {
  for (size_t i = 0; i < this->params_.size(); ++i) {
    const std::string& n = this->params_[i]->name;
    if (visit.integer) visit.integer("adam.t." + n, t_[i]);
    if (visit.tensor) {
      visit.tensor("adam.m." + n, m_[i]);
      visit.tensor("adam.v." + n, v_[i]);
    }
  }
}

template class AdamT<float>;
template class AdamT<double>;

}  // namespace invgfx
