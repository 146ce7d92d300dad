// One batch through the loop, as named stages, each one call timed by its name (stage_times.h):
//   develop_photos → encode, decode (the scene source) → render → mosaic → develop → losses
// and, when gradients are wanted, backward in reverse:
//   develop.backward → mosaic.backward → render.backward → decode/encode.backward → develop_photos.backward
// Losses come with their gradients w.r.t. the render, the photo, the silhouette and the mesh (each
// term's value and gradient together, loss_terms.h). The pass leaves every photo's render and terms
// in its slot; it touches no optimizer.
//
// Every stage but the feature network runs per photo, one slot each, in parallel across the batch
// (the camera's copies for the sensor and the ISP: camera_isp.h); the feature network runs once on
// the whole batch. Per-photo pixel weights (from the masks) are built once, at construction, and
// never change. Buffers are reused, so steady state does not allocate.
#pragma once

#include "app/camera_isp.h"
#include "app/dataset.h"
#include "app/feature_term.h"
#include "app/loss_terms.h"
#include "app/scene_source.h"
#include "render/scene_render.h"

#include <memory>
#include <span>
#include <vector>

namespace invgfx {

// One photo of the batch.
struct PassSlot {
  PassSlot(const Mesh& tmpl, const RenderOptions& options) : renderer(tmpl, options), losses(tmpl) {}
  SceneRenderer renderer;
  PhotoLossNodes losses;
  Tensor rgb, alpha;              // linear render 3×S×S (before the sensor), silhouette 1×S×S
  Tensor render, photo;           // sRGB render and photo, 3×S×S
  Tensor d_render, d_photo, d_rgb, d_alpha;
  LossValues terms{};             // weight × each term of this photo (NaN where a term is off)
  double loss = 0;                // their sum (the camera's terms are the loop's)
};

class LoopPass {
 public:
  // `dataset` must outlive the pass. `slots`: the largest batch.
  LoopPass(const Dataset& dataset, const Mesh& tmpl, const RenderOptions& render, int slots);
  ~LoopPass();

  int slots() const { return static_cast<int>(slots_.size()); }
  void set_render_options(const RenderOptions& options);
  // Pairs mirror vertices for the symmetry term (the template must be symmetric under x → −x).
  void set_symmetry(const Mesh& tmpl);

  // The stages above for photos[0..B) (B ≤ slots). With `grad`, backward too: the gradients land
  // in the parameters of `source` and `camera` (and of the feature network when it is trained),
  // added to what is there.
  void run(std::span<const int> photos, SceneSource& source, CameraIsp& camera, FeatureTerm& features,
           const LossWeights& weights, bool grad, StageTimes& times);

  // develop_photos and the source's forward alone: the scenes of `photos`, nothing rendered.
  const std::vector<Scene>& decode(std::span<const int> photos, SceneSource& source, CameraIsp& camera,
                                   StageTimes& times);

  PassSlot& slot(int b) { return *slots_[static_cast<size_t>(b)]; }
  // The scene of slot b from the last run.
  const Scene& scene(int b) const { return (*scenes_)[static_cast<size_t>(b)]; }
  // The photo's pixel weights (mask + kBackgroundWeight·(1 − mask)), or null without a mask.
  const Tensor* pixel_weight(int photo) const;

 private:
  void develop_photos(std::span<const int> photos, CameraIsp& camera, StageTimes& times);
  void render(int batch, StageTimes& times);
  void losses(std::span<const int> photos, FeatureTerm& features, const LossWeights& w, bool grad, StageTimes& times);
  void backward(std::span<const int> photos, SceneSource& source, CameraIsp& camera, StageTimes& times);

  const Dataset& dataset_;
  int size_;
  std::vector<std::unique_ptr<PassSlot>> slots_;
  std::vector<Tensor> pixel_weights_;              // per photo, empty without a mask; fixed after construction
  std::vector<std::vector<Scene>> scenes_by_batch_, dscenes_by_batch_;  // index: batch size
  std::vector<Scene>* scenes_ = nullptr;           // of the last run
  Tensor photos_, d_photos_;                       // B×3×S×S developed photos
  Tensor srgb_, d_srgb_;                          // B×3×S×S renders after the ISP (the feature term's)
  Tensor raw_photos_, developed_, d_developed_;    // the RAW photos of the batch: R×1, R×3 ×S×S
  std::vector<int> raw_rows_;                      // slot of each RAW photo
  std::vector<CfaPattern> raw_cfa_;
};

}  // namespace invgfx
