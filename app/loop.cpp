#include "app/loop.h"

#include "core/binary_io.h"
#include "core/adam.h"
#include "core/atomic_file.h"
#include "core/charbonnier_loss.h"
#include "core/l1_loss.h"
#include "core/mse_loss.h"
#include "core/random.h"
#include "core/ssim_loss.h"
#include "isp/sensor.h"
#include "render/regularizers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace invgfx {

const char* to_string(LoopPhase p) {
  switch (p) {
    case LoopPhase::kTraining: return "training";
    case LoopPhase::kRefinement: return "refinement";
    case LoopPhase::kDone: return "done";
  }
  return "?";
}

namespace {

// Term order of StepInfo::terms and metrics.json.
enum Term { kPixel, kSsim, kFeature, kSilhouette, kLaplacian, kEdge, kNormal, kSymmetry, kIspPrior, kNumTerms };
const char* const kTermNames[kNumTerms] = {"pixel", "ssim", "feature", "silhouette", "laplacian",
                                           "edge",  "normal", "symmetry", "isp_prior"};

const char* const kGroups[] = {group::kNet, group::kShape, group::kTexture, group::kLight,
                               group::kCamera, group::kIsp, group::kBackground};
constexpr const char* kFeaturesGroup = "features";

// Background weight of the pixel and SSIM losses outside a photo's mask: the object dominates, the
// background colour is still fitted (metrics compare the whole working square).
constexpr float kBackgroundWeight = 0.1f;

// Calls f(name, group, tensor) for each non-empty tensor of a scene, in a fixed order.
template <class S, class F>
void for_scene_fields(S& s, F f) {
  f("positions", group::kShape, s.positions);
  f("texture", group::kTexture, s.texture);
  f("colors", group::kTexture, s.colors);
  f("light", group::kLight, s.light);
  f("camera", group::kCamera, s.camera);
  f("background", group::kBackground, s.background);
}

// Resizes `g` to the shapes of `like` and zeroes it (no allocation once the shapes are stable).
void zeros_like_into(const Scene& like, Scene& g) {
  const auto z = [](const Tensor& l, Tensor& t) {
    t.resize_like(l);  // an absent field stays absent
    t.zero();
  };
  z(like.positions, g.positions);
  z(like.texture, g.texture);
  z(like.colors, g.colors);
  z(like.light, g.light);
  z(like.camera, g.camera);
  z(like.background, g.background);
}

// f(0), …, f(n − 1), one item per thread. A single item runs outside any parallel region: libgomp
// starts fresh threads for every region nested in another (even a one-thread one), and the stages
// inside an item (renderer, ISP, losses) are themselves parallel.
template <class F>
void for_each_item(int n, const F& f) {
  if (n == 1) {
    f(0);
    return;
  }
#pragma omp parallel for schedule(static, 1)
  for (int i = 0; i < n; ++i) f(i);
}

bool all_finite(const float* p, int64_t n) {
  bool ok = true;
#pragma omp parallel for reduction(&& : ok) schedule(static) if (n >= (int64_t{1} << 16))
  for (int64_t i = 0; i < n; ++i) ok = ok && std::isfinite(p[i]);
  return ok;
}

void copy_slice(const Tensor& src, Tensor& dst_batch, int64_t b) {
  std::memcpy(dst_batch.data() + b * src.numel(), src.data(), sizeof(float) * static_cast<size_t>(src.numel()));
}
void copy_from_slice(const Tensor& src_batch, int64_t b, Tensor& dst) {
  std::memcpy(dst.data(), src_batch.data() + b * dst.numel(), sizeof(float) * static_cast<size_t>(dst.numel()));
}

// The render-side ISP of the config: the sensor stage (first, if present) split from the rest, so that
// the rest can also develop real RAW photos.
struct IspSpec {
  SensorParams sensor;
  bool sensor_enabled = true;
  nlohmann::json pipeline;
};

IspSpec isp_spec(const nlohmann::json& config_isp) {
  nlohmann::json j = config_isp;
  if (j.is_null()) {
    const auto path = assets_dir() / "isp" / "default.json";
    std::ifstream f(path);
    if (!f) throw std::invalid_argument("loop: cannot open the default ISP '" + path.string() + "'");
    j = nlohmann::json::parse(f);
  }
  IspSpec spec;
  if (!j.is_object() || !j.contains("stages") || !j["stages"].is_array())
    throw std::invalid_argument("config: field 'isp' must be an IspPipeline JSON object with 'stages'");
  nlohmann::json stages = nlohmann::json::array();
  for (size_t i = 0; i < j["stages"].size(); ++i) {
    const auto& s = j["stages"][i];
    if (s.is_object() && s.value("stage", "") == "sensor") {
      if (i != 0) throw std::invalid_argument("config: field 'isp': the sensor stage must come first");
      Sensor sensor;
      if (s.contains("params")) sensor.params_from_json(s["params"]);
      spec.sensor = sensor.params();
      if (s.contains("enabled")) spec.sensor_enabled = s["enabled"].get<bool>();
      continue;
    }
    stages.push_back(s);
  }
  spec.pipeline = j;
  spec.pipeline["stages"] = stages;
  IspPipeline::from_json(spec.pipeline);  // validates, throws naming the stage and field
  return spec;
}

// Copies the parameter values (and learnable flags) of `from` into `to`, which has the same structure.
template <class A, class B>
void sync_parameters(A& from, B& to) {
  std::vector<Parameter*> src = collect_parameters<float>(from), dst = collect_parameters<float>(to);
  for (size_t i = 0; i < src.size() && i < dst.size(); ++i) {
    std::memcpy(dst[i]->value.data(), src[i]->value.data(), sizeof(float) * static_cast<size_t>(src[i]->value.numel()));
    dst[i]->requires_grad = src[i]->requires_grad;
  }
}

struct OptBox {
  std::unique_ptr<Adam> opt;
  // Divergence guard: the state before the step in progress, of the parameters the step may change
  // (frozen ones it leaves alone). The optimiser's state tensors and counters, found once per
  // optimiser: Adam visits the step count, then per parameter its count and moments m, v.
  std::vector<Tensor> values, states;
  std::vector<int64_t> ints;
  std::vector<Tensor*> state_tensors;
  std::vector<int64_t*> state_ints;
  std::vector<char> changed;  // per parameter: not frozen, so backed up
  bool state_found = false;

  void reset(std::unique_ptr<Adam> o) {
    opt = std::move(o);
    state_found = false;
  }
};

}  // namespace

struct Loop::Impl {
  LoopConfig cfg;
  Dataset ds;
  int S = 0;
  int slots = 1;
  Mesh tmpl;

  std::unique_ptr<Sequential> encoder;
  std::unique_ptr<SceneDecoder> decoder;
  std::unique_ptr<FeatureNet> features;
  std::unique_ptr<RawDenoiser> denoiser;
  IspSpec spec;
  IspPipeline isp;  // the fitted camera ISP; slots develop with synchronised copies of it
  std::vector<Parameter*> isp_learnable;
  std::vector<Tensor> isp_init;  // θ0 of the ISP prior
  uint64_t sensor_frame = 0;
  bool any_raw = false;

  struct Slot {
    explicit Slot(const Mesh& m, const RenderOptions& o, const std::vector<int32_t>& faces, int64_t V)
        : renderer(m, o), reg(faces, V) {}
    SceneRenderer renderer;
    Sensor sensor;
    IspPipeline isp, photo_isp;
    MeshRegularizer reg;
    CharbonnierLoss charbonnier;
    L1Loss l1;
    SsimLoss ssim, ssim_eval;
    MseLoss sil_mse;
    Scene scene, dscene;
    Tensor rgb, alpha, mosaic, srgb, photo, d_srgb, d_mosaic, d_rgb, d_alpha, d_photo, raw_in, raw_dev, d_raw;
    double terms[kNumTerms] = {};
    double loss = 0;
  };
  std::vector<std::unique_ptr<Slot>> slot;

