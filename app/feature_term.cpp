// Implementation of app/feature_term.h.
#include "app/feature_term.h"

#include <cstring>

namespace invgfx {

void FeatureTerm::bind(std::span<const int> photos, const Tensor& renders, const Tensor& photo_batch,
                       bool photos_change, Tensor* dL_drenders, Tensor* dL_dphotos) {
  photos_ = photos;
  renders_ = &renders;
  photo_batch_ = &photo_batch;
  photos_change_ = photos_change;
  dL_drenders_ = dL_drenders;
  dL_dphotos_ = dL_dphotos;
}

// fa_ ← features of the renders, fb_ ← features of the photos (kept ones copied in).
void FeatureTerm::features_of_batch() {
  if (net_.trainable() || photos_change_) {
    if (net_.trainable())
      for (Tensor& k : kept_) k.resize({0});
    net_.forward_pair(*renders_, *photo_batch_, fa_, fb_);
    return;
  }
  const int64_t B = static_cast<int64_t>(photos_.size());
  const int64_t one = photo_batch_->numel() / B;
  for (int64_t b = 0; b < B; ++b) {
    Tensor& f = kept_[static_cast<size_t>(photos_[static_cast<size_t>(b)])];
    if (!f.empty()) continue;
    one_.resize({1, photo_batch_->dim(1), photo_batch_->dim(2), photo_batch_->dim(3)});
    std::memcpy(one_.data(), photo_batch_->data() + b * one, sizeof(float) * static_cast<size_t>(one));
    net_.forward(one_, f);
  }
  net_.forward(*renders_, fa_);  // last, so the network's activations are the renders' for backward
  fb_.resize(fa_.shape());
  const int64_t n = fa_.numel() / B;
  for (int64_t b = 0; b < B; ++b)
    std::memcpy(fb_.data() + b * n, kept_[static_cast<size_t>(photos_[static_cast<size_t>(b)])].data(),
                sizeof(float) * static_cast<size_t>(n));
}

double FeatureTerm::evaluate(double weight) {
  features_of_batch();
  LossWeighting<float> w;
  w.scale = static_cast<float>(weight);
  const double value = loss_.forward(fa_, fb_, w);
  if (!dL_drenders_) return value;
  dfa_.resize(fa_.shape());
  dfa_.zero();
  dfb_.resize(fb_.shape());
  dfb_.zero();
  loss_.backward(fa_, fb_, w, 1.f, &dfa_, &dfb_, nullptr);
  // The network's own gradients come from this term alone; in refinement no optimizer zeroes them.
  net_.visit_parameters([](Parameter& p) {
    if (p.requires_grad) p.zero_grad();
  });
  net_.backward_pair(*renders_, *photo_batch_, fa_, fb_, dfa_, dfb_, dL_drenders_, dL_dphotos_);
  return value;
}

}  // namespace invgfx
