// Image losses: the LossT interface (value and gradient together, as in tiny-cuda-nn's losses), the
// masking/weighting convention every loss shares, and LossNodeT, which makes any loss a graph node.
//
// Reduction. With per-element penalty ℓ_i (i over all N·C·H·W elements of pred), mask m and weight w
// broadcast to pred's shape, and scalar weight s:
//   L = s · Σ_i m_i w_i ℓ_i / Σ_i m_i        (Σ_i m_i counts every channel a mask pixel covers)
// i.e. the mean of the weighted penalty over the masked elements of the whole batch. Without a mask,
// m = 1 and the denominator is numel; without a weight, w = 1. The weight scales an element's share
// but not the denominator, so w = 2 on every element doubles L. An empty mask (Σ m = 0) gives L = 0
// and zero gradients, never NaN. Weights are constants; a mask may receive a gradient (a soft
// silhouette used as the mask, say):
//   ∂L/∂m_j = (s · Σ_{i∈E_j} w_i ℓ_i − |E_j| · L) / Σ_i m_i,
// where E_j is the set of pred elements mask element j covers (its channels and images).
//
// Broadcasting of a mask or weight of N'×C'×H×W against pred N×C×H×W (rank 3 tensors read as
// 1×C×H×W, rank 2 as 1×1×H×W): N' ∈ {1, N}, C' ∈ {1, C}, same H and W. So a mask may be per image
// and channel (N×C×H×W), per image (N×1×H×W) or shared by the batch (1×H×W).
#pragma once

#include "core/node.h"
#include "core/tensor.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace invgfx {

template <class T>
struct LossWeighting {
  const TensorT<T>* mask = nullptr;    // values ≥ 0 (soft masks allowed), broadcast as above; default none
  const TensorT<T>* weight = nullptr;  // per-element weight ≥ 0, broadcast as above; default none
  T scale = T(1);                      // scalar weight s on the whole loss; default 1
};

template <class T>
class LossT {
 public:
  virtual ~LossT() = default;
  virtual std::string name() const = 0;

  // Value of the loss. May keep what backward needs (SSIM keeps its local statistics).
  virtual T forward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting) = 0;
  // After forward with the same arguments: ADDS dL_dloss · ∂L/∂pred into *dL_dpred,
  // dL_dloss · ∂L/∂target into *dL_dtarget (both of pred's shape) and dL_dloss · ∂L/∂mask into
  // *dL_dmask (the mask's shape; only with a mask), each when not null.
  virtual void backward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting,
                        T dL_dloss, TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget, TensorT<T>* dL_dmask) = 0;

  // Value and gradient together (the usual call outside a graph).
  T evaluate(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting,
             TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget = nullptr, TensorT<T>* dL_dmask = nullptr) {
    const T value = forward(pred, target, weighting);
    if (dL_dpred || dL_dtarget || dL_dmask) backward(pred, target, weighting, T(1), dL_dpred, dL_dtarget, dL_dmask);
    return value;
  }
};

// Where the mask or weight element for pred element (n, c, h, w) lives:
// offset = n·n_stride + c·c_stride + h·W + w (strides are 0 where the dimension broadcasts).
struct LossBroadcast {
  bool present = false;
  int64_t n_stride = 0, c_stride = 0;
};

// Checks pred against target and the weighting's tensors and returns their broadcast layouts.
// Throws std::invalid_argument naming the loss, the argument and both shapes. (The loss is passed
// rather than its name so that the name string is only built when there is an error.)
template <class T>
void check_loss_inputs(const LossT<T>& loss, const TensorT<T>& pred, const TensorT<T>& target,
                       const LossWeighting<T>& weighting, LossBroadcast& mask, LossBroadcast& weight);

// Σ_i m_i over pred's elements (numel when there is no mask), in double.
template <class T>
double loss_denominator(const TensorT<T>& pred, const LossWeighting<T>& weighting, const LossBroadcast& mask);

