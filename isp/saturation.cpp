// Implementation of isp/saturation.h.
#include "isp/saturation.h"

namespace invgfx {

template <class T>
void SaturationT<T>::set_params(const SaturationParams& p) {
  if (!(p.saturation >= 0 && p.saturation <= 4))
    throw std::invalid_argument("isp stage 'saturation': 'saturation' must be within [0, 4], got " +
                                std::to_string(p.saturation));
  s_.value[0] = static_cast<T>(p.saturation);
}

template <class T>
std::vector<FieldSpec> SaturationT<T>::field_specs() const {
  return {FieldSpec::real("saturation", 0, 4).learnable()};
}

template <class T>
void SaturationT<T>::params_from_json(const nlohmann::json& j) {
  isp_detail::check_keys(j, name(), {"saturation"});
  if (j.contains("saturation")) set_params({isp_detail::read_number(j, name(), "saturation", 0, 4)});
}

template <class T>
void SaturationT<T>::apply(const TensorT<T>& x, TensorT<T>& y, T s) const {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), false, true);
  y.resize(x.shape());
  const int64_t hw = d.h * d.w;
  const T w0 = T(kLumaRec709[0]), w1 = T(kLumaRec709[1]), w2 = T(kLumaRec709[2]);
  for (int64_t n = 0; n < d.n; ++n) {
    const T* r = x.data() + n * 3 * hw;
    T* o = y.data() + n * 3 * hw;
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < hw; ++i) {
      const T Y = w0 * r[i] + w1 * r[hw + i] + w2 * r[2 * hw + i];
      for (int c = 0; c < 3; ++c) o[c * hw + i] = Y + s * (r[c * hw + i] - Y);
    }
  }
}

template <class T>
void SaturationT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  isp_detail::image_dims(x.shape(), name(), false, true);
  if (s_.value[0] == T(1)) { y.copy_from(x); return; }  // exact identity
  apply(x, y, s_.value[0]);
}

template <class T>
void SaturationT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                      TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const int64_t hw = d.h * d.w;
  const T s = s_.value[0];
  const T w[3] = {T(kLumaRec709[0]), T(kLumaRec709[1]), T(kLumaRec709[2])};
  double gs = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const T* r = x.data() + n * 3 * hw;
    const T* g = dL_dy.data() + n * 3 * hw;
    T* dx = dL_dx ? dL_dx->data() + n * 3 * hw : nullptr;
    isp_detail::reduce_blocks(hw, 1, hw >= isp_detail::kOmpMinWork, &gs, [&](int64_t i0, int64_t i1, double* l) {
      for (int64_t i = i0; i < i1; ++i) {
        const T Y = w[0] * r[i] + w[1] * r[hw + i] + w[2] * r[2 * hw + i];
        const T gsum = g[i] + g[hw + i] + g[2 * hw + i];
        for (int c = 0; c < 3; ++c) {
          *l += static_cast<double>(g[c * hw + i] * (r[c * hw + i] - Y));
          if (dx) dx[c * hw + i] += s * g[c * hw + i] + (T(1) - s) * w[c] * gsum;
        }
      }
    });
  }
  if (s_.requires_grad) {
    s_.grad.resize(s_.value.shape());
    s_.grad[0] += static_cast<T>(gs);
  }
}

template <class T>
void SaturationT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  // Luma is preserved, so x = Y + (y − Y)/s.
  if (s_.value[0] == T(0)) throw std::logic_error("isp stage 'saturation': saturation 0 cannot be inverted");
  apply(y, x, T(1) / s_.value[0]);
}

template class SaturationT<float>;
template class SaturationT<double>;

}  // namespace invgfx
