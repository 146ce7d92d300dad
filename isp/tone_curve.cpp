// Implementation of isp/tone_curve.h.
#include "isp/tone_curve.h"

#include <omp.h>

#include <algorithm>

namespace invgfx {
namespace {

double softplus(double t) { return t > 30 ? t : std::log1p(std::exp(t)); }
double sigmoid(double t) { return 1 / (1 + std::exp(-t)); }
// softplus⁻¹(v) = ln(e^v − 1), v > 0.
double softplus_inv(double v) { return v > 30 ? v : std::log(std::expm1(v)); }

}  // namespace

template <class T>
ToneCurveT<T>::ToneCurveT(const ToneCurveParams& p) {
  set_params(p);
}

template <class T>
void ToneCurveT<T>::set_identity() {
  ToneCurveParams p;
  p.knots = static_cast<int>(theta_.value.numel());
  set_params(p);
}

template <class T>
void ToneCurveT<T>::set_params(const ToneCurveParams& p) {
  const std::string stage = "isp stage 'tone_curve'";
  if (p.knots < kToneCurveMinKnots || p.knots > kToneCurveMaxKnots)
    throw std::invalid_argument(stage + ": 'knots' must be in [" + std::to_string(kToneCurveMinKnots) + ", " +
                                std::to_string(kToneCurveMaxKnots) + "], got " + std::to_string(p.knots));
  const int K = p.knots;
  std::vector<double> theta(static_cast<size_t>(K), softplus_inv(1.0));
  if (!p.values.empty()) {
    if (static_cast<int>(p.values.size()) != K + 1)
      throw std::invalid_argument(stage + ": 'values' must have knots + 1 = " + std::to_string(K + 1) +
                                  " numbers, got " + std::to_string(p.values.size()));
    if (std::abs(p.values.front()) > 1e-9 || std::abs(p.values.back() - 1) > 1e-9)
      throw std::invalid_argument(stage + ": 'values' must start at 0 and end at 1");
    for (int k = 0; k < K; ++k) {
      const double inc = p.values[k + 1] - p.values[k];
      if (!(inc > 1e-6))
        throw std::invalid_argument(stage + ": 'values' must be strictly increasing (knot " + std::to_string(k + 1) + ")");
      theta[k] = softplus_inv(inc * K);  // mean softplus of 1 keeps θ near 0.54 whatever K is
    }
  }
  kind_ = p.kind;
  theta_.value.resize(Shape{K});
  theta_.grad.resize(Shape{K});
  theta_.grad.zero();
  for (int k = 0; k < K; ++k) theta_.value[k] = static_cast<T>(theta[k]);
  update_knots();
}

template <class T>
bool ToneCurveT<T>::update_knots() {
  const int64_t K = theta_.value.numel();
  Y_.resize(static_cast<size_t>(K + 1));
  double s = 0;
  identity_ = true;
  for (int64_t k = 0; k < K; ++k) {
    identity_ = identity_ && theta_.value[k] == theta_.value[0];
    s += softplus(static_cast<double>(theta_.value[k]));
  }
  S_ = s;
  double acc = 0;
  Y_[0] = T(0);
  for (int64_t k = 0; k < K; ++k) {
    acc += softplus(static_cast<double>(theta_.value[k]));
    Y_[static_cast<size_t>(k + 1)] = static_cast<T>(acc / s);
  }
  Y_[static_cast<size_t>(K)] = T(1);
  return identity_;
}

template <class T>
std::vector<double> ToneCurveT<T>::knot_values() const {
  const_cast<ToneCurveT*>(this)->update_knots();
  return std::vector<double>(Y_.begin(), Y_.end());
}

template <class T>
ToneCurveParams ToneCurveT<T>::params() const {
  ToneCurveParams p;
  p.kind = kind_;
  p.knots = static_cast<int>(theta_.value.numel());
  p.values = knot_values();
  return p;
}

template <class T>
nlohmann::json ToneCurveT<T>::params_to_json() const {
  const auto p = params();
  return {{"kind", p.kind == ToneCurveKind::Pwl ? "pwl" : "smoothstep"}, {"knots", p.knots}, {"values", p.values}};
}

template <class T>
std::vector<FieldSpec> ToneCurveT<T>::field_specs() const {
  return {FieldSpec::choice("kind", {"pwl", "smoothstep"}).structural(),
          FieldSpec::integer("knots", 16, 32).structural(),
          FieldSpec::real("values", 0, 1).values(0).learnable()};
}

template <class T>
void ToneCurveT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"kind", "knots", "values"});
  ToneCurveParams p = params();
  if (j.contains("kind")) {
    const std::string k = read_string(j, name(), "kind");
    if (k == "pwl") p.kind = ToneCurveKind::Pwl;
    else if (k == "smoothstep") p.kind = ToneCurveKind::Smoothstep;
    else throw std::invalid_argument("isp stage 'tone_curve': unknown kind '" + k + "' (expected pwl or smoothstep)");
  }
  p.values.clear();
  if (j.contains("knots")) p.knots = static_cast<int>(read_number(j, name(), "knots", kToneCurveMinKnots, kToneCurveMaxKnots));
  if (j.contains("values")) p.values = read_numbers(j, name(), "values", 0);
  set_params(p);
}