// Adds dL_dloss · ∂L/∂m (formula at the top) into dL_dmask, for a loss of value `value` whose
// per-element penalty is penalty_at(e) at flat pred index e. Parallel over mask rows; each mask
// element is written by one thread, so the result does not depend on the thread count.
template <class T, class PenaltyAt>
void add_mask_gradient(const LossT<T>& loss, const Shape& pred_shape, const LossWeighting<T>& weighting,
                       const LossBroadcast& wb, double denom, T value, T dL_dloss, PenaltyAt penalty_at,
                       TensorT<T>& dL_dmask) {
  if (!weighting.mask)
    throw std::invalid_argument(loss.name() + ": a mask gradient was requested but there is no mask");
  if (dL_dmask.shape() != weighting.mask->shape())
    throw std::invalid_argument(loss.name() + ": mask gradient buffer has shape " + dL_dmask.shape().str() +
                                ", expected the mask's " + weighting.mask->shape().str());
  if (!(denom > 0.0)) return;
  const Dims4 d = as4d(pred_shape), md = as4d(weighting.mask->shape());
  const int64_t rows = md.n * md.c * md.h, W = d.w;
  const int64_t count = (d.n / md.n) * (d.c / md.c);
  const T* wt = wb.present ? weighting.weight->data() : nullptr;
  const T s = weighting.scale;
  T* g = dL_dmask.data();
  const double k = static_cast<double>(dL_dloss) / denom;
#pragma omp parallel for schedule(static) if (rows * W * count >= (int64_t{1} << 14))
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t nm = r / (md.c * md.h), cm = (r / md.h) % md.c, h = r % md.h;
    const int64_t n0 = md.n == 1 ? 0 : nm, n1 = md.n == 1 ? d.n : nm + 1;
    const int64_t c0 = md.c == 1 ? 0 : cm, c1 = md.c == 1 ? d.c : cm + 1;
    for (int64_t x = 0; x < W; ++x) {
      double acc = 0.0;
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t e = ((n * d.c + c) * d.h + h) * W + x;
          const T w = wt ? wt[n * wb.n_stride + c * wb.c_stride + h * W + x] : T(1);
          acc += static_cast<double>(w * penalty_at(e));
        }
      g[r * W + x] += static_cast<T>(k * (static_cast<double>(s) * acc - static_cast<double>(count) * static_cast<double>(value)));
    }
  }
}

// A loss as a graph node: inputs pred, target, then the mask when with_mask, then the per-element
// weight when with_weight; one output of shape [1]. The mask gets a gradient, the weight does not.
template <class T>
class LossNodeT : public NodeT<T> {
 public:
  using typename NodeT<T>::In;
  using typename NodeT<T>::Out;

  explicit LossNodeT(std::unique_ptr<LossT<T>> loss, bool with_mask = false, bool with_weight = false,
                     T scale = T(1))
      : loss_(std::move(loss)), with_mask_(with_mask), with_weight_(with_weight), scale_(scale) {}

  std::string name() const override { return loss_->name(); }
  int num_inputs() const override { return 2 + (with_mask_ ? 1 : 0) + (with_weight_ ? 1 : 0); }
  LossT<T>& loss() { return *loss_; }
  void set_scale(T scale) { scale_ = scale; }

  void forward(In in, Out out) override {
    out[0].resize({1});
    out[0][0] = loss_->forward(in[0], in[1], weighting(in));
  }
  void backward(In in, In /*out*/, In dL_dout, Out dL_din) override {
    loss_->backward(in[0], in[1], weighting(in), dL_dout[0][0], dL_din.ptr(0), dL_din.ptr(1),
                    with_mask_ ? dL_din.ptr(2) : nullptr);
  }

 private:
  LossWeighting<T> weighting(In in) const {
    LossWeighting<T> w;
    size_t k = 2;
    if (with_mask_) w.mask = in.ptr(k++);
    if (with_weight_) w.weight = in.ptr(k++);
    w.scale = scale_;
    return w;
  }

  std::unique_ptr<LossT<T>> loss_;
  bool with_mask_, with_weight_;
  T scale_;
};

using Loss = LossT<float>;
using LossD = LossT<double>;
using LossNode = LossNodeT<float>;
using LossNodeD = LossNodeT<double>;