  // Batched tensors (B×…).
  Tensor P, Rs, dP, dRs, code, dcode, fa, fb, dfa, dfb, raw_batch, raw_out, d_raw_out, d_raw_batch;
  std::vector<Scene> scenes;
  std::vector<int> raw_slots;

  // Optimisation.
  OptBox train_opt, isp_opt;
  std::vector<OptBox> photo_opt;                        // refinement, one per photo
  std::vector<std::vector<Parameter>> photo_params;     // refinement scene of each photo
  bool refining = false;
  int64_t iteration = 0;
  double guard_factor = 1.0;
  Rng rng;
  std::vector<int> perm;
  int64_t perm_pos = 0, refine_pos = 0;
  std::vector<double> photo_loss;
  int64_t steps_run = 0;
  double seconds_run = 0;
  std::vector<int> batch;

  Impl(const LoopConfig& c, Dataset d) : cfg(c), ds(std::move(d)), rng(c.seed) {
    cfg.encoder.image_size = cfg.render.size;
    cfg.encoder.out_features = cfg.decoder.code_size;
    cfg.decoder.light = cfg.render.light;
    cfg.check();
    S = cfg.render.size;
    if (ds.photos.empty()) throw std::invalid_argument("loop: the dataset has no photos");
    for (const Photo& p : ds.photos) {
      if (p.srgb.shape() != Shape({3, S, S}))
        throw std::invalid_argument("loop: photo '" + p.path.string() + "' is " + p.srgb.shape().str() +
                                    ", expected [3, " + std::to_string(S) + ", " + std::to_string(S) +
                                    "] (config render.size)");
      if (!p.mask.empty() && p.mask.shape() != Shape({1, S, S}))
        throw std::invalid_argument("loop: mask of '" + p.path.string() + "' is " + p.mask.shape().str());
      if (p.is_raw()) {
        if (p.raw.shape() != Shape({1, S, S}))
          throw std::invalid_argument("loop: RAW mosaic of '" + p.path.string() + "' is " + p.raw.shape().str());
        any_raw = true;
      }
    }
    const int n = static_cast<int>(ds.photos.size());
    slots = std::min(cfg.batch_size, n);
    tmpl = make_scene_template(cfg.icosphere_level, static_cast<float>(cfg.template_radius), cfg.template_obj);

    encoder = make_encoder<float>(cfg.encoder);
    decoder = std::make_unique<SceneDecoder>(tmpl, cfg.decoder);
    features = std::make_unique<FeatureNet>(cfg.features);
    if (cfg.raw_denoiser && any_raw) denoiser = std::make_unique<RawDenoiser>(cfg.denoiser);

    spec = isp_spec(cfg.isp);
    isp = IspPipeline::from_json(spec.pipeline);
    for (const Photo& p : ds.photos)
      if (p.is_raw()) {  // start from the camera's own metadata (and keep near it)
        isp.apply_raw_settings(p.raw_settings);
        break;
      }
    const nlohmann::json isp_json = isp.to_json();
    isp.visit_parameters([&](Parameter& p) {
      if (p.requires_grad) {
        isp_learnable.push_back(&p);
        isp_init.push_back(p.value);
      }
    });

    for (int s = 0; s < slots; ++s) {
      auto sl = std::make_unique<Slot>(tmpl, cfg.render, tmpl.faces, tmpl.num_vertices());
      sl->sensor.set_params(spec.sensor);
      sl->sensor.set_enabled(spec.sensor_enabled);
      sl->sensor.set_cfa(isp.cfa());
      sl->isp = IspPipeline::from_json(isp_json);
      sl->photo_isp = IspPipeline::from_json(isp_json);
      if (cfg.weights.symmetry > 0) sl->reg.set_mirror(tmpl.positions, 1e-4f);
      slot.push_back(std::move(sl));
    }

    // Optimisers: the network (encoder, heads, feature net) in training; the ISP (and the RAW
    // denoiser) in both phases; each photo's scene in refinement.
    std::vector<Parameter*> tp = collect_parameters<float>(*encoder);
    for (Parameter* p : collect_parameters<float>(*decoder)) tp.push_back(p);
    for (Parameter* p : collect_parameters<float>(*features)) {
      if (p->group == group::kNet) p->group = kFeaturesGroup;  // the loss's network is not the reconstruction net
      tp.push_back(p);
    }
    name_unique(tp, {"encoder", "decoder", "features"},
                {collect_parameters<float>(*encoder).size(), collect_parameters<float>(*decoder).size()});
    train_opt.reset(make_adam(tp));
    std::vector<Parameter*> ip = isp_learnable;
    if (denoiser)
      for (Parameter* p : collect_parameters<float>(*denoiser)) ip.push_back(p);
    isp_opt.reset(make_adam(ip));
    apply_groups();

    photo_loss.assign(static_cast<size_t>(n), std::numeric_limits<double>::quiet_NaN());
    perm.resize(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng.engine());
    scenes.resize(static_cast<size_t>(slots));
  }

  // Parameter names must be unique within an optimiser (guard reports, state files): prefix each
  // owner's parameters with the owner's name.
  static void name_unique(std::vector<Parameter*>& ps, const std::vector<std::string>& owners,
                          const std::vector<size_t>& counts) {
    size_t i = 0;
    for (size_t o = 0; o < owners.size(); ++o) {
      const size_t end = o < counts.size() ? i + counts[o] : ps.size();
      for (; i < end && i < ps.size(); ++i)
        if (ps[i]->name.rfind(owners[o] + ".", 0) != 0) ps[i]->name = owners[o] + "." + ps[i]->name;
    }
  }

  std::unique_ptr<Adam> make_adam(std::vector<Parameter*> ps) {
    AdamSettings a;
    a.lr = cfg.lr;
    auto opt = std::make_unique<Adam>(std::move(ps), a);
    opt->set_max_grad_norm(cfg.max_grad_norm);
    return opt;
  }

  GroupSettings group_settings(const std::string& g) const {
    auto it = cfg.groups.find(g);
    if (it != cfg.groups.end()) return it->second;
    GroupSettings s;
    if (g == kFeaturesGroup) s.frozen = true;  // fixed random features unless the config says otherwise
    return s;
  }

  void apply_groups(Adam& opt) {
    opt.set_lr(cfg.lr * guard_factor);
    for (const char* g : kGroups) {
      GroupSettings s = group_settings(g);
      if (s.lr) s.lr = *s.lr * guard_factor;
      opt.set_group(g, s);
    }
    GroupSettings f = group_settings(kFeaturesGroup);
    if (f.lr) f.lr = *f.lr * guard_factor;
    opt.set_group(kFeaturesGroup, f);
  }
  void apply_groups() {
    apply_groups(*train_opt.opt);
    apply_groups(*isp_opt.opt);
    for (OptBox& b : photo_opt) apply_groups(*b.opt);
  }

  int train_iterations() const {
    return static_cast<int>(std::llround(cfg.train_fraction * cfg.iterations));
  }

  LoopPhase phase() const {
    if (iteration >= cfg.iterations) return LoopPhase::kDone;
    return refining ? LoopPhase::kRefinement : LoopPhase::kTraining;
  }

  // ---- forward / backward of one batch ------------------------------------------------------------