template <class T>
void ToneCurveT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  isp_detail::image_dims(x.shape(), name(), true, true);
  y.resize(x.shape());
  const int64_t n = x.numel();
  if (kind_ == ToneCurveKind::Smoothstep) {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) {
      const T v = std::clamp(x[i], T(0), T(1));
      y[i] = v * v * (T(3) - T(2) * v);
    }
    return;
  }
  if (update_knots()) {
    y.copy_from(x);
    return;
  }
  const int K = static_cast<int>(theta_.value.numel());
  const T* Y = Y_.data();
  const T fK = static_cast<T>(K);
#pragma omp parallel for schedule(static) if (n >= isp_detail::kOmpMinWork)
  for (int64_t i = 0; i < n; ++i) {
    const T u = x[i] * fK;
    const int k = std::clamp(static_cast<int>(std::floor(u)), 0, K - 1);
    const T t = u - static_cast<T>(k);
    y[i] = Y[k] + (Y[k + 1] - Y[k]) * t;
  }
}

template <class T>
void ToneCurveT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                     TensorT<T>* dL_dx) {
  const int64_t n = x.numel();
  if (kind_ == ToneCurveKind::Smoothstep) {
    if (!dL_dx) return;
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) {
      const T v = x[i];
      (*dL_dx)[i] += (v > T(0) && v < T(1)) ? dL_dy[i] * T(6) * v * (T(1) - v) : T(0);
    }
    return;
  }
  update_knots();
  const int K = static_cast<int>(theta_.value.numel());
  const T* Y = Y_.data();
  const T fK = static_cast<T>(K);
  const bool want_p = theta_.requires_grad;
  thread_local std::vector<double> gY;  // ∂L/∂Y_k; keeps its capacity between calls
  gY.assign(static_cast<size_t>(K + 1), 0.0);
  const bool parallel = n >= isp_detail::kOmpMinWork;
  isp_detail::reduce_blocks(n, want_p ? K + 1 : 0, parallel, gY.data(), [&](int64_t i0, int64_t i1, double* lg) {
    for (int64_t i = i0; i < i1; ++i) {
      const T u = x[i] * fK;
      const int k = std::clamp(static_cast<int>(std::floor(u)), 0, K - 1);
      const T g = dL_dy[i];
      if (dL_dx) (*dL_dx)[i] += g * (Y[k + 1] - Y[k]) * fK;
      if (want_p) {
        const double t = static_cast<double>(u) - k;
        lg[k] += g * (1 - t);
        lg[k + 1] += g * t;
      }
    }
  });
  if (!want_p) return;
  // Y_k = S_k / S  ⇒  ∂L/∂s_j = (Σ_{k>j} gY_k − Σ_k gY_k·Y_k) / S,  s_j = softplus(θ_j), ∂s/∂θ = σ(θ).
  double dot = 0;
  for (int k = 0; k <= K; ++k) dot += gY[static_cast<size_t>(k)] * static_cast<double>(Y[k]);
  double tail = 0;  // Σ_{k>j} gY_k
  theta_.grad.resize(theta_.value.shape());
  for (int j = K - 1; j >= 0; --j) {
    tail += gY[static_cast<size_t>(j + 1)];
    theta_.grad[j] += static_cast<T>((tail - dot) / S_ * sigmoid(static_cast<double>(theta_.value[j])));
  }
}

template <class T>
void ToneCurveT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  isp_detail::image_dims(y.shape(), name(), true, true);
  x.resize(y.shape());
  const int64_t n = y.numel();
  if (kind_ == ToneCurveKind::Smoothstep) {
    // x = ½ − sin(asin(1 − 2y)/3) (Brooks et al. 2019, unprocess.py), y clamped to [0, 1].
#pragma omp parallel for schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) {
      const double v = std::clamp(static_cast<double>(y[i]), 0.0, 1.0);
      x[i] = static_cast<T>(0.5 - std::sin(std::asin(1 - 2 * v) / 3));
    }
    return;
  }
  const auto Yd = knot_values();
  const int K = static_cast<int>(Yd.size()) - 1;
#pragma omp parallel for schedule(static) if (n >= isp_detail::kOmpMinWork)
  for (int64_t i = 0; i < n; ++i) {
    const double v = y[i];
    const int k = std::clamp(static_cast<int>(std::upper_bound(Yd.begin(), Yd.end(), v) - Yd.begin()) - 1, 0, K - 1);
    x[i] = static_cast<T>((k + (v - Yd[k]) / (Yd[k + 1] - Yd[k])) / K);
  }
}

template class ToneCurveT<float>;
template class ToneCurveT<double>;

}  // namespace invgfx
