// Implementation of isp/denoise.h.
#include "isp/denoise.h"

#include <algorithm>

namespace invgfx {

template <class T>
void DenoiseT<T>::set_params(const DenoiseParams& p) {
  const std::string stage = "isp stage 'denoise'";
  if (p.radius < 0 || p.radius > 6) throw std::invalid_argument(stage + ": 'radius' must be within [0, 6]");
  if (!(p.sigma_spatial >= 0.3 && p.sigma_spatial <= 10)) throw std::invalid_argument(stage + ": 'sigma_spatial' must be within [0.3, 10] px");
  if (!(p.sigma_range >= 1e-4 && p.sigma_range <= 10)) throw std::invalid_argument(stage + ": 'sigma_range' must be within [1e-4, 10]");
  radius_ = p.radius;
  sigma_s_ = p.sigma_spatial;
  log_sigma_r_.value[0] = static_cast<T>(std::log(p.sigma_range));
}

template <class T>
nlohmann::json DenoiseT<T>::params_to_json() const {
  const auto p = params();
  return {{"radius", p.radius}, {"sigma_spatial", p.sigma_spatial}, {"sigma_range", p.sigma_range}};
}

template <class T>
std::vector<FieldSpec> DenoiseT<T>::field_specs() const {
  return {FieldSpec::integer("radius", 0, 6, "px"), FieldSpec::real("sigma_spatial", 0.3, 10, "px"),
          FieldSpec::real("sigma_range", 1e-4, 10, "linear").learnable().log_scale()};
}

template <class T>
void DenoiseT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"radius", "sigma_spatial", "sigma_range"});
  auto p = params();
  if (j.contains("radius")) p.radius = static_cast<int>(read_number(j, name(), "radius", 0, 6));
  if (j.contains("sigma_spatial")) p.sigma_spatial = read_number(j, name(), "sigma_spatial", 0.3, 10);
  if (j.contains("sigma_range")) p.sigma_range = read_number(j, name(), "sigma_range", 1e-4, 10);
  set_params(p);
}

template <class T>
void DenoiseT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), false, true);
  if (radius_ == 0) { y.copy_from(x); return; }  // exact identity
  y.resize(x.shape());
  const int64_t hw = d.h * d.w;
  wsum_.resize(Shape{d.n, hw});
  const int R = radius_;
  const T inv_2ss = T(1 / (2 * sigma_s_ * sigma_s_));
  const T sr = std::exp(log_sigma_r_.value[0]);
  const T inv_2sr = T(1) / (T(2) * sr * sr);
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xs = x.data() + n * 3 * hw;
    T* ys = y.data() + n * 3 * hw;
    T* W = wsum_.data() + n * hw;
#pragma omp parallel for schedule(static) if (hw * (2 * R + 1) * (2 * R + 1) >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < d.h; ++i)
      for (int64_t j = 0; j < d.w; ++j) {
        const int64_t p = i * d.w + j;
        T acc[3] = {0, 0, 0}, ws = 0;
        for (int64_t qi = std::max<int64_t>(0, i - R); qi <= std::min<int64_t>(d.h - 1, i + R); ++qi)
          for (int64_t qj = std::max<int64_t>(0, j - R); qj <= std::min<int64_t>(d.w - 1, j + R); ++qj) {
            const int64_t q = qi * d.w + qj;
            T dist = 0;
            for (int c = 0; c < 3; ++c) {
              const T e = xs[c * hw + q] - xs[c * hw + p];
              dist += e * e;
            }
            const T sp = T((qi - i) * (qi - i) + (qj - j) * (qj - j));
            const T w = std::exp(-sp * inv_2ss - dist * inv_2sr);
            ws += w;
            for (int c = 0; c < 3; ++c) acc[c] += w * xs[c * hw + q];
          }
        W[p] = ws;
        for (int c = 0; c < 3; ++c) ys[c * hw + p] = acc[c] / ws;
      }
  }
}

template <class T>
void DenoiseT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                                   TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const int64_t hw = d.h * d.w;
  if (radius_ == 0) {
    if (dL_dx)
      for (int64_t i = 0; i < x.numel(); ++i) (*dL_dx)[i] += dL_dy[i];
    return;
  }
  const int R = radius_;
  const T inv_2ss = T(1 / (2 * sigma_s_ * sigma_s_));
  const T sr = std::exp(log_sigma_r_.value[0]);
  const T inv_sr2 = T(1) / (sr * sr), inv_2sr = inv_sr2 / T(2);
  a_.resize(Shape{3, hw});
  b_.resize(Shape{hw});
  double glog = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xs = x.data() + n * 3 * hw;
    const T* ys = y.data() + n * 3 * hw;
    const T* g = dL_dy.data() + n * 3 * hw;
    const T* W = wsum_.data() + n * hw;
    for (int64_t p = 0; p < hw; ++p) {
      T b = 0;
      for (int c = 0; c < 3; ++c) {
        a_[c * hw + p] = g[c * hw + p] / W[p];
        b += a_[c * hw + p] * ys[c * hw + p];
      }
      b_[p] = b;
    }
    T* dx = dL_dx ? dL_dx->data() + n * 3 * hw : nullptr;
    isp_detail::reduce_blocks(d.h, 1, hw * (2 * R + 1) * (2 * R + 1) >= isp_detail::kOmpMinWork, &glog,
                              [&](int64_t i0, int64_t i1, double* lg) {
      double l = 0;
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = 0; j < d.w; ++j) {
          const int64_t q = i * d.w + j;
          T acc[3] = {0, 0, 0};
          for (int64_t ri = std::max<int64_t>(0, i - R); ri <= std::min<int64_t>(d.h - 1, i + R); ++ri)
            for (int64_t rj = std::max<int64_t>(0, j - R); rj <= std::min<int64_t>(d.w - 1, j + R); ++rj) {
              const int64_t r = ri * d.w + rj;
              T dist = 0, ar_xq = 0, aq_xr = 0;
              for (int c = 0; c < 3; ++c) {
                const T e = xs[c * hw + r] - xs[c * hw + q];
                dist += e * e;
                ar_xq += a_[c * hw + r] * xs[c * hw + q];
                aq_xr += a_[c * hw + q] * xs[c * hw + r];
              }
              const T sp = T((ri - i) * (ri - i) + (rj - j) * (rj - j));
              const T w = std::exp(-sp * inv_2ss - dist * inv_2sr);
              const T coef = ((ar_xq - b_[r]) + (aq_xr - b_[q])) * inv_sr2;
              for (int c = 0; c < 3; ++c) acc[c] += w * (a_[c * hw + r] + coef * (xs[c * hw + r] - xs[c * hw + q]));
              // Centre q, neighbour r: ∂L/∂w_qr = a_q·x_r − b_q.
              l += static_cast<double>((aq_xr - b_[q]) * w * dist * inv_sr2);
            }
          if (dx)
            for (int c = 0; c < 3; ++c) dx[c * hw + q] += acc[c];
        }
      *lg = l;
    });
  }
  if (log_sigma_r_.requires_grad) {
    log_sigma_r_.grad.resize(log_sigma_r_.value.shape());
    log_sigma_r_.grad[0] += static_cast<T>(glog);
  }
}

template class DenoiseT<float>;
template class DenoiseT<double>;

}  // namespace invgfx