  // Runs the loop on photos `idx` (≤ slots of them): fills every slot's render, losses and terms.
  // With `grad`, also runs backward and leaves the gradients in the parameters (zeroed first).
  // `train`: scenes come from the network; otherwise from the photos' refinement parameters.
  void run(const std::vector<int>& idx, bool train, bool grad) {
    const int B = static_cast<int>(idx.size());
    const LossWeights& w = cfg.weights;
    if (grad) zero_grads();
    // Synchronise every slot's ISP copy with the fitted one.
    for (int b = 0; b < B; ++b) {
      Slot& s = *slot[static_cast<size_t>(b)];
      sync_parameters(isp, s.isp);
      sync_parameters(isp, s.photo_isp);
      s.sensor.set_frame(sensor_frame);
    }

    // Photos: sRGB as read, or RAW developed by the same ISP (after the optional denoiser).
    P.resize({B, 3, S, S});
    raw_slots.clear();
    for (int b = 0; b < B; ++b) {
      const Photo& ph = ds.photos[static_cast<size_t>(idx[static_cast<size_t>(b)])];
      if (ph.is_raw()) raw_slots.push_back(b);
      else copy_slice(ph.srgb, P, b);
    }
    const int R = static_cast<int>(raw_slots.size());
    if (R > 0) {
      raw_batch.resize({R, 1, S, S});
      for (int r = 0; r < R; ++r)
        copy_slice(ds.photos[static_cast<size_t>(idx[static_cast<size_t>(raw_slots[static_cast<size_t>(r)])])].raw,
                   raw_batch, r);
      const Tensor* raw_src = &raw_batch;
      if (denoiser) {
        denoiser->forward(raw_batch, raw_out);
        raw_src = &raw_out;
      }
      for_each_item(R, [&](int r) {
        const int b = raw_slots[static_cast<size_t>(r)];
        Slot& s = *slot[static_cast<size_t>(b)];
        const Photo& ph = ds.photos[static_cast<size_t>(idx[static_cast<size_t>(b)])];
        s.raw_in.resize({1, S, S});
        copy_from_slice(*raw_src, r, s.raw_in);
        s.photo_isp.set_cfa(ph.raw_settings.cfa);
        s.photo_isp.forward(s.raw_in, s.raw_dev);
        copy_slice(s.raw_dev, P, b);
      });
    }

    // Scenes.
    scenes.resize(static_cast<size_t>(std::max<int>(B, static_cast<int>(scenes.size()))));
    if (train) {
      encoder->forward(P, code);
      std::vector<Scene>& sc = scenes;
      if (static_cast<int>(sc.size()) != B) sc.resize(static_cast<size_t>(B));
      decoder->forward(code, sc);
    } else {
      for (int b = 0; b < B; ++b) {
        const auto& ps = photo_params[static_cast<size_t>(idx[static_cast<size_t>(b)])];
        Scene& sc = scenes[static_cast<size_t>(b)];
        scene_from_params(ps, sc);
      }
    }

    // Per slot: render → sensor → ISP → pixel, SSIM, silhouette and mesh terms.
    Rs.resize({B, 3, S, S});
    for_each_item(B, [&](int b) {
      Slot& s = *slot[static_cast<size_t>(b)];
      const Photo& ph = ds.photos[static_cast<size_t>(idx[static_cast<size_t>(b)])];
      const Scene& sc = scenes[static_cast<size_t>(b)];
      s.renderer.forward(sc, s.rgb, s.alpha);
      s.sensor.forward(s.rgb, s.mosaic);
      s.isp.forward(s.mosaic, s.srgb);
      copy_slice(s.srgb, Rs, b);
      s.photo.resize({3, S, S});
      copy_from_slice(P, b, s.photo);
      forward_slot_terms(s, ph, sc, B, grad);
    });

    // Feature distance on the whole batch (one network pass for all photos).
    const bool want_photo_grad = grad && R > 0;
    if (grad) {
      dRs.resize({B, 3, S, S});
      for (int b = 0; b < B; ++b) copy_slice(slot[static_cast<size_t>(b)]->d_srgb, dRs, b);
      if (want_photo_grad) {
        dP.resize({B, 3, S, S});
        for (int b = 0; b < B; ++b) copy_slice(slot[static_cast<size_t>(b)]->d_photo, dP, b);
      }
    }
    if (w.feature > 0) {
      forward_features(idx, R);
      const int64_t n = fa.numel() / B;
      if (grad) {
        dfa.resize(fa.shape());
        dfb.resize(fb.shape());
      }
      for (int b = 0; b < B; ++b) {
        double acc = 0;
        const float* a = fa.data() + b * n;
        const float* f = fb.data() + b * n;
        for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(a[i] - f[i]) * (a[i] - f[i]);
        slot[static_cast<size_t>(b)]->terms[kFeature] = w.feature * acc / static_cast<double>(n);
        if (grad) {
          const float k = static_cast<float>(2.0 * w.feature / (static_cast<double>(n) * B));
          float* ga = dfa.data() + b * n;
          float* gb = dfb.data() + b * n;
          for (int64_t i = 0; i < n; ++i) {
            ga[i] = k * (a[i] - f[i]);
            gb[i] = -ga[i];
          }
        }
      }
      if (grad) features->backward_pair(Rs, P, fa, fb, dfa, dfb, &dRs, want_photo_grad ? &dP : nullptr);
    } else {
      for (int b = 0; b < B; ++b) slot[static_cast<size_t>(b)]->terms[kFeature] = 0;
    }
    for (int b = 0; b < B; ++b) {
      Slot& s = *slot[static_cast<size_t>(b)];
      s.loss = 0;
      for (int t = 0; t < kIspPrior; ++t) s.loss += s.terms[t];
    }
    if (!grad) return;

    // Backward per slot: ISP → sensor → renderer (+ mesh regularizer gradients already in dscene).
    for_each_item(B, [&](int b) {
      Slot& s = *slot[static_cast<size_t>(b)];
      const Scene& sc = scenes[static_cast<size_t>(b)];
      copy_from_slice(dRs, b, s.d_srgb);
      s.isp.visit_parameters([](Parameter& p) { p.zero_grad(); });
      s.d_mosaic.resize(s.mosaic.shape());
      s.d_mosaic.zero();
      s.isp.backward(s.mosaic, s.srgb, s.d_srgb, &s.d_mosaic);
      s.d_rgb.resize(s.rgb.shape());
      s.d_rgb.zero();
      s.sensor.backward(s.rgb, s.mosaic, s.d_mosaic, &s.d_rgb);
      s.renderer.backward(sc, s.d_rgb, s.d_alpha, s.dscene);
    });

    if (train) {
      dscenes.resize(static_cast<size_t>(B));
      for (int b = 0; b < B; ++b) dscenes[static_cast<size_t>(b)] = std::move(slot[static_cast<size_t>(b)]->dscene);
      dcode.resize(code.shape());
      dcode.zero();
      decoder->backward(code, scenes, dscenes, &dcode);
      for (int b = 0; b < B; ++b) slot[static_cast<size_t>(b)]->dscene = std::move(dscenes[static_cast<size_t>(b)]);
      encoder->backward(P, code, dcode, want_photo_grad ? &dP : nullptr);
    } else {
      for (int b = 0; b < B; ++b) {
        auto& ps = photo_params[static_cast<size_t>(idx[static_cast<size_t>(b)])];
        grads_to_params(slot[static_cast<size_t>(b)]->dscene, ps);
      }
    }

    // The RAW branch: photo gradients through the same ISP (and the denoiser).
    if (want_photo_grad) {
      d_raw_out.resize({R, 1, S, S});
      for_each_item(R, [&](int r) {
        const int b = raw_slots[static_cast<size_t>(r)];
        Slot& s = *slot[static_cast<size_t>(b)];
        s.photo_isp.visit_parameters([](Parameter& p) { p.zero_grad(); });
        copy_from_slice(dP, b, s.d_photo);
        s.d_raw.resize(s.raw_in.shape());
        s.d_raw.zero();
        s.photo_isp.backward(s.raw_in, s.raw_dev, s.d_photo, &s.d_raw);
        copy_slice(s.d_raw, d_raw_out, r);
      });
      if (denoiser) denoiser->backward(raw_batch, raw_out, d_raw_out, nullptr);
    }

    // ISP gradients of every copy, summed in slot order into the fitted ISP.
    std::vector<Parameter*> master = collect_parameters<float>(isp);
    for (Parameter* p : master) p->zero_grad();
    for (int b = 0; b < B; ++b) {
      add_grads(slot[static_cast<size_t>(b)]->isp, master);
      if (std::find(raw_slots.begin(), raw_slots.end(), b) != raw_slots.end())
        add_grads(slot[static_cast<size_t>(b)]->photo_isp, master);
    }
  }

