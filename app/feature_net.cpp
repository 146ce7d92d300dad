#include "app/feature_net.h"

#include "core/activations.h"
#include "core/conv2d.h"
#include "core/init.h"
#include "core/sequential.h"
#include "core/weights_io.h"

#include <algorithm>
#include <stdexcept>

namespace invgfx {

namespace {
constexpr double kLeakySlope = 0.2;
constexpr const char* kGroup = "features";
}  // namespace

// Both branches run as one batch (a stacked on b): one pass through the shared weights, the weight
// gradient of both branches summed by the same products, and the GEMMs get twice the columns.
template <class T>
struct FeatureNetT<T>::Impl {
  SequentialT<T> net{"feature_net"};
  TensorT<T> x, y, dy, dx;  // stacked input, output, output gradient, input gradient
  int64_t na = 0, nb = 0;   // images of a and b in the last forward
};

template <class T>
FeatureNetT<T>::FeatureNetT(const FeatureNetOptions& o) : impl_(std::make_unique<Impl>()) {
  if (o.channels < 1) throw std::invalid_argument("FeatureNet: channels must be ≥ 1, got " + std::to_string(o.channels));
  SequentialT<T>& net = impl_->net;
  net.template emplace<Conv2dT<T>>("conv1", Conv2dOptions::square(3, 16, 3, 1, 1));
  net.template emplace<LeakyReLUT<T>>("act1", kLeakySlope);
  net.template emplace<Conv2dT<T>>("conv2", Conv2dOptions::square(16, 32, 4, 2, 1));
  net.template emplace<LeakyReLUT<T>>("act2", kLeakySlope);
  net.template emplace<Conv2dT<T>>("conv3", Conv2dOptions::square(32, o.channels, 4, 2, 1));
  init_default(net, o.seed);
  net.visit_parameters([](ParameterT<T>& p) {
    p.group = kGroup;
    p.requires_grad = false;  // fixed features unless the caller unfreezes them
  });
  if (!o.weights_path.empty()) {
    try {
      load_weights(net, o.weights_path);
    } catch (const std::exception& e) {
      throw std::runtime_error("feature network weights " + o.weights_path + ": " + e.what());
    }
  }
}

template <class T>
FeatureNetT<T>::~FeatureNetT() = default;

template <class T>
void FeatureNetT<T>::forward_pair(const TensorT<T>& a, const TensorT<T>& b, TensorT<T>& fa, TensorT<T>& fb) {
  Impl& m = *impl_;
  const Dims4 da = as4d(a.shape()), db = as4d(b.shape());
  auto check = [](const Dims4& d, const char* what) {
    if (d.c != 3 || d.h % 4 != 0 || d.w % 4 != 0 || d.h < 4 || d.w < 4)
      throw std::invalid_argument(std::string("FeatureNet: ") + what + " must be N×3×H×W with H, W divisible by 4, got " +
                                  std::to_string(d.n) + "×" + std::to_string(d.c) + "×" + std::to_string(d.h) + "×" +
                                  std::to_string(d.w));
  };
  check(da, "a");
  check(db, "b");
  if (da.h != db.h || da.w != db.w) throw std::invalid_argument("FeatureNet: a and b differ in size");
  m.na = da.n, m.nb = db.n;
  m.x.resize({da.n + db.n, 3, da.h, da.w});
  std::copy(a.begin(), a.end(), m.x.begin());
  std::copy(b.begin(), b.end(), m.x.begin() + a.numel());
  m.net.forward(m.x, m.y);
  const int64_t per = m.y.numel() / (da.n + db.n);
  fa.resize({da.n, m.y.dim(1), m.y.dim(2), m.y.dim(3)});
  fb.resize({db.n, m.y.dim(1), m.y.dim(2), m.y.dim(3)});
  std::copy(m.y.begin(), m.y.begin() + da.n * per, fa.begin());
  std::copy(m.y.begin() + da.n * per, m.y.end(), fb.begin());
}

template <class T>
void FeatureNetT<T>::backward_pair(const TensorT<T>& a, const TensorT<T>& b, const TensorT<T>& fa,
                                   const TensorT<T>& fb, const TensorT<T>& dL_dfa, const TensorT<T>& dL_dfb,
                                   TensorT<T>* dL_da, TensorT<T>* dL_db) {
  Impl& m = *impl_;
  if (fa.numel() + fb.numel() != m.y.numel() || dL_dfa.numel() != fa.numel() || dL_dfb.numel() != fb.numel() ||
      a.numel() + b.numel() != m.x.numel())
    throw std::invalid_argument("FeatureNet::backward_pair: tensors do not match the last forward_pair");
  bool weights = false;
  m.net.visit_parameters([&](ParameterT<T>& p) { weights = weights || p.requires_grad; });
  if (!dL_da && !dL_db && !weights) return;
  m.dy.resize(m.y.shape());
  std::copy(dL_dfa.begin(), dL_dfa.end(), m.dy.begin());
  std::copy(dL_dfb.begin(), dL_dfb.end(), m.dy.begin() + dL_dfa.numel());
  TensorT<T>* dx = nullptr;
  if (dL_da || dL_db) {
    m.dx.resize(m.x.shape());
    m.dx.zero();
    dx = &m.dx;
  }
  m.net.backward(m.x, m.y, m.dy, dx);
  auto add = [](const T* src, const TensorT<T>& like, TensorT<T>* dst) {
    if (!dst) return;
    if (dst->shape() != like.shape()) {
      dst->resize(like.shape());
      dst->zero();
    }
    for (int64_t i = 0; i < like.numel(); ++i) (*dst)[i] += src[i];
  };
  if (dx) {
    add(m.dx.data(), a, dL_da);
    add(m.dx.data() + a.numel(), b, dL_db);
  }
}

template <class T>
void FeatureNetT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  impl_->net.visit_parameters(visit);
}

template class FeatureNetT<float>;
template class FeatureNetT<double>;

}  // namespace invgfx
