// The terms of the loop's loss, in one table: each term's name (the same string in the
// configuration's "weights", StepInfo, metrics.json, the GUI's sliders and plot legend, and the
// README), its weight field, what it measures, and its evaluation. A new term is one row here.
//
//   photo scope   evaluated per photo of the batch on its sRGB render, silhouette and scene; the
//                 batch's value is the mean over its photos
//   batch scope   evaluated once on the whole batch (the feature network runs once for all photos),
//                 with each photo's share reported
//   camera scope  evaluated once per step on the fitted camera (the ISP prior)
//
// Photos with a mask weigh their background pixels by kBackgroundWeight in the pixel and SSIM terms:
// the object dominates, the background colour is still fitted (metrics compare the whole image).
#pragma once

#include "core/charbonnier_loss.h"
#include "core/l1_loss.h"
#include "core/mse_loss.h"
#include "core/soft_iou_loss.h"
#include "core/ssim_loss.h"
#include "render/mesh.h"
#include "render/regularizers.h"

#include <array>
#include <string>
#include <string_view>

namespace invgfx {

class CameraIsp;
class FeatureTerm;

enum class PixelLossKind { kL1, kCharbonnier };
enum class SilhouetteLossKind { kIou, kMse };
const char* to_string(PixelLossKind k);                       // "l1" | "charbonnier"
PixelLossKind pixel_loss_kind_from_string(const std::string& s);  // throws naming the choices
const char* to_string(SilhouetteLossKind k);                  // "iou" | "mse"
SilhouetteLossKind silhouette_loss_kind_from_string(const std::string& s);

// Weights of the terms (each ≥ 0; 0 switches a term off) and the kinds of two of them.
struct LossWeights {
  double pixel = 1.0;        // pixel_kind penalty of render − photo, sRGB
  PixelLossKind pixel_kind = PixelLossKind::kCharbonnier;
  double ssim = 0.2;         // 1 − SSIM of render and photo
  double feature = 0.05;     // feature distance through the shared feature network
  double silhouette = 1.0;   // silhouette against the mask (photos with a mask)
  SilhouetteLossKind silhouette_kind = SilhouetteLossKind::kIou;
  double laplacian = 2.0;    // mesh regularizers (render/regularizers.h)
  double edge = 0.5;
  double normal = 0.05;
  double symmetry = 0.0;     // only useful when the decoder is not symmetric by construction
  double isp_prior = 0.01;   // ISP parameters stay near their start (identity or the RAW metadata)
};

inline constexpr float kBackgroundWeight = 0.1f;

inline constexpr int kNumLossTerms = 9;
using LossValues = std::array<double, kNumLossTerms>;  // by term index; NaN where a term is off

// The loss nodes of one photo of the batch (each keeps what its backward needs).
struct PhotoLossNodes {
  explicit PhotoLossNodes(const Mesh& tmpl) : mesh(tmpl.faces, tmpl.num_vertices()) {}
  CharbonnierLoss charbonnier;
  L1Loss l1;
  SsimLoss ssim;
  MseLoss mse;
  SoftIouLoss soft_iou;
  MeshRegularizer mesh;
};

// What a photo term reads, and where it adds its gradients (scaled by weight / batch size) when
// `grad`: the render, the photo (its gradient feeds a RAW photo's development), the silhouette and
// the scene's positions.
struct PhotoTermContext {
  const Tensor* render = nullptr;        // 3×S×S sRGB
  const Tensor* photo = nullptr;         // 3×S×S sRGB
  const Tensor* alpha = nullptr;         // 1×S×S silhouette
  const Tensor* mask = nullptr;          // 1×S×S, null without a mask
  const Tensor* pixel_weight = nullptr;  // 1×S×S, mask + kBackgroundWeight·(1 − mask); null without a mask
  const Tensor* positions = nullptr;     // V×3
  const LossWeights* weights = nullptr;
  PhotoLossNodes* nodes = nullptr;
  int batch = 1;
  bool grad = false;
  Tensor* dL_drender = nullptr;
  Tensor* dL_dphoto = nullptr;
  Tensor* dL_dalpha = nullptr;
  Tensor* dL_dpositions = nullptr;
};

struct LossTerm {
  enum class Scope { kPhoto, kBatch, kCamera };
  const char* name;
  double LossWeights::*weight;
  Scope scope;
  const char* help;  // what it measures, one line (GUI tooltip, README)
  // Exactly one evaluator, by scope; each returns weight × the term's value.
  double (*photo)(PhotoTermContext& ctx, double weight);
  double (*batch)(FeatureTerm& term, double weight);  // per-photo shares left in the FeatureTerm
  double (*camera)(CameraIsp& camera, double weight, bool grad);
};

// The terms, in the order of LossValues, StepInfo and metrics.json.
const std::array<LossTerm, kNumLossTerms>& loss_terms();
// The index of the term called `name`, or −1.
int loss_term_index(std::string_view name);
inline bool term_active(const LossWeights& w, int t) { return w.*(loss_terms()[static_cast<size_t>(t)].weight) > 0; }
// Every weight finite and ≥ 0; throws std::invalid_argument naming "weights.<term>".
void check_weights(const LossWeights& w);

}  // namespace invgfx