  // fa ← features of the renders Rs, fb ← features of the photos P. An sRGB photo through frozen
  // features gives the same features every step, so those are computed once per photo and kept
  // (32×S/4×S/4 floats each); trained features or RAW photos (developed by the learnable ISP) are
  // recomputed every time.
  void forward_features(const std::vector<int>& idx, int R) {
    const int B = static_cast<int>(idx.size());
    if (features->trainable() || R > 0) {
      if (features->trainable()) photo_features.clear();
      features->forward_pair(Rs, P, fa, fb);
      return;
    }
    photo_features.resize(ds.photos.size());
    for (int b = 0; b < B; ++b) {
      Tensor& f = photo_features[static_cast<size_t>(idx[static_cast<size_t>(b)])];
      if (!f.empty()) continue;
      one_photo.resize({1, 3, S, S});
      copy_from_slice(P, b, one_photo);
      features->forward(one_photo, f);
    }
    features->forward(Rs, fa);  // last, so the network's activations are the renders' for backward
    fb.resize(fa.shape());
    for (int b = 0; b < B; ++b) copy_slice(photo_features[static_cast<size_t>(idx[static_cast<size_t>(b)])], fb, b);
  }
  std::vector<Tensor> photo_features;  // per photo; empty = not yet computed
  Tensor one_photo;

  static void add_grads(IspPipeline& from, std::vector<Parameter*>& to) {
    size_t i = 0;
    from.visit_parameters([&](Parameter& p) {
      if (i < to.size() && p.grad.numel() == to[i]->grad.numel())
        for (int64_t k = 0; k < p.grad.numel(); ++k) to[i]->grad[k] += p.grad[k];
      ++i;
    });
  }

  std::vector<Scene> dscenes;

  void zero_grads() {
    train_opt.opt->zero_grad();
    isp_opt.opt->zero_grad();
  }

  // Loss terms of one slot whose render is in s.srgb/s.alpha; gradients w.r.t. the render (d_srgb,
  // d_alpha), the photo (d_photo, used by the RAW branch) and the positions (dscene) when `grad`.
  void forward_slot_terms(Slot& s, const Photo& ph, const Scene& sc, int B, bool grad) {
    const LossWeights& w = cfg.weights;
    const double inv_b = 1.0 / B;
    for (double& t : s.terms) t = 0;
    if (grad) {
      s.d_srgb.resize({3, S, S});
      s.d_srgb.zero();
      s.d_photo.resize({3, S, S});
      s.d_photo.zero();
      s.d_alpha.resize({1, S, S});
      s.d_alpha.zero();
      zeros_like_into(sc, s.dscene);
    }
    LossWeighting<float> lw;
    const Tensor* weight_map = ph.mask.empty() ? nullptr : &pixel_weight(ph);
    lw.weight = weight_map;
    if (w.pixel > 0) {
      Loss& l = w.pixel_kind == PixelLossKind::kL1 ? static_cast<Loss&>(s.l1) : static_cast<Loss&>(s.charbonnier);
      s.terms[kPixel] = w.pixel * l.forward(s.srgb, s.photo, lw);
      if (grad) l.backward(s.srgb, s.photo, lw, static_cast<float>(w.pixel * inv_b), &s.d_srgb, &s.d_photo, nullptr);
    }
    if (w.ssim > 0) {
      s.terms[kSsim] = w.ssim * s.ssim.forward(s.srgb, s.photo, lw);
      if (grad) s.ssim.backward(s.srgb, s.photo, lw, static_cast<float>(w.ssim * inv_b), &s.d_srgb, &s.d_photo, nullptr);
    }
    if (w.silhouette > 0 && !ph.mask.empty()) {
      if (w.silhouette_kind == SilhouetteLossKind::kMse) {
        s.terms[kSilhouette] = w.silhouette * s.sil_mse.forward(s.alpha, ph.mask, {});
        if (grad) s.sil_mse.backward(s.alpha, ph.mask, {}, static_cast<float>(w.silhouette * inv_b), &s.d_alpha, nullptr, nullptr);
      } else {
        // Soft IoU (Kato et al. 2018, Neural 3D Mesh Renderer, eq. 5): 1 − Σab / Σ(a + b − ab).
        const float* a = s.alpha.data();
        const float* m = ph.mask.data();
        const int64_t n = s.alpha.numel();
        double I = 0, U = 0;
        for (int64_t i = 0; i < n; ++i) {
          I += static_cast<double>(a[i]) * m[i];
          U += static_cast<double>(a[i]) + m[i] - static_cast<double>(a[i]) * m[i];
        }
        if (U > 0) {
          s.terms[kSilhouette] = w.silhouette * (1.0 - I / U);
          if (grad) {
            // ∂/∂a_i (1 − I/U) = −(m_i U − I (1 − m_i)) / U².
            const double k = w.silhouette * inv_b / (U * U);
            float* g = s.d_alpha.data();
            for (int64_t i = 0; i < n; ++i) g[i] += static_cast<float>(-k * (m[i] * U - I * (1.0 - m[i])));
          }
        }
      }
    }
    Tensor* dp = grad ? &s.dscene.positions : nullptr;
    const float ib = static_cast<float>(inv_b);
    if (w.laplacian > 0) s.terms[kLaplacian] = B * s.reg.laplacian(sc.positions, dp, static_cast<float>(w.laplacian) * ib);
    if (w.edge > 0) s.terms[kEdge] = B * s.reg.edge_length(sc.positions, dp, static_cast<float>(w.edge) * ib);
    if (w.normal > 0) s.terms[kNormal] = B * s.reg.normal_consistency(sc.positions, dp, static_cast<float>(w.normal) * ib);
    if (w.symmetry > 0) s.terms[kSymmetry] = B * s.reg.symmetry(sc.positions, dp, static_cast<float>(w.symmetry) * ib);
  }

  std::vector<Tensor> pixel_weights;  // per photo, 1×S×S: mask + kBackgroundWeight·(1 − mask)
  const Tensor& pixel_weight(const Photo& ph) {
    const size_t i = static_cast<size_t>(&ph - ds.photos.data());
    if (pixel_weights.size() != ds.photos.size()) pixel_weights.resize(ds.photos.size());
    Tensor& t = pixel_weights[i];
    if (t.empty()) {
      t.resize(ph.mask.shape());
      for (int64_t k = 0; k < t.numel(); ++k) t[k] = ph.mask[k] + kBackgroundWeight * (1.f - ph.mask[k]);
    }
    return t;
  }

  // ISP prior: weight · Σ (θ − θ0)² over the learnable ISP parameters; adds its gradient.
  double isp_prior(bool grad) {
    const double w = cfg.weights.isp_prior;
    if (w <= 0) return 0;
    double sum = 0;
    for (size_t i = 0; i < isp_learnable.size(); ++i) {
      Parameter& p = *isp_learnable[i];
      for (int64_t k = 0; k < p.value.numel(); ++k) {
        const double d = static_cast<double>(p.value[k]) - isp_init[i][k];
        sum += d * d;
        if (grad) p.grad[k] += static_cast<float>(2 * w * d);
      }
    }
    return w * sum;
  }

  // ---- refinement parameters ----------------------------------------------------------------------

