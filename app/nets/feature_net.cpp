// Implementation of app/nets/feature_net.h.
#include "app/nets/feature_net.h"

#include "core/activations.h"
#include "core/conv2d.h"
#include "core/init.h"
#include "core/sequential.h"
#include "core/weights_io.h"

#include <stdexcept>
#include <vector>

namespace invgfx {

namespace {
constexpr double kLeakySlope = 0.2;
constexpr const char* kGroup = "features";
}  // namespace

// Two copies of the network, one per branch, so each keeps its own activations and the backward of a
// branch nobody needs is skipped (in the loop, the photo branch when the photo is fixed and the
// features are frozen). The copy of branch a owns the parameters; the copy of branch b takes their
// values at every forward and hands its weight gradients back to them.
template <class T>
struct FeatureNetT<T>::Impl {
  SequentialT<T> a{"feature_net"}, b{"feature_net"};
  std::vector<ParameterT<T>*> pa, pb;  // the same parameters of each copy, in visit order
};

namespace {

template <class T>
void build(SequentialT<T>& net, int channels) {
  net.template emplace<Conv2dT<T>>("conv1", Conv2dOptions::square(3, 16, 3, 1, 1));
  net.template emplace<LeakyReLUT<T>>("act1", kLeakySlope);
  net.template emplace<Conv2dT<T>>("conv2", Conv2dOptions::square(16, 32, 4, 2, 1));
  net.template emplace<LeakyReLUT<T>>("act2", kLeakySlope);
  net.template emplace<Conv2dT<T>>("conv3", Conv2dOptions::square(32, channels, 4, 2, 1));
}

template <class T>
void check_image(const TensorT<T>& x, const char* what) {
  if (x.rank() != 4 || x.dim(1) != 3 || x.dim(2) % 4 != 0 || x.dim(3) % 4 != 0 || x.dim(2) < 4 || x.dim(3) < 4)
    throw std::invalid_argument(std::string("FeatureNet: ") + what + " must be N×3×H×W with H, W divisible by 4, got " +
                                x.shape().str());
}

// Adds src into *dst, which takes src's shape (zeroed first) when it has another.
template <class T>
void add_into(const TensorT<T>& src, TensorT<T>* dst) {
  if (dst->shape() != src.shape()) {
    dst->resize(src.shape());
    dst->zero();
  }
  for (int64_t i = 0; i < src.numel(); ++i) (*dst)[i] += src[i];
}

}  // namespace

template <class T>
FeatureNetT<T>::FeatureNetT(const FeatureNetOptions& o) : impl_(std::make_unique<Impl>()) {
  if (o.channels < 1) throw std::invalid_argument("FeatureNet: channels must be ≥ 1, got " + std::to_string(o.channels));
  Impl& m = *impl_;
  build(m.a, o.channels);
  build(m.b, o.channels);
  init_default(m.a, o.seed);
  m.a.visit_parameters([](ParameterT<T>& p) {
    p.group = kGroup;
    p.requires_grad = false;  // fixed features unless the caller unfreezes them
  });
  if (!o.weights_path.empty()) {
    try {
      load_weights(m.a, o.weights_path);
    } catch (const std::exception& e) {
      throw std::runtime_error("feature network weights " + o.weights_path + ": " + e.what());
    }
  }
  m.pa = collect_parameters<T>(m.a);
  m.pb = collect_parameters<T>(m.b);
}

template <class T>
FeatureNetT<T>::~FeatureNetT() = default;

template <class T>
void FeatureNetT<T>::forward_pair(const TensorT<T>& a, const TensorT<T>& b, TensorT<T>& fa, TensorT<T>& fb) {
  Impl& m = *impl_;
  check_image(a, "a");
  check_image(b, "b");
  if (a.dim(2) != b.dim(2) || a.dim(3) != b.dim(3))
    throw std::invalid_argument("FeatureNet: a " + a.shape().str() + " and b " + b.shape().str() + " differ in size");
  for (size_t i = 0; i < m.pa.size(); ++i) {
    m.pb[i]->value.copy_from(m.pa[i]->value);
    m.pb[i]->requires_grad = m.pa[i]->requires_grad;
  }
  m.a.forward(a, fa);
  m.b.forward(b, fb);
}

template <class T>
void FeatureNetT<T>::forward(const TensorT<T>& a, TensorT<T>& fa) {
  check_image(a, "a");
  impl_->a.forward(a, fa);
}

template <class T>
bool FeatureNetT<T>::trainable() {
  for (ParameterT<T>* p : impl_->pa)
    if (p->requires_grad) return true;
  return false;
}

template <class T>
void FeatureNetT<T>::backward_pair(const TensorT<T>& a, const TensorT<T>& b, const TensorT<T>& fa,
                                   const TensorT<T>& fb, const TensorT<T>& dL_dfa, const TensorT<T>& dL_dfb,
                                   TensorT<T>* dL_da, TensorT<T>* dL_db) {
  Impl& m = *impl_;
  if (dL_dfa.numel() != fa.numel() || dL_dfb.numel() != fb.numel())
    throw std::invalid_argument("FeatureNet::backward_pair: feature gradients do not match the features");
  bool weights = false;
  for (ParameterT<T>* p : m.pa) weights = weights || p->requires_grad;
  // Node convention: the caller's input gradients are added into, sized like the inputs.
  auto prepare = [](const TensorT<T>& x, TensorT<T>* d) {
    if (d && d->shape() != x.shape()) {
      d->resize(x.shape());
      d->zero();
    }
  };
  prepare(a, dL_da);
  prepare(b, dL_db);
  if (dL_da || weights) m.a.backward(a, fa, dL_dfa, dL_da);
  if (dL_db || weights) {
    for (ParameterT<T>* p : m.pb) p->zero_grad();
    m.b.backward(b, fb, dL_dfb, dL_db);
    if (weights)
      for (size_t i = 0; i < m.pa.size(); ++i)
        if (m.pa[i]->requires_grad) add_into(m.pb[i]->grad, &m.pa[i]->grad);
  }
}

template <class T>
void FeatureNetT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  impl_->a.visit_parameters(visit);
}

template class FeatureNetT<float>;
template class FeatureNetT<double>;

}  // namespace invgfx
