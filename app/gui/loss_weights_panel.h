// The dashboard's loss-weight controls: one slider per term of the loss, labelled with the term's
// name as the configuration and metrics.json spell it and explained in its tooltip (both from the
// one table of app/loss_terms.h), and the kinds of the pixel and silhouette terms.
#pragma once

#include "app/gui/panel.h"

namespace invgfx {

class LossWeightsPanel {
 public:
  void attach(const Loop& loop) { weights_ = loop.config().weights; }
  void draw(const PanelContext& ctx);
  const LossWeights& weights() const { return weights_; }

 private:
  LossWeights weights_;
};

}  // namespace invgfx