  static void scene_from_params(const std::vector<Parameter>& ps, Scene& sc) {
    size_t k = 0;
    for_scene_fields(sc, [&](const char* name, const char*, Tensor& t) {
      if (k < ps.size() && ps[k].name.size() >= std::strlen(name) &&
          ps[k].name.compare(ps[k].name.size() - std::strlen(name), std::string::npos, name) == 0) {
        t.copy_from(ps[k].value);
        ++k;
      } else {
        t.resize({0});
      }
    });
  }
  static void grads_to_params(const Scene& g, std::vector<Parameter>& ps) {
    size_t k = 0;
    for_scene_fields(const_cast<Scene&>(g), [&](const char* name, const char*, Tensor& t) {
      if (k < ps.size() && ps[k].name.size() >= std::strlen(name) &&
          ps[k].name.compare(ps[k].name.size() - std::strlen(name), std::string::npos, name) == 0) {
        if (t.numel() == ps[k].grad.numel())
          std::memcpy(ps[k].grad.data(), t.data(), sizeof(float) * static_cast<size_t>(t.numel()));
        ++k;
      }
    });
  }

  // Decodes every photo's scene once and makes its tensors parameters.
  void begin_refinement() {
    if (refining) return;
    const int n = static_cast<int>(ds.photos.size());
    photo_params.assign(static_cast<size_t>(n), {});
    photo_opt.clear();
    photo_opt.resize(static_cast<size_t>(n));
    for (int i0 = 0; i0 < n; i0 += slots) {
      std::vector<int> idx;
      for (int i = i0; i < std::min(n, i0 + slots); ++i) idx.push_back(i);
      decode(idx);
      for (size_t b = 0; b < idx.size(); ++b) {
        auto& ps = photo_params[static_cast<size_t>(idx[b])];
        for_scene_fields(scenes[b], [&](const char* name, const char* grp, Tensor& t) {
          if (t.empty()) return;
          Parameter p("photo" + std::to_string(idx[b]) + "." + name, grp, t.shape());
          p.value.copy_from(t);
          ps.push_back(std::move(p));
        });
      }
    }
    for (int i = 0; i < n; ++i) {
      std::vector<Parameter*> ptrs;
      for (Parameter& p : photo_params[static_cast<size_t>(i)]) ptrs.push_back(&p);
      photo_opt[static_cast<size_t>(i)].reset(make_adam(ptrs));
      apply_groups(*photo_opt[static_cast<size_t>(i)].opt);
    }
    refining = true;
    refine_pos = 0;
  }

  // Network scenes of photos idx into scenes[0..).
  void decode(const std::vector<int>& idx) {
    const int B = static_cast<int>(idx.size());
    P.resize({B, 3, S, S});
    // RAW photos are developed by the current ISP, as in training.
    for (int b = 0; b < B; ++b) {
      const Photo& ph = ds.photos[static_cast<size_t>(idx[static_cast<size_t>(b)])];
      if (!ph.is_raw()) {
        copy_slice(ph.srgb, P, b);
        continue;
      }
      Slot& s = *slot[0];
      sync_parameters(isp, s.photo_isp);
      Tensor in = ph.raw, dev;
      in.resize({1, 1, S, S});
      if (denoiser) {
        Tensor o;
        denoiser->forward(in, o);
        in = o;
      }
      in.resize({1, S, S});
      s.photo_isp.set_cfa(ph.raw_settings.cfa);
      s.photo_isp.forward(in, dev);
      copy_slice(dev, P, b);
    }
    encoder->forward(P, code);
    scenes.resize(static_cast<size_t>(B));
    decoder->forward(code, scenes);
  }

  void clamp_photo(std::vector<Parameter>& ps) {
    for (Parameter& p : ps) {
      const auto ends = [&](const char* s) {
        const size_t n = std::strlen(s);
        return p.name.size() >= n && p.name.compare(p.name.size() - n, n, s) == 0;
      };
      if (ends(".texture") || ends(".colors") || ends(".background")) {
        for (float& v : p.value) v = std::clamp(v, 0.f, 1.f);
      } else if (ends(".camera") && p.value.numel() >= 3) {
        p.value[1] = std::clamp(p.value[1], -1.5f, 1.5f);
        p.value[2] = std::max(p.value[2], 0.1f);
      }
    }
  }

  // ---- divergence guard ---------------------------------------------------------------------------

  // dst ← src in parallel blocks (the backup is a few tens of MB per step for the full network).
  static void fast_copy(Tensor& dst, const Tensor& src) {
    dst.resize(src.shape());
    const int64_t n = src.numel(), block = int64_t{1} << 15;
    const float* s = src.data();
    float* d = dst.data();
#pragma omp parallel for schedule(static) if (n >= 4 * block)
    for (int64_t i0 = 0; i0 < n; i0 += block)
      std::memcpy(d + i0, s + i0, sizeof(float) * static_cast<size_t>(std::min(block, n - i0)));
  }

  static void find_state(OptBox& b) {
    if (b.state_found) return;
    b.state_tensors.clear();
    b.state_ints.clear();
    OptimizerStateVisitor<float> v;
    v.tensor = [&](const std::string&, Tensor& x) { b.state_tensors.push_back(&x); };
    v.integer = [&](const std::string&, int64_t& x) { b.state_ints.push_back(&x); };
    b.opt->visit_state(v);
    const size_t n = b.opt->parameters().size();
    if (b.state_tensors.size() != 2 * n || b.state_ints.size() != n + 1)
      throw std::logic_error("Loop: the optimiser's state is not the Adam layout the guard expects");
    b.values.resize(n);
    b.states.resize(2 * n);
    b.ints.resize(n + 1);
    b.state_found = true;
  }
  static void backup(OptBox& b) {
    find_state(b);
    const auto& ps = b.opt->parameters();
    b.changed.resize(ps.size());
    for (size_t i = 0; i < ps.size(); ++i) {
      b.changed[i] = !b.opt->group(ps[i]->group).frozen;
      if (!b.changed[i]) continue;
      fast_copy(b.values[i], ps[i]->value);
      fast_copy(b.states[2 * i], *b.state_tensors[2 * i]);
      fast_copy(b.states[2 * i + 1], *b.state_tensors[2 * i + 1]);
    }
    for (size_t k = 0; k < b.ints.size(); ++k) b.ints[k] = *b.state_ints[k];
  }
  static void restore(OptBox& b) {
    const auto& ps = b.opt->parameters();
    for (size_t i = 0; i < ps.size(); ++i) {
      if (!b.changed[i]) continue;
      fast_copy(ps[i]->value, b.values[i]);
      fast_copy(*b.state_tensors[2 * i], b.states[2 * i]);
      fast_copy(*b.state_tensors[2 * i + 1], b.states[2 * i + 1]);
    }
    for (size_t k = 0; k < b.ints.size(); ++k) *b.state_ints[k] = b.ints[k];
  }
  // The first non-finite gradient (or value) among the non-frozen parameters, "" if none.
  static std::string first_bad(OptBox& b, bool values) {
    for (Parameter* p : b.opt->parameters()) {
      if (!p->requires_grad) continue;
      const Tensor& t = values ? p->value : p->grad;
      if (!all_finite(t.data(), t.numel())) return p->name;
    }
    return "";
  }

  StepInfo step() {
    const auto t0 = std::chrono::steady_clock::now();
    StepInfo info;
    if (phase() == LoopPhase::kDone) {
      info.iteration = iteration;
      info.phase = LoopPhase::kDone;
      info.applied = false;
      info.event = "done";
      return info;
    }
    if (!refining && iteration >= train_iterations()) begin_refinement();
    const int n = static_cast<int>(ds.photos.size());
    batch.clear();
    if (!refining) {
      if (perm_pos + slots > n) {
        std::shuffle(perm.begin(), perm.end(), rng.engine());
        perm_pos = 0;
      }
      for (int b = 0; b < slots; ++b) batch.push_back(perm[static_cast<size_t>(perm_pos + b)]);
      perm_pos += slots;
    } else {
      for (int b = 0; b < slots; ++b) batch.push_back(static_cast<int>((refine_pos + b) % n));
      refine_pos = (refine_pos + slots) % n;
    }
    const bool train = !refining;
    run(batch, train, true);
    const double prior = isp_prior(true);

    double terms[kNumTerms] = {};
    const int B = static_cast<int>(batch.size());
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < kNumTerms; ++t) terms[t] += slot[static_cast<size_t>(b)]->terms[t] / B;
    terms[kIspPrior] = prior;
    double loss = 0;
    for (double t : terms) loss += t;

