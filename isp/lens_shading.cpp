// Implementation of isp/lens_shading.h.
#include "isp/lens_shading.h"

namespace invgfx {

template <class T>
LensShadingParams LensShadingT<T>::params() const {
  LensShadingParams p;
  for (int i = 0; i < 9; ++i) p.k[i] = static_cast<double>(k_.value[i]);
  p.centre = {static_cast<double>(centre_.value[0]), static_cast<double>(centre_.value[1])};
  return p;
}

template <class T>
void LensShadingT<T>::set_params(const LensShadingParams& p) {
  for (double v : p.k)
    if (!(std::abs(v) <= 4)) throw std::invalid_argument("isp stage 'lens_shading': coefficients 'k' must be within [-4, 4]");
  for (double v : p.centre)
    if (!(v >= 0 && v <= 1)) throw std::invalid_argument("isp stage 'lens_shading': 'centre' must be within [0, 1]");
  for (int i = 0; i < 9; ++i) k_.value[i] = static_cast<T>(p.k[i]);
  centre_.value[0] = static_cast<T>(p.centre[0]);
  centre_.value[1] = static_cast<T>(p.centre[1]);
}

template <class T>
nlohmann::json LensShadingT<T>::params_to_json() const {
  const auto p = params();
  return {{"k", {{p.k[0], p.k[1], p.k[2]}, {p.k[3], p.k[4], p.k[5]}, {p.k[6], p.k[7], p.k[8]}}}, {"centre", p.centre}};
}

template <class T>
std::vector<FieldSpec> LensShadingT<T>::field_specs() const {
  return {FieldSpec::real("k", -4, 4).values(9).learnable(),
          FieldSpec::real("centre", 0, 1, "image fraction").values(2).learnable()};
}

template <class T>
void LensShadingT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"k", "centre"});
  auto p = params();
  if (j.contains("k")) {
    const auto k = read_numbers(j, name(), "k", 9);
    std::copy(k.begin(), k.end(), p.k.begin());
  }
  if (j.contains("centre")) {
    const auto c = read_numbers(j, name(), "centre", 2);
    p.centre = {c[0], c[1]};
  }
  set_params(p);
}

template <class T>
void LensShadingT<T>::apply(const TensorT<T>& x, TensorT<T>& y, bool divide) const {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), true, true);
  y.resize(x.shape());
  const T cx = centre_.value[0] * T(d.w), cy = centre_.value[1] * T(d.h);
  const T inv_d2 = T(4) / (T(d.w) * T(d.w) + T(d.h) * T(d.h));
  const int64_t rows = d.n * d.c * d.h;
#pragma omp parallel for schedule(static) if (x.numel() >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = r % d.h, c = (r / d.h) % d.c;
    const T dy = T(i) + T(0.5) - cy;
    for (int64_t j = 0; j < d.w; ++j) {
      const int colour = d.c == 1 ? cfa_colour_at(this->cfa_, static_cast<int>(i), static_cast<int>(j)) : static_cast<int>(c);
      const T dx = T(j) + T(0.5) - cx;
      const T r2 = (dx * dx + dy * dy) * inv_d2;
      const T* k = k_.value.data() + colour * 3;
      const T g = T(1) + r2 * (k[0] + r2 * (k[1] + r2 * k[2]));
      y[r * d.w + j] = divide ? x[r * d.w + j] / g : x[r * d.w + j] * g;
    }
  }
}

template <class T>
void LensShadingT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  apply(x, y, false);
}

template <class T>
void LensShadingT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                       TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const T cx = centre_.value[0] * T(d.w), cy = centre_.value[1] * T(d.h);
  const T inv_d2 = T(4) / (T(d.w) * T(d.w) + T(d.h) * T(d.h));
  const int64_t rows = d.n * d.c * d.h;
  const bool want_k = k_.requires_grad, want_c = centre_.requires_grad;
  double g_all[11] = {};  // ∂L/∂k (9), then ∂L/∂centre (2)
  double* gk = g_all;
  double* gc = g_all + 9;
  isp_detail::reduce_blocks(rows, 11, x.numel() >= isp_detail::kOmpMinWork, g_all, [&](int64_t r0, int64_t r1, double* l) {
    double lk[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0}, lc[2] = {0, 0};
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i = r % d.h, c = (r / d.h) % d.c;
      const T dy = T(i) + T(0.5) - cy;
      for (int64_t j = 0; j < d.w; ++j) {
        const int colour = d.c == 1 ? cfa_colour_at(this->cfa_, static_cast<int>(i), static_cast<int>(j)) : static_cast<int>(c);
        const T dx = T(j) + T(0.5) - cx;
        const T r2 = (dx * dx + dy * dy) * inv_d2;
        const T* k = k_.value.data() + colour * 3;
        const T g = T(1) + r2 * (k[0] + r2 * (k[1] + r2 * k[2]));
        const T gy = dL_dy[r * d.w + j];
        if (dL_dx) (*dL_dx)[r * d.w + j] += gy * g;
        const double gx = static_cast<double>(gy * x[r * d.w + j]);  // ∂L/∂g
        if (want_k) {
          lk[colour * 3] += gx * r2;
          lk[colour * 3 + 1] += gx * r2 * r2;
          lk[colour * 3 + 2] += gx * r2 * r2 * r2;
        }
        if (want_c) {
          // ∂g/∂r² = k1 + 2 k2 r² + 3 k3 r⁴; ∂r²/∂c_x = −2·dx·W / D², ∂r²/∂c_y = −2·dy·H / D².
          const double dg = k[0] + r2 * (T(2) * k[1] + T(3) * k[2] * r2);
          lc[0] -= gx * dg * 2 * dx * inv_d2 * d.w;
          lc[1] -= gx * dg * 2 * dy * inv_d2 * d.h;
        }
      }
    }
    for (int q = 0; q < 9; ++q) l[q] = lk[q];
    l[9] = lc[0], l[10] = lc[1];
  });
  if (want_k) {
    k_.grad.resize(k_.value.shape());
    for (int q = 0; q < 9; ++q) k_.grad[q] += static_cast<T>(gk[q]);
  }
  if (want_c) {
    centre_.grad.resize(centre_.value.shape());
    centre_.grad[0] += static_cast<T>(gc[0]);
    centre_.grad[1] += static_cast<T>(gc[1]);
  }
}

template <class T>
void LensShadingT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  apply(y, x, true);
}

template class LensShadingT<float>;
template class LensShadingT<double>;

}  // namespace invgfx
