// Implementation of app/loop_pass.h.
#include "app/loop_pass.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace invgfx {

namespace {

// f(0), …, f(n − 1), one item per thread. A single item runs outside any parallel region: libgomp
// starts fresh threads for every region nested in another (even a one-thread one), and the stages
// inside an item (renderer, losses) are themselves parallel.
template <class F>
void for_each_item(int n, const F& f) {
  if (n == 1) {
    f(0);
    return;
  }
#pragma omp parallel for schedule(static, 1)
  for (int i = 0; i < n; ++i) f(i);
}

// Item b of a batch tensor ↔ a tensor of one item's shape.
void put_item(const Tensor& item, Tensor& batch, int64_t b) {
  std::memcpy(batch.data() + b * item.numel(), item.data(), sizeof(float) * static_cast<size_t>(item.numel()));
}
void get_item(const Tensor& batch, int64_t b, Tensor& item) {
  std::memcpy(item.data(), batch.data() + b * item.numel(), sizeof(float) * static_cast<size_t>(item.numel()));
}

constexpr double kOff = std::numeric_limits<double>::quiet_NaN();

}  // namespace

LoopPass::LoopPass(const Dataset& dataset, const Mesh& tmpl, const RenderOptions& render, int slots)
    : dataset_(dataset), size_(render.size) {
  for (int s = 0; s < slots; ++s) slots_.push_back(std::make_unique<PassSlot>(tmpl, render));
  pixel_weights_.resize(dataset_.photos.size());
  for (size_t i = 0; i < dataset_.photos.size(); ++i) {
    const Tensor& m = dataset_.photos[i].mask;
    if (m.empty()) continue;
    Tensor& t = pixel_weights_[i];
    t.resize(m.shape());
    for (int64_t k = 0; k < t.numel(); ++k) t[k] = m[k] + kBackgroundWeight * (1.f - m[k]);
  }
  scenes_by_batch_.resize(static_cast<size_t>(slots + 1));
  dscenes_by_batch_.resize(static_cast<size_t>(slots + 1));
  for (int b = 0; b <= slots; ++b) {
    scenes_by_batch_[static_cast<size_t>(b)].resize(static_cast<size_t>(b));
    dscenes_by_batch_[static_cast<size_t>(b)].resize(static_cast<size_t>(b));
  }
}

LoopPass::~LoopPass() = default;

void LoopPass::set_render_options(const RenderOptions& options) {
  for (auto& s : slots_) s->renderer.set_options(options);
}

void LoopPass::set_symmetry(const Mesh& tmpl) {
  for (auto& s : slots_) s->losses.mesh.set_mirror(tmpl.positions, 1e-4f);
}

const Tensor* LoopPass::pixel_weight(int photo) const {
  const Tensor& t = pixel_weights_[static_cast<size_t>(photo)];
  return t.empty() ? nullptr : &t;
}

void LoopPass::run(std::span<const int> photos, SceneSource& source, CameraIsp& camera, FeatureTerm& features,
                   const LossWeights& weights, bool grad, StageTimes& times) {
  decode(photos, source, camera, times);
  const int B = static_cast<int>(photos.size());
  render(B, times);
  {
    StageTimer t(times, LoopStage::kMosaic);
    camera.begin_batch(B);
    for_each_item(B, [&](int b) { camera.mosaic(b, slot(b).rgb); });
  }
  {
    StageTimer t(times, LoopStage::kDevelop);
    srgb_.resize({B, 3, size_, size_});
    for_each_item(B, [&](int b) {
      camera.develop(b, slot(b).render);
      put_item(slot(b).render, srgb_, b);
    });
  }
  losses(photos, features, weights, grad, times);
  if (grad) backward(photos, source, camera, times);
}

const std::vector<Scene>& LoopPass::decode(std::span<const int> photos, SceneSource& source, CameraIsp& camera,
                                          StageTimes& times) {
  const int B = static_cast<int>(photos.size());
  if (B < 1 || B > slots()) throw std::invalid_argument("loop pass: a batch of " + std::to_string(B) + " photos");
  scenes_ = &scenes_by_batch_[static_cast<size_t>(B)];
  develop_photos(photos, camera, times);
  source.forward(photos, photos_, *scenes_, times);
  return *scenes_;
}

// sRGB photos as read; RAW photos developed by the camera's ISP (after its denoiser).
void LoopPass::develop_photos(std::span<const int> photos, CameraIsp& camera, StageTimes& times) {
  StageTimer t(times, LoopStage::kDevelopPhotos);
  const int64_t B = static_cast<int64_t>(photos.size()), S = size_;
  photos_.resize({B, 3, S, S});
  raw_rows_.clear();
  raw_cfa_.clear();
  for (int64_t b = 0; b < B; ++b) {
    const Photo& ph = dataset_.photos[static_cast<size_t>(photos[static_cast<size_t>(b)])];
    if (ph.is_raw()) {
      raw_rows_.push_back(static_cast<int>(b));
      raw_cfa_.push_back(ph.raw_settings.cfa);
    } else {
      put_item(ph.srgb, photos_, b);
    }
  }
  const int64_t R = static_cast<int64_t>(raw_rows_.size());
  if (R == 0) return;
  raw_photos_.resize({R, 1, S, S});
  for (int64_t r = 0; r < R; ++r) {
    const int b = raw_rows_[static_cast<size_t>(r)];
    put_item(dataset_.photos[static_cast<size_t>(photos[static_cast<size_t>(b)])].raw, raw_photos_, r);
  }
  camera.develop_photos(raw_photos_, raw_cfa_, developed_);
  for (int64_t r = 0; r < R; ++r)
    std::memcpy(photos_.data() + raw_rows_[static_cast<size_t>(r)] * 3 * S * S, developed_.data() + r * 3 * S * S,
                sizeof(float) * static_cast<size_t>(3 * S * S));
}