    std::vector<OptBox*> active = {&isp_opt};
    if (train) active.push_back(&train_opt);
    else
      for (int i : batch) active.push_back(&photo_opt[static_cast<size_t>(i)]);

    // Every optimiser of the step refuses non-finite gradients on its own (core/optimizer.h); the
    // backup makes the step all-or-nothing across them and also catches non-finite new values.
    std::string problem;
    if (!std::isfinite(loss)) {
      problem = "loss is not finite";
    } else {
      for (OptBox* a : active) backup(*a);
      for (OptBox* a : active) {
        const StepReport rep = a->opt->step(loss);
        if (!rep.applied) {
          problem = rep.problem;
          break;
        }
      }
      if (problem.empty() && !train)
        for (int i : batch) clamp_photo(photo_params[static_cast<size_t>(i)]);
      for (OptBox* a : active)
        if (problem.empty())
          if (const std::string bad = first_bad(*a, true); !bad.empty()) problem = "new value of " + bad + " is not finite";
      if (!problem.empty())
        for (OptBox* a : active) restore(*a);
    }
    if (!problem.empty()) {
      guard_factor *= 0.5;
      apply_groups();
      std::ostringstream e;
      e << "step " << iteration + 1 << " diverged (" << problem << "); rolled back, learning rate halved to "
        << cfg.lr * guard_factor;
      info.applied = false;
      info.event = e.str();
    } else {
      for (int b = 0; b < B; ++b)
        photo_loss[static_cast<size_t>(batch[static_cast<size_t>(b)])] = slot[static_cast<size_t>(b)]->loss;
    }
    if (spec.sensor.noise != SensorNoise::None) ++sensor_frame;
    ++iteration;
    info.iteration = iteration;
    info.phase = train ? LoopPhase::kTraining : LoopPhase::kRefinement;
    info.loss = loss;
    for (int t = 0; t < kNumTerms; ++t)
      if (term_active(t)) info.terms.emplace_back(kTermNames[t], terms[t]);
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++steps_run;
    seconds_run += info.seconds;
    return info;
  }

  bool term_active(int t) const {
    const LossWeights& w = cfg.weights;
    const double v[kNumTerms] = {w.pixel, w.ssim, w.feature, w.silhouette, w.laplacian,
                                 w.edge,  w.normal, w.symmetry, w.isp_prior};
    return v[t] > 0;
  }

  // Every value a session file holds, named as in the file, in file order.
  std::vector<std::pair<std::string, Tensor*>> session_tensors() {
    std::vector<std::pair<std::string, Tensor*>> tensors;
    auto add = [&](const std::string& prefix, auto& node) {
      node.visit_parameters([&](Parameter& p) { tensors.emplace_back(prefix + p.name, &p.value); });
    };
    add("encoder/", *encoder);
    add("decoder/", *decoder);
    add("features/", *features);
    add("isp/", isp);
    if (denoiser) add("denoiser/", *denoiser);
    if (refining)
      for (auto& ps : photo_params)
        for (Parameter& p : ps) tensors.emplace_back("scene/" + p.name, &p.value);
    return tensors;
  }

  // Evaluates photos idx (forward only) in the current phase.
  void eval(const std::vector<int>& idx) { run(idx, !refining, false); }
};

// ---- Loop ---------------------------------------------------------------------------------------------

Loop::Loop(const LoopConfig& config, Dataset dataset) : impl_(std::make_unique<Impl>(config, std::move(dataset))) {}
Loop::~Loop() = default;

const LoopConfig& Loop::config() const { return impl_->cfg; }
const Dataset& Loop::dataset() const { return impl_->ds; }
int Loop::num_photos() const { return static_cast<int>(impl_->ds.photos.size()); }
StepInfo Loop::step() {
  StepInfo info = impl_->step();
  const LoopConfig& c = impl_->cfg;
  if (info.phase != LoopPhase::kDone && c.checkpoint_interval > 0 && !c.checkpoint_path.empty() &&
      impl_->iteration % c.checkpoint_interval == 0)
    save_session(c.checkpoint_path);
  return info;
}
int64_t Loop::iteration() const { return impl_->iteration; }
LoopPhase Loop::phase() const { return impl_->phase(); }
bool Loop::done() const { return impl_->iteration >= impl_->cfg.iterations; }

void Loop::set_group(const std::string& group, const GroupSettings& settings) {
  settings.check(group);
  impl_->cfg.groups[group] = settings;
  impl_->apply_groups();
}
GroupSettings Loop::group(const std::string& group) const { return impl_->group_settings(group); }
std::vector<std::string> Loop::group_names() const { return {std::begin(kGroups), std::end(kGroups)}; }
void Loop::set_loss_weights(const LossWeights& w) {
  LoopConfig c = impl_->cfg;
  c.weights = w;
  c.check();
  if (w.symmetry > 0 && impl_->cfg.weights.symmetry <= 0)
    for (auto& s : impl_->slot) s->reg.set_mirror(impl_->tmpl.positions, 1e-4f);
  impl_->cfg.weights = w;
}
void Loop::set_isp_stage_enabled(const std::string& stage, bool enabled) {
  Impl& m = *impl_;
  if (stage == "sensor") {
    m.spec.sensor_enabled = enabled;
    for (auto& s : m.slot) s->sensor.set_enabled(enabled);
    return;
  }
  IspStage* st = m.isp.stage(stage);
  if (!st) throw std::invalid_argument("loop: the ISP has no stage '" + stage + "'");
  st->set_enabled(enabled);
  for (auto& s : m.slot) {
    s->isp.stage(stage)->set_enabled(enabled);
    s->photo_isp.stage(stage)->set_enabled(enabled);
  }
}
void Loop::set_render_options(const RenderOptions& o) {
  o.check();
  if (o.size != impl_->cfg.render.size)
    throw std::invalid_argument("loop: render.size cannot change during a fit (" + std::to_string(impl_->cfg.render.size) +
                                " → " + std::to_string(o.size) + ")");
  if (o.light != impl_->cfg.render.light) throw std::invalid_argument("loop: the light model cannot change during a fit");
  impl_->cfg.render = o;
  for (auto& s : impl_->slot) s->renderer.set_options(o);
}
void Loop::set_iterations(int iterations) {
  if (iterations < 0) throw std::invalid_argument("loop: iterations must be ≥ 0");
  impl_->cfg.iterations = iterations;
}
void Loop::start_refinement() { impl_->begin_refinement(); }
void Loop::reset() {
  LoopConfig c = impl_->cfg;
  Dataset d = std::move(impl_->ds);
  impl_.reset();
  impl_ = std::make_unique<Impl>(c, std::move(d));
}

void Loop::snapshot(int photo, LoopSnapshot& out) {
  Impl& m = *impl_;
  if (photo < 0 || photo >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(photo));
  m.eval({photo});
  Impl::Slot& s = *m.slot[0];
  out.iteration = m.iteration;
  out.phase = m.phase();
  out.photo = photo;
  out.photo_srgb.copy_from(s.photo);
  out.render_srgb.copy_from(s.srgb);
  out.render_linear.copy_from(s.rgb);
  out.silhouette.copy_from(s.alpha);
  const Photo& ph = m.ds.photos[static_cast<size_t>(photo)];
  if (ph.mask.empty()) out.mask.resize({0});
  else out.mask.copy_from(ph.mask);
  const int S = m.S;
  out.error.resize({1, S, S});
  for (int64_t i = 0; i < int64_t{S} * S; ++i) {
    float e = 0;
    for (int c = 0; c < 3; ++c) e += std::abs(s.srgb[c * S * S + i] - s.photo[c * S * S + i]);
    out.error[i] = e / 3;
  }
  out.scene = m.scenes[0];
  out.mesh = s.renderer.mesh_of(m.scenes[0]);
  out.isp = m.isp.parameters_json();
  out.photo_loss = m.photo_loss;
}

