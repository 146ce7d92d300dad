// Implementation of isp/sharpen.h.
#include "isp/sharpen.h"

#include "isp/saturation.h"

#include <algorithm>

namespace invgfx {

template <class T>
void SharpenT<T>::set_params(const SharpenParams& p) {
  if (!(p.amount >= 0 && p.amount <= 8)) throw std::invalid_argument("isp stage 'sharpen': 'amount' must be within [0, 8]");
  if (!(p.sigma >= 0.3 && p.sigma <= 8)) throw std::invalid_argument("isp stage 'sharpen': 'sigma' must be within [0.3, 8] px");
  amount_.value[0] = static_cast<T>(p.amount);
  sigma_ = p.sigma;
  const int R = static_cast<int>(std::ceil(3 * sigma_));
  taps_.assign(static_cast<size_t>(2 * R + 1), T(0));
  double sum = 0;
  for (int k = -R; k <= R; ++k) sum += std::exp(-0.5 * k * k / (sigma_ * sigma_));
  for (int k = -R; k <= R; ++k) taps_[static_cast<size_t>(k + R)] = static_cast<T>(std::exp(-0.5 * k * k / (sigma_ * sigma_)) / sum);
}

template <class T>
std::vector<FieldSpec> SharpenT<T>::field_specs() const {
  return {FieldSpec::real("amount", 0, 8).learnable(), FieldSpec::real("sigma", 0.3, 8, "px")};
}

template <class T>
void SharpenT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"amount", "sigma"});
  auto p = params();
  if (j.contains("amount")) p.amount = read_number(j, name(), "amount", 0, 8);
  if (j.contains("sigma")) p.sigma = read_number(j, name(), "sigma", 0.3, 8);
  set_params(p);
}

template <class T>
void SharpenT<T>::luma(const T* x, T* Y, int64_t hw) const {
  const T w0 = T(kLumaRec709[0]), w1 = T(kLumaRec709[1]), w2 = T(kLumaRec709[2]);
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
  for (int64_t i = 0; i < hw; ++i) Y[i] = w0 * x[i] + w1 * x[hw + i] + w2 * x[2 * hw + i];
}

template <class T>
void SharpenT<T>::blur(const T* src, T* dst, T* tmp, int64_t h, int64_t w, bool adjoint) const {
  const int R = static_cast<int>(taps_.size() / 2);
  const T* k = taps_.data() + R;  // k[-R..R]
  if (!adjoint) {
    // Horizontal then vertical, gathering with clamped indices.
#pragma omp parallel for schedule(static) if (h * w >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        T s = 0;
        for (int q = -R; q <= R; ++q) s += k[q] * src[i * w + std::clamp<int64_t>(j + q, 0, w - 1)];
        tmp[i * w + j] = s;
      }
#pragma omp parallel for schedule(static) if (h * w >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        T s = 0;
        for (int q = -R; q <= R; ++q) s += k[q] * tmp[std::clamp<int64_t>(i + q, 0, h - 1) * w + j];
        dst[i * w + j] = s;
      }
    return;
  }
  // Adjoint: transpose of (vertical ∘ horizontal) = horizontalᵀ ∘ verticalᵀ, each a scatter along its
  // own row/column (so rows, resp. column blocks, run in parallel without conflicts).
  std::fill(tmp, tmp + h * w, T(0));
#pragma omp parallel for schedule(static) if (h * w >= isp_detail::kOmpMinWork)
  for (int64_t j0 = 0; j0 < w; j0 += 64) {
    const int64_t j1 = std::min(w, j0 + 64);
    for (int64_t i = 0; i < h; ++i)
      for (int q = -R; q <= R; ++q) {
        T* t = tmp + std::clamp<int64_t>(i + q, 0, h - 1) * w;
        for (int64_t j = j0; j < j1; ++j) t[j] += k[q] * src[i * w + j];
      }
  }
#pragma omp parallel for schedule(static) if (h * w >= isp_detail::kOmpMinWork)
  for (int64_t i = 0; i < h; ++i) {
    T* d = dst + i * w;
    std::fill(d, d + w, T(0));
    for (int64_t j = 0; j < w; ++j)
      for (int q = -R; q <= R; ++q) d[std::clamp<int64_t>(j + q, 0, w - 1)] += k[q] * tmp[i * w + j];
  }
}

template <class T>
void SharpenT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), false, true);
  const T lambda = amount_.value[0];
  if (lambda == T(0)) { y.copy_from(x); return; }  // exact identity
  y.resize(x.shape());
  const int64_t hw = d.h * d.w;
  Y_.resize(Shape{hw});
  B_.resize(Shape{hw});
  tmp_.resize(Shape{hw});
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xs = x.data() + n * 3 * hw;
    T* ys = y.data() + n * 3 * hw;
    luma(xs, Y_.data(), hw);
    blur(Y_.data(), B_.data(), tmp_.data(), d.h, d.w, false);
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < hw; ++i) {
      const T detail = lambda * (Y_[i] - B_[i]);
      ys[i] = xs[i] + detail;
      ys[hw + i] = xs[hw + i] + detail;
      ys[2 * hw + i] = xs[2 * hw + i] + detail;
    }
  }
}

template <class T>
void SharpenT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                   TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const int64_t hw = d.h * d.w;
  const T lambda = amount_.value[0];
  const T w[3] = {T(kLumaRec709[0]), T(kLumaRec709[1]), T(kLumaRec709[2])};
  Y_.resize(Shape{hw});
  B_.resize(Shape{hw});
  tmp_.resize(Shape{hw});
  gY_.resize(Shape{hw});
  gB_.resize(Shape{hw});
  double ga = 0;
  for (int64_t n = 0; n < d.n; ++n) {
    const T* xs = x.data() + n * 3 * hw;
    const T* g = dL_dy.data() + n * 3 * hw;
    // gD = Σ_c G_c is ∂L/∂(Y − B); ∂L/∂Y = λ·(gD − Gᵀ gD).
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < hw; ++i) gY_[i] = g[i] + g[hw + i] + g[2 * hw + i];
    if (amount_.requires_grad) {
      luma(xs, Y_.data(), hw);
      blur(Y_.data(), B_.data(), tmp_.data(), d.h, d.w, false);
      isp_detail::reduce_blocks(hw, 1, hw >= isp_detail::kOmpMinWork, &ga, [&](int64_t i0, int64_t i1, double* l) {
        double s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t i = i0; i < i1; ++i) s += static_cast<double>(gY_[i] * (Y_[i] - B_[i]));
        *l = s;
      });
    }
    if (dL_dx && lambda != T(0)) {
      blur(gY_.data(), gB_.data(), tmp_.data(), d.h, d.w, true);
      T* dx = dL_dx->data() + n * 3 * hw;
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
      for (int64_t i = 0; i < hw; ++i) {
        const T gy = lambda * (gY_[i] - gB_[i]);
        for (int c = 0; c < 3; ++c) dx[c * hw + i] += g[c * hw + i] + w[c] * gy;
      }
    } else if (dL_dx) {
      T* dx = dL_dx->data() + n * 3 * hw;
      for (int64_t i = 0; i < 3 * hw; ++i) dx[i] += g[i];
    }
  }
  if (amount_.requires_grad) {
    amount_.grad.resize(amount_.value.shape());
    amount_.grad[0] += static_cast<T>(ga);
  }
}

template class SharpenT<float>;
template class SharpenT<double>;

}  // namespace invgfx