void LoopPass::render(int B, StageTimes& times) {
  StageTimer t(times, LoopStage::kRender);
  for_each_item(B, [&](int b) {
    PassSlot& s = slot(b);
    s.renderer.forward(scene(b), s.rgb, s.alpha);
  });
}

void LoopPass::losses(std::span<const int> photos, FeatureTerm& features, const LossWeights& w, bool grad,
                      StageTimes& times) {
  StageTimer timer(times, LoopStage::kLosses);
  const int B = static_cast<int>(photos.size());
  const bool photo_grad = grad && !raw_rows_.empty();
  const auto& terms = loss_terms();
  if (grad) {
    d_srgb_.resize(srgb_.shape());
    if (photo_grad) d_photos_.resize(photos_.shape());
  }
  for_each_item(B, [&](int b) {
    PassSlot& s = slot(b);
    const int photo = photos[static_cast<size_t>(b)];
    const Photo& ph = dataset_.photos[static_cast<size_t>(photo)];
    s.photo.resize({3, size_, size_});
    get_item(photos_, b, s.photo);
    PhotoTermContext c;
    c.render = &s.render;
    c.photo = &s.photo;
    c.alpha = &s.alpha;
    c.mask = ph.mask.empty() ? nullptr : &ph.mask;
    c.pixel_weight = pixel_weight(photo);
    c.positions = &scene(b).positions;
    c.weights = &w;
    c.nodes = &s.losses;
    c.batch = B;
    c.grad = grad;
    if (grad) {
      for (Tensor* g : {&s.d_render, &s.d_photo}) {
        g->resize({3, size_, size_});
        g->zero();
      }
      s.d_alpha.resize({1, size_, size_});
      s.d_alpha.zero();
      Scene& ds = dscenes_by_batch_[static_cast<size_t>(B)][static_cast<size_t>(b)];
      ds.zeros_like_into(scene(b));
      c.dL_drender = &s.d_render;
      c.dL_dphoto = &s.d_photo;
      c.dL_dalpha = &s.d_alpha;
      c.dL_dpositions = &ds.positions;
    }
    for (int t = 0; t < kNumLossTerms; ++t) {
      const LossTerm& term = terms[static_cast<size_t>(t)];
      if (term.scope != LossTerm::Scope::kPhoto) continue;
      s.terms[static_cast<size_t>(t)] = term_active(w, t) ? term.photo(c, w.*term.weight) : kOff;
    }
    if (grad) put_item(s.d_render, d_srgb_, b);
    if (photo_grad) put_item(s.d_photo, d_photos_, b);
  });
  // Batch terms (the feature network runs once for all photos), then each photo's total.
  for (int t = 0; t < kNumLossTerms; ++t) {
    const LossTerm& term = terms[static_cast<size_t>(t)];
    if (term.scope != LossTerm::Scope::kBatch) continue;
    const bool on = term_active(w, t);
    if (on) {
      features.bind(photos, srgb_, photos_, !raw_rows_.empty(), grad ? &d_srgb_ : nullptr,
                    photo_grad ? &d_photos_ : nullptr);
      term.batch(features, w.*term.weight);
    }
    for (int b = 0; b < B; ++b)
      slot(b).terms[static_cast<size_t>(t)] = on ? features.per_photo()[static_cast<size_t>(b)] : kOff;
  }
  for (int b = 0; b < B; ++b) {
    PassSlot& s = slot(b);
    s.loss = 0;
    for (int t = 0; t < kNumLossTerms; ++t)
      if (terms[static_cast<size_t>(t)].scope != LossTerm::Scope::kCamera && term_active(w, t))
        s.loss += s.terms[static_cast<size_t>(t)];
  }
}

void LoopPass::backward(std::span<const int> photos, SceneSource& source, CameraIsp& camera, StageTimes& times) {
  const int B = static_cast<int>(photos.size());
  {
    StageTimer t(times, LoopStage::kDevelopBackward);
    for_each_item(B, [&](int b) {
      PassSlot& s = slot(b);
      get_item(d_srgb_, b, s.d_render);  // the batch terms (features) added theirs there
      camera.develop_backward(b, s.render, s.d_render);
    });
    camera.end_backward(B);
  }
  {
    StageTimer t(times, LoopStage::kMosaicBackward);
    for_each_item(B, [&](int b) { camera.mosaic_backward(b, slot(b).rgb, slot(b).d_rgb); });
  }
  std::vector<Scene>& dscenes = dscenes_by_batch_[static_cast<size_t>(B)];
  {
    StageTimer t(times, LoopStage::kRenderBackward);
    for_each_item(B, [&](int b) {
      PassSlot& s = slot(b);
      s.renderer.backward(scene(b), s.d_rgb, s.d_alpha, dscenes[static_cast<size_t>(b)]);
    });
  }
  const bool photo_grad = !raw_rows_.empty();
  source.backward(photos, photos_, *scenes_, dscenes, photo_grad ? &d_photos_ : nullptr, times);
  if (!photo_grad) return;
  StageTimer t(times, LoopStage::kDevelopPhotosBackward);
  const int64_t R = static_cast<int64_t>(raw_rows_.size()), S = size_;
  d_developed_.resize({R, 3, S, S});
  for (int64_t r = 0; r < R; ++r)
    std::memcpy(d_developed_.data() + r * 3 * S * S, d_photos_.data() + raw_rows_[static_cast<size_t>(r)] * 3 * S * S,
                sizeof(float) * static_cast<size_t>(3 * S * S));
  camera.develop_photos_backward(d_developed_);
}

}  // namespace invgfx