Scene Loop::scene(int photo) {
  if (photo < 0 || photo >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(photo));
  Impl& m = *impl_;
  if (m.refining) {
    Scene s;
    Impl::scene_from_params(m.photo_params[static_cast<size_t>(photo)], s);
    return s;
  }
  m.decode({photo});
  return m.scenes[0];
}
Mesh Loop::mesh(int photo) {
  Scene s = scene(photo);
  return impl_->slot[0]->renderer.mesh_of(s);
}
void Loop::render(int photo, Tensor* linear, Tensor* srgb, Tensor* alpha) {
  if (photo < 0 || photo >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(photo));
  impl_->eval({photo});
  Impl::Slot& s = *impl_->slot[0];
  if (linear) linear->copy_from(s.rgb);
  if (srgb) srgb->copy_from(s.srgb);
  if (alpha) alpha->copy_from(s.alpha);
}
IspPipeline& Loop::isp() { return impl_->isp; }

FitMetrics Loop::metrics() {
  Impl& m = *impl_;
  FitMetrics fm;
  const int n = num_photos();
  std::vector<double> term_sum(kNumTerms, 0.0);
  int with_mask = 0;
  double iou_sum = 0;
  const double prior = m.isp_prior(false);
  for (int i0 = 0; i0 < n; i0 += m.slots) {
    std::vector<int> idx;
    for (int i = i0; i < std::min(n, i0 + m.slots); ++i) idx.push_back(i);
    m.eval(idx);
    for (size_t b = 0; b < idx.size(); ++b) {
      Impl::Slot& s = *m.slot[b];
      const Photo& ph = m.ds.photos[static_cast<size_t>(idx[b])];
      PhotoMetrics pm;
      pm.path = ph.path.string();
      pm.loss = s.loss + prior;
      double se = 0;
      for (int64_t k = 0; k < s.srgb.numel(); ++k) {
        const double d = static_cast<double>(s.srgb[k]) - s.photo[k];
        se += d * d;
      }
      const double mse = se / static_cast<double>(s.srgb.numel());
      pm.psnr = mse > 0 ? 10 * std::log10(1.0 / mse) : 99.0;
      pm.ssim = 1.0 - s.ssim_eval.forward(s.srgb, s.photo, {});
      if (!ph.mask.empty()) {
        int64_t inter = 0, uni = 0;
        for (int64_t k = 0; k < s.alpha.numel(); ++k) {
          const bool a = s.alpha[k] > 0.5f, b2 = ph.mask[k] > 0.5f;
          inter += a && b2;
          uni += a || b2;
        }
        pm.iou = uni > 0 ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
        iou_sum += pm.iou;
        ++with_mask;
      }
      for (int t = 0; t < kIspPrior; ++t) term_sum[static_cast<size_t>(t)] += s.terms[t];
      fm.loss += pm.loss;
      fm.psnr += pm.psnr;
      fm.ssim += pm.ssim;
      fm.photos.push_back(pm);
    }
  }
  fm.loss /= n;
  fm.psnr /= n;
  fm.ssim /= n;
  fm.iou = with_mask ? iou_sum / with_mask : -1;
  term_sum[kIspPrior] = prior * n;
  for (int t = 0; t < kNumTerms; ++t)
    if (m.term_active(t)) fm.terms.emplace_back(kTermNames[t], term_sum[static_cast<size_t>(t)] / n);
  fm.iterations = m.iteration;
  fm.iterations_per_second = m.seconds_run > 0 ? static_cast<double>(m.steps_run) / m.seconds_run : 0;
  return fm;
}

void Loop::visit_parameters(const ParameterVisitor<float>& visit) {
  Impl& m = *impl_;
  m.encoder->visit_parameters(visit);
  m.decoder->visit_parameters(visit);
  m.features->visit_parameters(visit);
  m.isp.visit_parameters(visit);
  if (m.denoiser) m.denoiser->visit_parameters(visit);
  for (auto& ps : m.photo_params)
    for (Parameter& p : ps) visit(p);
}

double Loop::loss_and_gradients(const std::vector<int>& photos) {
  Impl& m = *impl_;
  if (photos.empty() || static_cast<int>(photos.size()) > m.slots)
    throw std::invalid_argument("loop: loss_and_gradients needs 1.." + std::to_string(m.slots) + " photos");
  for (int i : photos)
    if (i < 0 || i >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(i));
  if (m.refining)
    for (int i : photos) m.photo_opt[static_cast<size_t>(i)].opt->zero_grad();
  m.run(photos, !m.refining, true);
  double loss = m.isp_prior(true);
  for (size_t b = 0; b < photos.size(); ++b) loss += m.slot[b]->loss / static_cast<double>(photos.size());
  return loss;
}

nlohmann::json FitMetrics::to_json() const {
  nlohmann::json t = nlohmann::json::object();
  for (const auto& [k, v] : terms) t[k] = v;
  nlohmann::json ps = nlohmann::json::array();
  for (const PhotoMetrics& p : photos)
    ps.push_back({{"path", p.path}, {"loss", p.loss}, {"psnr", p.psnr}, {"ssim", p.ssim}, {"iou", p.iou}});
  return {{"loss", loss},
          {"terms", t},
          {"psnr", psnr},
          {"ssim", ssim},
          {"iou", iou},
          {"iterations_per_second", iterations_per_second},
          {"iterations", iterations},
          {"photos", ps}};
}

// ---- sessions -----------------------------------------------------------------------------------------
//
// Layout (little-endian host layout, see session.h for the primitives):
//   "IGXSESSN", u32 version, string config JSON, u64 photo count, i64 iteration, u8 refining,
//   i64 perm_pos, i64 refine_pos, u64 perm count + i32 each, string RNG state, f64 guard factor,
//   u64 sensor frame, u64 + f64 per-photo losses, string ISP JSON (enabled flags), u8 sensor enabled,
//   u64 tensor count + {string name, tensor}, u64 optimizer count + {string name, string state},
//   "IGXEND\0\0".

namespace {
constexpr char kSessionMagic[8] = {'I', 'G', 'X', 'S', 'E', 'S', 'S', 'N'};
constexpr char kSessionEnd[8] = {'I', 'G', 'X', 'E', 'N', 'D', '\0', '\0'};
constexpr uint32_t kSessionVersion = 1;

// Fields a resumed fit may change (commands between steps); everything else must match.
bool mutable_field(const std::string& k) {
  return k == "iterations" || k == "groups" || k == "weights" || k == "checkpoint_interval" ||
         k == "checkpoint_path" || k == "log_interval" || k == "preset" || k == "render";
}
}  // namespace

void Loop::save_session(const std::filesystem::path& path) {
  Impl& m = *impl_;
  const std::vector<std::pair<std::string, Tensor*>> tensors = m.session_tensors();
  std::vector<std::pair<std::string, std::string>> opts;
  opts.emplace_back("train", m.train_opt.opt->save_state());
  opts.emplace_back("isp", m.isp_opt.opt->save_state());
  if (m.refining)
    for (size_t i = 0; i < m.photo_opt.size(); ++i)
      opts.emplace_back("photo" + std::to_string(i), m.photo_opt[i].opt->save_state());

  write_file_atomically(path, [&](std::ostream& os) {
    BinaryWriter w(os);
    w.bytes(kSessionMagic, 8);
    w.u32(kSessionVersion);
    w.str(m.cfg.to_json().dump());
    w.u64(m.ds.photos.size());
    w.i64(m.iteration);
    w.u8(m.refining ? 1 : 0);
    w.i64(m.perm_pos);
    w.i64(m.refine_pos);
    w.u64(m.perm.size());
    for (int v : m.perm) w.i64(v);
    w.str(m.rng.save_state());
    w.f64(m.guard_factor);
    w.u64(m.sensor_frame);
    w.u64(m.photo_loss.size());
    for (double v : m.photo_loss) w.f64(v);
    w.str(m.isp.to_json().dump());
    w.u8(m.spec.sensor_enabled ? 1 : 0);
    w.u64(tensors.size());
    for (auto& [name, t] : tensors) {
      w.str(name);
      w.tensor(*t);
    }
    w.u64(opts.size());
    for (auto& [name, s] : opts) {
      w.str(name);
      w.str(s);
    }
    w.bytes(kSessionEnd, 8);
  });
}

