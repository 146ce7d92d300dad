// Implementation of isp/white_balance.h.
#include "isp/white_balance.h"

#include <algorithm>

namespace invgfx {

template <class T>
WhiteBalanceT<T>::WhiteBalanceT(const WhiteBalanceParams& p) {
  set_params(p);
}

template <class T>
WhiteBalanceParams WhiteBalanceT<T>::params() const {
  return {static_cast<double>(log_gains_.value[0]), static_cast<double>(log_gains_.value[1]), clip_highlights_};
}

template <class T>
void WhiteBalanceT<T>::set_params(const WhiteBalanceParams& p) {
  if (!std::isfinite(p.log_gain_red) || !std::isfinite(p.log_gain_blue))
    throw std::invalid_argument("isp stage 'white_balance': log gains must be finite");
  log_gains_.value[0] = static_cast<T>(p.log_gain_red);
  log_gains_.value[1] = static_cast<T>(p.log_gain_blue);
  clip_highlights_ = p.clip_highlights;
}

template <class T>
void WhiteBalanceT<T>::set_gains(const std::array<double, 3>& rgb) {
  for (double g : rgb)
    if (!(g > 0) || !std::isfinite(g))
      throw std::invalid_argument("isp stage 'white_balance': gains must be positive and finite, got " +
                                  std::to_string(g));
  auto p = params();
  p.log_gain_red = std::log(rgb[0] / rgb[1]);
  p.log_gain_blue = std::log(rgb[2] / rgb[1]);
  set_params(p);
}

template <class T>
std::array<double, 3> WhiteBalanceT<T>::gains() const {
  return {std::exp(static_cast<double>(log_gains_.value[0])), 1.0, std::exp(static_cast<double>(log_gains_.value[1]))};
}

template <class T>
nlohmann::json WhiteBalanceT<T>::params_to_json() const {
  const auto p = params();
  return {{"log_gain_red", p.log_gain_red}, {"log_gain_blue", p.log_gain_blue}, {"clip_highlights", p.clip_highlights}};
}

template <class T>
std::vector<FieldSpec> WhiteBalanceT<T>::field_specs() const {
  return {FieldSpec::real("log_gain_red", -4, 4, "ln gain").learnable(),
          FieldSpec::real("log_gain_blue", -4, 4, "ln gain").learnable(), FieldSpec::boolean("clip_highlights")};
}

template <class T>
void WhiteBalanceT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"log_gain_red", "log_gain_blue", "clip_highlights", "gains"});
  auto p = params();
  if (j.contains("log_gain_red")) p.log_gain_red = read_number(j, name(), "log_gain_red", -4, 4);
  if (j.contains("log_gain_blue")) p.log_gain_blue = read_number(j, name(), "log_gain_blue", -4, 4);
  if (j.contains("clip_highlights")) p.clip_highlights = read_bool(j, name(), "clip_highlights");
  set_params(p);
  if (j.contains("gains")) {
    const auto g = read_numbers(j, name(), "gains", 3);
    set_gains({g[0], g[1], g[2]});
  }
}

template <class T>
void WhiteBalanceT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), true, true);
  y.resize(x.shape());
  const T g[3] = {std::exp(log_gains_.value[0]), T(1), std::exp(log_gains_.value[1])};
  const T m = std::min({g[0], g[1], g[2]});
  const bool clip = clip_highlights_;
  const int64_t rows = d.n * d.c * d.h;
#pragma omp parallel for schedule(static) if (x.numel() >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r % d.h, c = (r / d.h) % d.c;
    const T gg[2] = {g[colour_of(c, d.c, row, 0)], g[colour_of(c, d.c, row, 1)]};
    const T* xr = x.data() + r * d.w;
    T* yr = y.data() + r * d.w;
    if (clip) {
      for (int64_t col = 0; col < d.w; ++col) yr[col] = std::min(gg[col & 1] * xr[col], m);
    } else {
      for (int64_t col = 0; col < d.w; ++col) yr[col] = gg[col & 1] * xr[col];
    }
  }
}

template <class T>
void WhiteBalanceT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                        TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const T g[3] = {std::exp(log_gains_.value[0]), T(1), std::exp(log_gains_.value[1])};
  const T m = std::min({g[0], g[1], g[2]});
  // Which colour's gain is the minimum (the clipped value follows it); −1 if green (no parameter).
  const int argmin = g[0] <= g[1] && g[0] <= g[2] ? 0 : (g[2] < g[1] && g[2] < g[0] ? 2 : -1);
  const bool clip = clip_highlights_, want_p = log_gains_.requires_grad;
  const int64_t rows = d.n * d.c * d.h;
  double acc[3] = {0, 0, 0};  // ∂L/∂ln g_c, c = R, G, B
  isp_detail::reduce_blocks(rows, 3, x.numel() >= isp_detail::kOmpMinWork, acc, [&](int64_t r0, int64_t r1, double* out) {
    double la[3] = {0, 0, 0};
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t row = r % d.h, c = (r / d.h) % d.c;
      const int cc[2] = {colour_of(c, d.c, row, 0), colour_of(c, d.c, row, 1)};
      const T* xr = x.data() + r * d.w;
      const T* gr = dL_dy.data() + r * d.w;
      T* dr = dL_dx ? dL_dx->data() + r * d.w : nullptr;
      for (int64_t col = 0; col < d.w; ++col) {
        const int k = cc[col & 1];
        const T v = g[k] * xr[col];
        if (clip && v > m) {
          if (argmin >= 0) la[argmin] += static_cast<double>(gr[col]) * m;  // ∂m/∂ln g_min = m
        } else {
          if (dr) dr[col] += gr[col] * g[k];
          la[k] += static_cast<double>(gr[col]) * v;  // ∂(g x)/∂ln g = g x
        }
      }
    }
    for (int k = 0; k < 3; ++k) out[k] = la[k];
  });
  if (want_p) {
    log_gains_.grad.resize(log_gains_.value.shape());
    log_gains_.grad[0] += static_cast<T>(acc[0]);
    log_gains_.grad[1] += static_cast<T>(acc[2]);
  }
}

template <class T>
void WhiteBalanceT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  const Dims4 d = isp_detail::image_dims(y.shape(), name(), true, true);
  x.resize(y.shape());
  const T g[3] = {std::exp(log_gains_.value[0]), T(1), std::exp(log_gains_.value[1])};
  const int64_t rows = d.n * d.c * d.h;
#pragma omp parallel for schedule(static) if (y.numel() >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r % d.h, c = (r / d.h) % d.c;
    for (int64_t col = 0; col < d.w; ++col)
      x[r * d.w + col] = y[r * d.w + col] / g[colour_of(c, d.c, row, col)];
  }
}

template class WhiteBalanceT<float>;
template class WhiteBalanceT<double>;

}  // namespace invgfx
