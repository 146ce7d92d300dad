// Implementation of app/loss_terms.h.
#include "app/loss_terms.h"

#include "app/camera_isp.h"
#include "app/feature_term.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

const char* to_string(PixelLossKind k) { return k == PixelLossKind::kL1 ? "l1" : "charbonnier"; }
PixelLossKind pixel_loss_kind_from_string(const std::string& s) {
  if (s == "l1") return PixelLossKind::kL1;
  if (s == "charbonnier") return PixelLossKind::kCharbonnier;
  throw std::invalid_argument("'" + s + "' is not a pixel loss (l1 | charbonnier)");
}
const char* to_string(SilhouetteLossKind k) { return k == SilhouetteLossKind::kIou ? "iou" : "mse"; }
SilhouetteLossKind silhouette_loss_kind_from_string(const std::string& s) {
  if (s == "iou") return SilhouetteLossKind::kIou;
  if (s == "mse") return SilhouetteLossKind::kMse;
  throw std::invalid_argument("'" + s + "' is not a silhouette loss (iou | mse)");
}

namespace {

// The batch's loss is the mean over its photos: a photo's gradients carry weight / B.
float grad_scale(const PhotoTermContext& c, double weight) { return static_cast<float>(weight / c.batch); }

// A loss of the render against the photo, weighted by the mask's pixel weights.
double image_term(LossT<float>& loss, PhotoTermContext& c, double weight) {
  LossWeighting<float> lw;
  lw.weight = c.pixel_weight;
  const double v = weight * loss.forward(*c.render, *c.photo, lw);
  if (c.grad) loss.backward(*c.render, *c.photo, lw, grad_scale(c, weight), c.dL_drender, c.dL_dphoto, nullptr);
  return v;
}

double pixel(PhotoTermContext& c, double w) {
  if (c.weights->pixel_kind == PixelLossKind::kL1) return image_term(c.nodes->l1, c, w);
  return image_term(c.nodes->charbonnier, c, w);
}

double ssim(PhotoTermContext& c, double w) { return image_term(c.nodes->ssim, c, w); }

double silhouette(PhotoTermContext& c, double w) {
  if (!c.mask) return 0;
  LossT<float>& loss = c.weights->silhouette_kind == SilhouetteLossKind::kMse ? static_cast<LossT<float>&>(c.nodes->mse)
                                                                              : c.nodes->soft_iou;
  const double v = w * loss.forward(*c.alpha, *c.mask, {});
  if (c.grad) loss.backward(*c.alpha, *c.mask, {}, grad_scale(c, w), c.dL_dalpha, nullptr, nullptr);
  return v;
}

// The regularizers return weight·L and add weight·dL/dp: called with weight / B for the gradient's
// share, their value is scaled back by B.
double laplacian(PhotoTermContext& c, double w) {
  return c.batch * c.nodes->mesh.laplacian(*c.positions, c.grad ? c.dL_dpositions : nullptr, grad_scale(c, w));
}
double edge(PhotoTermContext& c, double w) {
  return c.batch * c.nodes->mesh.edge_length(*c.positions, c.grad ? c.dL_dpositions : nullptr, grad_scale(c, w));
}
double normal(PhotoTermContext& c, double w) {
  return c.batch * c.nodes->mesh.normal_consistency(*c.positions, c.grad ? c.dL_dpositions : nullptr, grad_scale(c, w));
}
double symmetry(PhotoTermContext& c, double w) {
  return c.batch * c.nodes->mesh.symmetry(*c.positions, c.grad ? c.dL_dpositions : nullptr, grad_scale(c, w));
}

double feature(FeatureTerm& t, double w) { return t.evaluate(w); }
double isp_prior(CameraIsp& camera, double w, bool grad) { return camera.prior(w, grad); }

using S = LossTerm::Scope;
const std::array<LossTerm, kNumLossTerms> kTerms = {{
    {"pixel", &LossWeights::pixel, S::kPhoto, "per-pixel difference of render and photo (sRGB; L1 or Charbonnier)",
     pixel, nullptr, nullptr},
    {"ssim", &LossWeights::ssim, S::kPhoto, "1 − SSIM of render and photo (11×11 Gaussian window)", ssim, nullptr,
     nullptr},
    {"feature", &LossWeights::feature, S::kBatch,
     "mean squared distance of render and photo in the shared feature network", nullptr, feature, nullptr},
    {"silhouette", &LossWeights::silhouette, S::kPhoto, "render silhouette against the mask (soft IoU or MSE)",
     silhouette, nullptr, nullptr},
    {"laplacian", &LossWeights::laplacian, S::kPhoto, "mesh smoothness: each vertex near its neighbours' mean",
     laplacian, nullptr, nullptr},
    {"edge", &LossWeights::edge, S::kPhoto, "mean squared edge length of the mesh", edge, nullptr, nullptr},
    {"normal", &LossWeights::normal, S::kPhoto, "1 − cosine between the normals of adjacent faces", normal, nullptr,
     nullptr},
    {"symmetry", &LossWeights::symmetry, S::kPhoto, "left/right mirror symmetry of the mesh", symmetry, nullptr,
     nullptr},
    {"isp_prior", &LossWeights::isp_prior, S::kCamera, "squared distance of the ISP parameters from their start",
     nullptr, nullptr, isp_prior},
}};

}  // namespace

const std::array<LossTerm, kNumLossTerms>& loss_terms() { return kTerms; }

int loss_term_index(std::string_view name) {
  for (int t = 0; t < kNumLossTerms; ++t)
    if (name == kTerms[static_cast<size_t>(t)].name) return t;
  return -1;
}

void check_weights(const LossWeights& w) {
  for (const LossTerm& t : kTerms) {
    const double v = w.*t.weight;
    if (!(v >= 0) || !std::isfinite(v))
      throw std::invalid_argument(std::string("config: field 'weights.") + t.name + "' must be finite and ≥ 0");
  }
}

}  // namespace invgfx
