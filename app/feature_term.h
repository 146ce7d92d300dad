// The feature term of the loop's loss on one batch: the renders and the photos through the shared
// feature network (app/nets/feature_net.h), their feature distance (core/feature_distance_loss.h),
// and its gradients back through the network to the renders and, for photos developed from RAW by
// the learnable ISP, to the photos.
//
// A fixed sRGB photo through frozen features gives the same features every step, so those are
// computed once per photo and kept (C×S/4×S/4 floats each); trained features, or photos that change
// (RAW photos developed by the ISP being fitted), are recomputed every time.
#pragma once

#include "app/nets/feature_net.h"
#include "core/feature_distance_loss.h"

#include <span>
#include <vector>

namespace invgfx {

class FeatureTerm {
 public:
  FeatureTerm(FeatureNet& net, int num_photos) : net_(net), kept_(static_cast<size_t>(num_photos)) {}

  // The batch the next evaluate() works on. The tensors are B×3×S×S and must outlive evaluate();
  // `photos_change`: the photo batch is not fixed sRGB (some photo is developed from RAW).
  // With gradients, evaluate() ADDS into *dL_drenders and, when not null, *dL_dphotos.
  void bind(std::span<const int> photos, const Tensor& renders, const Tensor& photo_batch, bool photos_change,
            Tensor* dL_drenders, Tensor* dL_dphotos);
  // weight × the batch's mean feature distance; each photo's share in per_photo().
  double evaluate(double weight);
  const std::vector<double>& per_photo() const { return loss_.item_values(); }

 private:
  void features_of_batch();

  FeatureNet& net_;
  FeatureDistanceLoss loss_;
  std::vector<Tensor> kept_;  // per photo; empty = not computed yet
  std::span<const int> photos_;
  const Tensor* renders_ = nullptr;
  const Tensor* photo_batch_ = nullptr;
  bool photos_change_ = false;
  Tensor* dL_drenders_ = nullptr;
  Tensor* dL_dphotos_ = nullptr;
  Tensor fa_, fb_, dfa_, dfb_, one_;
};

}  // namespace invgfx