// The reduction shared by the per-element losses (L1, MSE, Charbonnier): Penalty provides
// static T value(T d, T param) and static T derivative(T d, T param) of ℓ(d), d = pred − target.
// Rows (n, c, h) run in parallel; each row's sum goes to its own slot of `partial` and the slots
// are added in order, so the value does not depend on the number of threads.
template <class T, class Penalty>
class PixelwiseLossT : public LossT<T> {
 public:
  explicit PixelwiseLossT(T param = T(0)) : param_(param) {}

  T forward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting) override {
    value_ = run(pred, target, weighting, true, T(0), nullptr, nullptr);
    return value_;
  }
  void backward(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting, T dL_dloss,
                TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget, TensorT<T>* dL_dmask) override {
    if (dL_dpred || dL_dtarget) run(pred, target, weighting, false, dL_dloss, dL_dpred, dL_dtarget);
    if (dL_dmask) {
      LossBroadcast mb, wb;
      check_loss_inputs<T>(*this, pred, target, weighting, mb, wb);
      const T* p = pred.data();
      const T* t = target.data();
      const T param = param_;
      add_mask_gradient<T>(*this, pred.shape(), weighting, wb, loss_denominator(pred, weighting, mb), value_,
                        dL_dloss, [=](int64_t e) { return Penalty::value(p[e] - t[e], param); }, *dL_dmask);
    }
  }

 protected:
  // One fused pass: the value when want_value, the gradients when a buffer is given.
  T run(const TensorT<T>& pred, const TensorT<T>& target, const LossWeighting<T>& weighting, bool want_value,
        T dL_dloss, TensorT<T>* dL_dpred, TensorT<T>* dL_dtarget) {
    LossBroadcast mb, wb;
    check_loss_inputs<T>(*this, pred, target, weighting, mb, wb);
    for (TensorT<T>* g : {dL_dpred, dL_dtarget})
      if (g && g->shape() != pred.shape())
        throw std::invalid_argument(this->name() + ": gradient buffer has shape " + g->shape().str() +
                                    ", expected pred's " + pred.shape().str());
    const double denom = loss_denominator(pred, weighting, mb);
    if (!(denom > 0.0)) return T(0);  // empty mask: nothing to compare

    const Dims4 d = as4d(pred.shape());
    const int64_t rows = d.n * d.c * d.h, W = d.w;
    const T* p = pred.data();
    const T* t = target.data();
    const T* m = mb.present ? weighting.mask->data() : nullptr;
    const T* wt = wb.present ? weighting.weight->data() : nullptr;
    T* gp = dL_dpred ? dL_dpred->data() : nullptr;
    T* gt = dL_dtarget ? dL_dtarget->data() : nullptr;
    const T coef = static_cast<T>(static_cast<double>(dL_dloss * weighting.scale) / denom);
    const T param = param_;
    if (want_value) partial_.resize(static_cast<size_t>(rows));
    double* part = want_value ? partial_.data() : nullptr;

#pragma omp parallel for schedule(static) if (rows * W >= (int64_t{1} << 14))
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / (d.c * d.h), c = (r / d.h) % d.c, h = r % d.h;
      const int64_t e0 = r * W;
      const T* mr = m ? m + n * mb.n_stride + c * mb.c_stride + h * W : nullptr;
      const T* wr = wt ? wt + n * wb.n_stride + c * wb.c_stride + h * W : nullptr;
      double acc = 0.0;
      for (int64_t x = 0; x < W; ++x) {
        const T diff = p[e0 + x] - t[e0 + x];
        const T k = (mr ? mr[x] : T(1)) * (wr ? wr[x] : T(1));
        if (part) acc += static_cast<double>(k * Penalty::value(diff, param));
        if (gp || gt) {
          const T g = coef * k * Penalty::derivative(diff, param);
          if (gp) gp[e0 + x] += g;
          if (gt) gt[e0 + x] -= g;
        }
      }
      if (part) part[r] = acc;
    }
    if (!want_value) return T(0);
    double sum = 0.0;
    for (int64_t r = 0; r < rows; ++r) sum += partial_[static_cast<size_t>(r)];
    return static_cast<T>(static_cast<double>(weighting.scale) * sum / denom);
  }

  T param_;
  T value_ = T(0);               // L of the last forward, for the mask gradient
  std::vector<double> partial_;  // per-row sums; capacity kept across calls
};

}  // namespace invgfx
