// Implementation of app/nets/raw_denoiser.h.
#include "app/nets/raw_denoiser.h"

#include "core/activations.h"
#include "core/conv2d.h"
#include "core/init.h"
#include "core/sequential.h"

#include <stdexcept>

namespace invgfx {

namespace {

constexpr double kLeakySlope = 0.2;

// Packs N×1×H×W into N×4×H/2×W/2, plane k = site (k / 2, k % 2) of each 2×2 tile; `unpack` is its
// inverse and adjoint (it is a permutation). unpack adds `scale`·packed into `out`.
template <class T>
void pack(const TensorT<T>& x, TensorT<T>& p) {
  const Dims4 d = as4d(x.shape());
  const int64_t h2 = d.h / 2, w2 = d.w / 2;
  p.resize({d.n, 4, h2, w2});
#pragma omp parallel for collapse(2) schedule(static) if (d.n * d.h * d.w > (1 << 16))
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t y = 0; y < h2; ++y) {
      const T* r0 = x.data() + (n * d.h + 2 * y) * d.w;
      const T* r1 = r0 + d.w;
      T* q = p.data() + n * 4 * h2 * w2 + y * w2;
      for (int64_t x2 = 0; x2 < w2; ++x2) {
        q[x2] = r0[2 * x2];
        q[h2 * w2 + x2] = r0[2 * x2 + 1];
        q[2 * h2 * w2 + x2] = r1[2 * x2];
        q[3 * h2 * w2 + x2] = r1[2 * x2 + 1];
      }
    }
}

template <class T>
void unpack_add(const TensorT<T>& p, T scale, TensorT<T>& out) {
  const Dims4 d = as4d(out.shape());
  const int64_t h2 = d.h / 2, w2 = d.w / 2;
#pragma omp parallel for collapse(2) schedule(static) if (d.n * d.h * d.w > (1 << 16))
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t y = 0; y < h2; ++y) {
      T* r0 = out.data() + (n * d.h + 2 * y) * d.w;
      T* r1 = r0 + d.w;
      const T* q = p.data() + n * 4 * h2 * w2 + y * w2;
      for (int64_t x2 = 0; x2 < w2; ++x2) {
        r0[2 * x2] += scale * q[x2];
        r0[2 * x2 + 1] += scale * q[h2 * w2 + x2];
        r1[2 * x2] += scale * q[2 * h2 * w2 + x2];
        r1[2 * x2 + 1] += scale * q[3 * h2 * w2 + x2];
      }
    }
}

}  // namespace

template <class T>
struct RawDenoiserT<T>::Impl {
  RawDenoiserOptions opt;
  SequentialT<T> net{"raw_denoiser"};
  TensorT<T> packed, residual, dres, dpacked;
};

template <class T>
RawDenoiserT<T>::RawDenoiserT(const RawDenoiserOptions& o) : impl_(std::make_unique<Impl>()) {
  if (o.features < 1) throw std::invalid_argument("RawDenoiser: features must be ≥ 1, got " + std::to_string(o.features));
  if (!(o.scale > 0)) throw std::invalid_argument("RawDenoiser: scale must be > 0");
  impl_->opt = o;
  SequentialT<T>& net = impl_->net;
  net.template emplace<Conv2dT<T>>("conv1", Conv2dOptions::square(4, o.features, 3, 1, 1));
  net.template emplace<LeakyReLUT<T>>("act1", kLeakySlope);
  net.template emplace<Conv2dT<T>>("conv2", Conv2dOptions::square(o.features, o.features, 3, 1, 1));
  net.template emplace<LeakyReLUT<T>>("act2", kLeakySlope);
  auto& last = net.template emplace<Conv2dT<T>>("conv3", Conv2dOptions::square(o.features, 4, 3, 1, 1));
  init_default(net, o.seed);
  last.weight().value.zero();  // a fresh denoiser is the identity
  last.bias().value.zero();
  net.visit_parameters([](ParameterT<T>& p) { p.group = group::kIsp; });
}

template <class T>
RawDenoiserT<T>::~RawDenoiserT() = default;

template <class T>
void RawDenoiserT<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  Impl& m = *impl_;
  const Dims4 d = as4d(x.shape());
  if (d.c != 1 || d.h % 2 != 0 || d.w % 2 != 0 || d.h < 2 || d.w < 2)
    throw std::invalid_argument("RawDenoiser: the mosaic must be N×1×H×W with H, W even, got " + x.shape().str());
  pack(x, m.packed);
  m.net.forward(m.packed, m.residual);
  y.copy_from(x);
  unpack_add(m.residual, static_cast<T>(m.opt.scale), y);
}

template <class T>
void RawDenoiserT<T>::backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) {
  Impl& m = *impl_;
  if (dL_dy.numel() != x.numel()) throw std::invalid_argument("RawDenoiser::backward: dL_dy does not match the mosaic");
  // dL/dresidual = s·pack(dL/dy); dL/dx = dL/dy + unpack(dL/dpacked).
  pack(dL_dy, m.dres);
  const T s = static_cast<T>(m.opt.scale);
  for (T& v : m.dres) v *= s;
  TensorT<T>* dp = nullptr;
  if (dL_dx) {
    m.dpacked.resize(m.packed.shape());
    m.dpacked.zero();
    dp = &m.dpacked;
  }
  m.net.backward(m.packed, m.residual, m.dres, dp);
  if (dL_dx) {
    for (int64_t i = 0; i < x.numel(); ++i) (*dL_dx)[i] += dL_dy[i];
    unpack_add(m.dpacked, T(1), *dL_dx);
  }
}

template <class T>
void RawDenoiserT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  impl_->net.visit_parameters(visit);
}

template class RawDenoiserT<float>;
template class RawDenoiserT<double>;

}  // namespace invgfx