namespace {
struct SessionData {
  nlohmann::json config;
  uint64_t photos = 0;
  int64_t iteration = 0, perm_pos = 0, refine_pos = 0;
  bool refining = false;
  std::vector<int> perm;
  std::string rng;
  double guard = 1;
  uint64_t frame = 0;
  std::vector<double> photo_loss;
  nlohmann::json isp;
  bool sensor_enabled = true;
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::vector<std::pair<std::string, std::string>> opts;
};

SessionData read_session(const std::filesystem::path& path, bool config_only) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("session file '" + path.string() + "': cannot open it");
  BinaryReader r(f, "session file '" + path.string() + "'");
  char magic[8];
  r.bytes(magic, 8);
  if (std::memcmp(magic, kSessionMagic, 8) != 0) r.fail("not an invgfx session (bad magic)");
  const uint32_t version = r.u32();
  if (version != kSessionVersion)
    r.fail("session version " + std::to_string(version) + ", this build reads version " + std::to_string(kSessionVersion));
  SessionData d;
  try {
    d.config = nlohmann::json::parse(r.str());
  } catch (const nlohmann::json::exception& e) {
    r.fail(std::string("its configuration is not valid JSON: ") + e.what());
  }
  if (config_only) return d;
  d.photos = r.u64();
  d.iteration = r.i64();
  d.refining = r.u8() != 0;
  d.perm_pos = r.i64();
  d.refine_pos = r.i64();
  const uint64_t np = r.count(1u << 28);
  d.perm.resize(np);
  for (auto& v : d.perm) v = static_cast<int>(r.i64());
  d.rng = r.str();
  d.guard = r.f64();
  d.frame = r.u64();
  d.photo_loss.resize(r.count(1u << 28));
  for (double& v : d.photo_loss) v = r.f64();
  try {
    d.isp = nlohmann::json::parse(r.str());
  } catch (const nlohmann::json::exception& e) {
    r.fail(std::string("its ISP is not valid JSON: ") + e.what());
  }
  d.sensor_enabled = r.u8() != 0;
  const uint64_t nt = r.count(1u << 24);
  for (uint64_t i = 0; i < nt; ++i) {
    std::string name = r.str();
    Tensor t;
    r.tensor(t);
    d.tensors.emplace_back(std::move(name), std::move(t));
  }
  const uint64_t no = r.count(1u << 24);
  for (uint64_t i = 0; i < no; ++i) {
    std::string name = r.str();
    d.opts.emplace_back(std::move(name), r.str());
  }
  char end[8];
  r.bytes(end, 8);
  if (std::memcmp(end, kSessionEnd, 8) != 0) r.fail("bad end marker (corrupt file)");
  return d;
}
}  // namespace

LoopConfig Loop::session_config(const std::filesystem::path& path) {
  SessionData d = read_session(path, true);
  try {
    return LoopConfig::from_json(d.config);
  } catch (const std::exception& e) {
    throw std::runtime_error("session file '" + path.string() + "': bad configuration: " + e.what());
  }
}

void Loop::load_session(const std::filesystem::path& path) {
  Impl& m = *impl_;
  const std::string where = "session file '" + path.string() + "'";
  SessionData d = read_session(path, false);
  if (d.photos != m.ds.photos.size())
    throw std::runtime_error(where + ": made for " + std::to_string(d.photos) + " photos, the dataset has " +
                             std::to_string(m.ds.photos.size()));
  LoopConfig stored;
  try {
    stored = LoopConfig::from_json(d.config);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": bad configuration: " + e.what());
  }
  {
    const nlohmann::json a = stored.to_json(), b = m.cfg.to_json();
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!mutable_field(it.key()) && (!b.contains(it.key()) || b[it.key()] != it.value()))
        throw std::runtime_error(where + ": made with another configuration (field '" + it.key() + "' differs)");
    if (stored.render.size != m.cfg.render.size || stored.render.light != m.cfg.render.light)
      throw std::runtime_error(where + ": made with another configuration (field 'render' differs)");
  }
  if (d.perm.size() != m.ds.photos.size() || d.photo_loss.size() != m.ds.photos.size())
    throw std::runtime_error(where + ": corrupt (photo tables of the wrong size)");
  for (int v : d.perm)
    if (v < 0 || v >= static_cast<int>(m.ds.photos.size())) throw std::runtime_error(where + ": corrupt (bad photo index)");

  // Build the refinement parameters when the session is in refinement, then check every tensor
  // against what this loop has before changing anything.
  if (d.refining && !m.refining) m.begin_refinement();
  if (!d.refining && m.refining) {
    m.refining = false;
    m.photo_params.clear();
    m.photo_opt.clear();
  }
  const std::vector<std::pair<std::string, Tensor*>> tensors = m.session_tensors();
  if (tensors.size() != d.tensors.size())
    throw std::runtime_error(where + ": holds " + std::to_string(d.tensors.size()) + " parameters, this fit has " +
                             std::to_string(tensors.size()));
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].first != d.tensors[i].first)
      throw std::runtime_error(where + ": parameter " + std::to_string(i) + " is '" + d.tensors[i].first +
                               "', expected '" + tensors[i].first + "'");
    if (tensors[i].second->shape() != d.tensors[i].second.shape())
      throw std::runtime_error(where + ": parameter '" + tensors[i].first + "' has shape " +
                               d.tensors[i].second.shape().str() + ", expected " + tensors[i].second->shape().str());
  }
  std::vector<OptBox*> boxes = {&m.train_opt, &m.isp_opt};
  std::vector<std::string> names = {"train", "isp"};
  if (m.refining)
    for (size_t i = 0; i < m.photo_opt.size(); ++i) {
      boxes.push_back(&m.photo_opt[i]);
      names.push_back("photo" + std::to_string(i));
    }
  if (boxes.size() != d.opts.size())
    throw std::runtime_error(where + ": holds " + std::to_string(d.opts.size()) + " optimizer states, expected " +
                             std::to_string(boxes.size()));
  for (size_t i = 0; i < boxes.size(); ++i)
    if (d.opts[i].first != names[i])
      throw std::runtime_error(where + ": optimizer state '" + d.opts[i].first + "', expected '" + names[i] + "'");

  // Apply.
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].second->copy_from(d.tensors[i].second);
  for (size_t i = 0; i < boxes.size(); ++i) {
    try {
      boxes[i]->opt->load_state(d.opts[i].second);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": optimizer state '" + names[i] + "': " + e.what());
    }
  }
  m.cfg.iterations = stored.iterations;
  m.cfg.groups = stored.groups;
  m.cfg.weights = stored.weights;
  m.cfg.render = stored.render;
  for (auto& s : m.slot) s->renderer.set_options(m.cfg.render);
  m.iteration = d.iteration;
  m.perm_pos = d.perm_pos;
  m.refine_pos = d.refine_pos;
  m.perm = d.perm;
  try {
    m.rng.load_state(d.rng);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  m.guard_factor = d.guard;
  m.sensor_frame = d.frame;
  m.photo_loss = d.photo_loss;
  if (d.isp.is_object() && d.isp.contains("stages"))
    for (const auto& s : d.isp["stages"])
      if (s.contains("stage") && s.contains("enabled") && m.isp.stage(s["stage"].get<std::string>()))
        set_isp_stage_enabled(s["stage"].get<std::string>(), s["enabled"].get<bool>());
  set_isp_stage_enabled("sensor", d.sensor_enabled);
  m.apply_groups();
}

}  // namespace invgfx
