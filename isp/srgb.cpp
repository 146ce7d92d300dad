// Implementation of isp/srgb.h.
#include "isp/srgb.h"

namespace invgfx {

template <class T>
std::vector<FieldSpec> SrgbT<T>::field_specs() const {
  return {FieldSpec::boolean("decode")};
}

template <class T>
void SrgbT<T>::params_from_json(const nlohmann::json& j) {
  isp_detail::check_keys(j, name(), {"decode"});
  if (j.contains("decode")) decode_ = isp_detail::read_bool(j, name(), "decode");
}

template <class T>
void SrgbT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  isp_detail::image_dims(x.shape(), name(), true, true);
  y.resize(x.shape());
  const int64_t n = x.numel();
  const T* xs = x.data();
  T* ys = y.data();
  if (decode_) {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) ys[i] = srgb_decode(xs[i]);
  } else {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) ys[i] = srgb_encode(xs[i]);
  }
}

template <class T>
void SrgbT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                                TensorT<T>* dL_dx) {
  if (!dL_dx) return;
  const int64_t n = x.numel();
  const T *xs = x.data(), *ys = y.data(), *g = dL_dy.data();
  T* d = dL_dx->data();
  // The power branch's slope from the output, without a second pow:
  //   encode: dV/dL = (1.055/2.4)·L^{1/2.4 − 1} = (V + 0.055)/(2.4·L)
  //   decode: dL/dV = (2.4/1.055)·((V+0.055)/1.055)^{1.4} = 2.4·L/(V + 0.055)
  if (decode_) {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) {
      const T v = xs[i];
      const T s = v > T(kSrgbEncodedKnee) ? T(2.4) * ys[i] / (v + T(0.055)) : T(1 / 12.92);
      d[i] += g[i] * s;
    }
  } else {
#pragma omp parallel for simd schedule(static) if (n >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < n; ++i) {
      const T l = xs[i];
      const T safe = l > T(kSrgbLinearKnee) ? l : T(kSrgbLinearKnee);
      const T s = l > T(kSrgbLinearKnee) ? (ys[i] + T(0.055)) / (T(2.4) * safe) : T(12.92);
      d[i] += g[i] * s;
    }
  }
}

template <class T>
void SrgbT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  isp_detail::image_dims(y.shape(), name(), true, true);
  x.resize(y.shape());
  const int64_t n = y.numel();
  for (int64_t i = 0; i < n; ++i) x[i] = decode_ ? srgb_encode(y[i]) : srgb_decode(y[i]);
}

template class SrgbT<float>;
template class SrgbT<double>;

}  // namespace invgfx
