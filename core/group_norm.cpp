// Implementation of core/group_norm.h.
#include "core/group_norm.h"
#include "core/shape_of.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

template <class T>
GroupNormT<T>::GroupNormT(const GroupNormOptions& opt) : opt_(opt) {
  if (opt.groups < 1 || opt.channels < 1 || opt.channels % opt.groups != 0)
    throw std::invalid_argument("GroupNormOptions: groups (" + std::to_string(opt.groups) +
                                ") must be ≥ 1 and divide channels (" + std::to_string(opt.channels) + ")");
  if (!(opt.eps > 0)) throw std::invalid_argument("GroupNormOptions: eps must be > 0");
  if (opt.affine) {
    weight_ = ParameterT<T>("weight", group::kNet, Shape{opt.channels});
    weight_.value.fill(T(1));
    bias_ = ParameterT<T>("bias", group::kNet, Shape{opt.channels});
  }
}

template <class T>
void GroupNormT<T>::check_input(const Shape& x) const {
  if (x.rank() != 4 || x[1] != opt_.channels)
    throw std::invalid_argument("group_norm: input " + x.str() + " is not N×" + std::to_string(opt_.channels) + "×H×W");
}

template <class T>
void GroupNormT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  check_input(x.shape());
  const int64_t n = x.dim(0), c = opt_.channels, g = opt_.groups, cg = c / g, hw = x.dim(2) * x.dim(3);
  const int64_t m = cg * hw;
  y.resize(x.shape());
  mean_.resize(shape_of({n, g}));
  rstd_.resize(shape_of({n, g}));
  const T* xs = x.data();
  T* ys = y.data();
#pragma omp parallel for schedule(static) if (n * c * hw > 32768)
  for (int64_t ng = 0; ng < n * g; ++ng) {
    const T* xg = xs + ng * m;
    // Two passes (mean, then centred squares) in double: no cancellation for large offsets.
    double s = 0;
    for (int64_t i = 0; i < m; ++i) s += static_cast<double>(xg[i]);
    const double mu = s / static_cast<double>(m);
    double v = 0;
    for (int64_t i = 0; i < m; ++i) {
      const double d = static_cast<double>(xg[i]) - mu;
      v += d * d;
    }
    const T rstd = static_cast<T>(1.0 / std::sqrt(v / static_cast<double>(m) + opt_.eps));
    mean_[ng] = static_cast<T>(mu);
    rstd_[ng] = rstd;
    const T mu_t = static_cast<T>(mu);
    const int64_t c0 = (ng % g) * cg;
    for (int64_t j = 0; j < cg; ++j) {
      const T gamma = opt_.affine ? weight_.value[c0 + j] : T(1);
      const T beta = opt_.affine ? bias_.value[c0 + j] : T(0);
      const T* xc = xg + j * hw;
      T* yc = ys + ng * m + j * hw;
      for (int64_t i = 0; i < hw; ++i) yc[i] = (xc[i] - mu_t) * rstd * gamma + beta;
    }
  }
}

template <class T>
void GroupNormT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  check_input(x.shape());
  const int64_t n = x.dim(0), c = opt_.channels, g = opt_.groups, cg = c / g, hw = x.dim(2) * x.dim(3);
  const int64_t m = cg * hw;
  if (dL_dy.numel() != x.numel()) throw std::invalid_argument("group_norm: dL_dy does not match the input");
  const T *xs = x.data(), *gs = dL_dy.data();
  const bool parallel = n * c * hw > 32768;
  if (opt_.affine && (weight_.requires_grad || bias_.requires_grad)) {
    weight_.grad.resize(weight_.value.shape());
    bias_.grad.resize(bias_.value.shape());
    // Parallel over channels, so each γ_c, β_c has one writer.
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t ch = 0; ch < c; ++ch) {
      double sg = 0, sb = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t ng = i * g + ch / cg;
        const T mu = mean_[ng], rstd = rstd_[ng];
        const T* xc = xs + (i * c + ch) * hw;
        const T* gc = gs + (i * c + ch) * hw;
        for (int64_t k = 0; k < hw; ++k) {
          sg += static_cast<double>(gc[k] * (xc[k] - mu) * rstd);
          sb += static_cast<double>(gc[k]);
        }
      }
      if (weight_.requires_grad) weight_.grad[ch] += static_cast<T>(sg);
      if (bias_.requires_grad) bias_.grad[ch] += static_cast<T>(sb);
    }
  }
  if (!dL_dx) return;
  T* d = dL_dx->data();
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t ng = 0; ng < n * g; ++ng) {
    const T mu = mean_[ng], rstd = rstd_[ng];
    const int64_t c0 = (ng % g) * cg;
    // mean(g) and mean(g·x̂) over the group, with g = γ·dL/dy.
    double s1 = 0, s2 = 0;
    for (int64_t j = 0; j < cg; ++j) {
      const T gamma = opt_.affine ? weight_.value[c0 + j] : T(1);
      const T* xc = xs + ng * m + j * hw;
      const T* gc = gs + ng * m + j * hw;
      for (int64_t k = 0; k < hw; ++k) {
        const double gg = static_cast<double>(gamma * gc[k]);
        s1 += gg;
        s2 += gg * static_cast<double>((xc[k] - mu) * rstd);
      }
    }
    const T m1 = static_cast<T>(s1 / static_cast<double>(m)), m2 = static_cast<T>(s2 / static_cast<double>(m));
    for (int64_t j = 0; j < cg; ++j) {
      const T gamma = opt_.affine ? weight_.value[c0 + j] : T(1);
      const T* xc = xs + ng * m + j * hw;
      const T* gc = gs + ng * m + j * hw;
      T* dc = d + ng * m + j * hw;
      for (int64_t k = 0; k < hw; ++k) dc[k] += (gamma * gc[k] - m1 - (xc[k] - mu) * rstd * m2) * rstd;
    }
  }
}

template <class T>
void GroupNormT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  if (!opt_.affine) return;
  visit(weight_);
  visit(bias_);
}

template class GroupNormT<float>;
template class GroupNormT<double>;

}  // namespace invgfx
