// Implementation of app/loop.h.
#include "app/loop.h"

#include "app/loop_optimizers.h"
#include "app/loop_rooms.h"

#include <chrono>
#include <cmath>
#include <limits>
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

ReconstructionNetOptions net_options(const LoopConfig& c, const std::optional<Mesh>& tmpl) {
  ReconstructionNetOptions o;
  o.encoder = c.encoder;
  o.decoder = c.decoder;
  o.features = c.features;
  o.icosphere_level = c.icosphere_level;
  o.template_radius = c.template_radius;
  o.template_obj = c.template_obj;
  o.template_mesh = tmpl;
  return o;
}

const IspRawSettings* first_raw(const Dataset& d) {
  for (const Photo& p : d.photos)
    if (p.is_raw()) return &p.raw_settings;
  return nullptr;
}

void check_dataset(const Dataset& ds, int S) {
  if (ds.photos.empty()) throw std::invalid_argument("loop: the dataset has no photos");
  for (const Photo& p : ds.photos) {
    if (p.srgb.shape() != Shape({3, S, S}))
      throw std::invalid_argument("loop: photo '" + p.path.string() + "' is " + p.srgb.shape().str() + ", expected [3, " +
                                  std::to_string(S) + ", " + std::to_string(S) + "] (config render.size)");
    if (!p.mask.empty() && p.mask.shape() != Shape({1, S, S}))
      throw std::invalid_argument("loop: mask of '" + p.path.string() + "' is " + p.mask.shape().str());
    if (p.is_raw() && p.raw.shape() != Shape({1, S, S}))
      throw std::invalid_argument("loop: RAW mosaic of '" + p.path.string() + "' is " + p.raw.shape().str());
  }
}

}  // namespace

Loop::Rooms::Rooms(const LoopConfig& c, Dataset d, const Mesh* tmpl) : config(c), dataset(std::move(d)) {
  if (tmpl) template_mesh = *tmpl;
  config.encoder.image_size = config.render.size;
  config.encoder.out_features = config.decoder.code_size;
  config.decoder.light = config.render.light;
  config.check();
  check_dataset(dataset, config.render.size);
  const int n = static_cast<int>(dataset.photos.size());
  net = std::make_unique<ReconstructionNet>(net_options(config, template_mesh));
  const bool any_raw = first_raw(dataset) != nullptr;
  camera = std::make_unique<CameraIsp>(config.isp, first_raw(dataset),
                                       config.raw_denoiser && any_raw ? &config.denoiser : nullptr);
  camera->set_optimizer(make_loop_optimizer(camera->learnable_parameters(), config, 1.0));
  network = std::make_unique<NetworkScenes>(*net, config, 1.0);
  if (dataset.multiview()) {
    if (dataset.views.size() != dataset.photos.size())
      throw std::invalid_argument("loop: the dataset has " + std::to_string(dataset.views.size()) + " cameras for " +
                                  std::to_string(n) + " photos");
    multiview = std::make_unique<MultiViewScenes>(net->template_mesh(), dataset.views, config, 1.0);
  }
  features = std::make_unique<FeatureTerm>(net->features(), n);
  const int slots = std::min(config.batch_size, n);
  pass = std::make_unique<LoopPass>(dataset, net->template_mesh(), config.render, slots);
  if (config.weights.symmetry > 0) pass->set_symmetry(net->template_mesh());
  schedule = std::make_unique<BatchSchedule>(n, slots, config.seed);
  state.photo_loss.assign(static_cast<size_t>(n), std::numeric_limits<double>::quiet_NaN());
}

Loop::Loop(const LoopConfig& config, Dataset dataset, const Mesh* template_mesh)
    : r_(std::make_unique<Rooms>(config, std::move(dataset), template_mesh)) {}
Loop::~Loop() = default;

const LoopConfig& Loop::config() const { return r_->config; }
const Dataset& Loop::dataset() const { return r_->dataset; }
int Loop::num_photos() const { return static_cast<int>(r_->dataset.photos.size()); }
int64_t Loop::iteration() const { return r_->state.iteration; }
LoopPhase Loop::phase() const { return r_->phase(); }
bool Loop::done() const { return r_->state.iteration >= r_->config.iterations; }
CameraIsp& Loop::camera() { return *r_->camera; }
IspPipeline& Loop::isp() { return r_->camera->isp(); }

SceneSource& Loop::source() {
  if (r_->multiview) return *r_->multiview;
  if (r_->refined) return *r_->refined;
  return *r_->network;
}

// Decodes every photo's scene once with the network; from now on each is its own parameters.
void Loop::begin_refinement() {
  if (r_->state.refining || r_->multiview) return;
  const int n = num_photos(), slots = r_->pass->slots();
  std::vector<Scene> starts(static_cast<size_t>(n));
  std::vector<int> idx;
  for (int i0 = 0; i0 < n; i0 += slots) {
    idx.clear();
    for (int i = i0; i < std::min(n, i0 + slots); ++i) idx.push_back(i);
    const std::vector<Scene>& scenes = r_->pass->decode(idx, *r_->network, *r_->camera, r_->times);
    for (size_t b = 0; b < idx.size(); ++b) starts[static_cast<size_t>(idx[b])] = scenes[b];
  }
  r_->refined = std::make_unique<RefinedScenes>(starts, r_->config, r_->guard.lr_factor());
  r_->state.refining = true;
}

// Every optimizer, after a command changed the settings or the guard its factor.
void Loop::apply_settings() {
  const double f = r_->guard.lr_factor();
  apply_loop_settings(r_->camera->optimizer(), r_->config, f);
  std::vector<std::pair<std::string, Optimizer*>> all;
  r_->network->all_optimizers(all);
  if (r_->refined) r_->refined->all_optimizers(all);
  if (r_->multiview) r_->multiview->all_optimizers(all);
  for (auto& [name, o] : all) apply_loop_settings(*o, r_->config, f);
}

// The optimizers a step over r_->batch moves: the camera's and the scene source's.
void Loop::build_step_optimizers() {
  r_->step_optimizers.clear();
  r_->step_optimizers.push_back(&r_->camera->optimizer());
  source().optimizers(r_->batch, r_->step_optimizers);
}

// Terms of camera scope (evaluated once per step, not per photo) into `terms`; returns their sum.
double Loop::camera_terms(LossValues& terms, bool grad) {
  double sum = 0;
  for (int t = 0; t < kNumLossTerms; ++t) {
    const LossTerm& term = loss_terms()[static_cast<size_t>(t)];
    if (term.scope != LossTerm::Scope::kCamera) continue;
    if (!term_active(r_->config.weights, t)) {
      terms[static_cast<size_t>(t)] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    const double v = term.camera(*r_->camera, r_->config.weights.*term.weight, grad);
    terms[static_cast<size_t>(t)] = v;
    sum += v;
  }
  return sum;
}

StepInfo Loop::step() {
  const auto t0 = std::chrono::steady_clock::now();
  Rooms& r = *r_;
  StepInfo info;
  if (r.phase() == LoopPhase::kDone) {
    info.iteration = r.state.iteration;
    info.phase = LoopPhase::kDone;
    info.applied = false;
    info.event = "done";
    return info;
  }
  if (!r.state.refining && r.state.iteration >= r.train_iterations()) begin_refinement();
  r.schedule->next(r.state.refining, r.batch);
  build_step_optimizers();
  for (Optimizer* o : r.step_optimizers) o->zero_grad();

  // Forward and backward of the batch: the photos' terms, then the camera's.
  r.pass->run(r.batch, source(), *r.camera, *r.features, r.config.weights, true, info.timings);
  const int B = static_cast<int>(r.batch.size());
  info.terms.fill(0.0);
  for (int b = 0; b < B; ++b)
    for (size_t t = 0; t < info.terms.size(); ++t) info.terms[t] += r.pass->slot(b).terms[t] / B;
  camera_terms(info.terms, true);
  double loss = 0;  // a non-finite term makes it non-finite, and the guard refuses the step
  for (int t = 0; t < kNumLossTerms; ++t)
    if (term_active(r.config.weights, t)) loss += info.terms[static_cast<size_t>(t)];

  // The gradients of every parameter of the step are complete here. This is the one place a
  // data-parallel run sums them across processes (over r.step_optimizers' parameters) and combines
  // each StepVerdict across processes before acting on it, so that every process takes the same step.
  StepVerdict verdict;
  {
    StageTimer t(info.timings, LoopStage::kStep);
    r.guard.keep(r.step_optimizers);
    verdict = r.guard.prepare(r.step_optimizers, loss);
    if (verdict.ok) {
      r.guard.apply(r.step_optimizers);
      source().project(r.batch);
      verdict = r.guard.check_values(r.step_optimizers);
      if (!verdict.ok) r.guard.rollback(r.step_optimizers);
    }
  }
  if (!verdict.ok) {
    r.guard.diverged();
    apply_settings();
    std::ostringstream e;
    e << "step " << r.state.iteration + 1 << " diverged (" << verdict.problem << "); rolled back, learning rate halved to "
      << r.config.lr * r.guard.lr_factor();
    info.applied = false;
    info.event = e.str();
  } else {
    for (int b = 0; b < B; ++b) r.state.photo_loss[static_cast<size_t>(r.batch[static_cast<size_t>(b)])] = r.pass->slot(b).loss;
  }
  if (r.camera->sensor().params().noise != SensorNoise::None) r.camera->sensor().next_frame();
  ++r.state.iteration;
  info.iteration = r.state.iteration;
  info.phase = r.state.refining ? LoopPhase::kRefinement : LoopPhase::kTraining;
  info.loss = loss;
  info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++r.steps_run;
  r.seconds_run += info.seconds;
  const LoopConfig& c = r.config;
  if (c.checkpoint_interval > 0 && !c.checkpoint_path.empty() && r.state.iteration % c.checkpoint_interval == 0)
    save_session(c.checkpoint_path);
  return info;
}

// ---- commands ------------------------------------------------------------------------------------

void Loop::set_group(const std::string& group, const GroupSettings& settings) {
  settings.check(group);
  r_->config.groups[group] = settings;
  apply_settings();
}
GroupSettings Loop::group(const std::string& group) const { return group_settings(r_->config, group); }
std::vector<std::string> Loop::group_names() const { return loop_groups(); }

void Loop::set_loss_weights(const LossWeights& w) {
  check_weights(w);
  if (w.symmetry > 0 && r_->config.weights.symmetry <= 0) r_->pass->set_symmetry(r_->net->template_mesh());
  r_->config.weights = w;
}

void Loop::set_camera_field(const std::string& name, const std::vector<double>& values) {
  bool found = false, fixed = false;
  Traversal t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) {
    if (spec.name != name) return;
    found = true;
    if (!spec.editable()) fixed = v != values;
    else v = values;
  };
  r_->camera->traverse(t);
  if (!found) throw std::invalid_argument("loop: the camera has no field '" + name + "'");
  if (fixed) throw std::invalid_argument("loop: camera field '" + name + "' is fixed during a fit");
  r_->camera->fields_changed();
}

void Loop::set_isp_stage_enabled(const std::string& stage, bool enabled) {
  if (stage != "sensor" && !r_->camera->isp().stage(stage))
    throw std::invalid_argument("loop: the ISP has no stage '" + stage + "'");
  set_camera_field(stage + ".enabled", {enabled ? 1.0 : 0.0});
}

void Loop::set_render_options(const RenderOptions& o) {
  o.check();
  if (o.size != r_->config.render.size)
    throw std::invalid_argument("loop: render.size cannot change during a fit (" + std::to_string(r_->config.render.size) +
                                " → " + std::to_string(o.size) + ")");
  if (o.light != r_->config.render.light) throw std::invalid_argument("loop: the light model cannot change during a fit");
  r_->config.render = o;
  r_->pass->set_render_options(o);
}

void Loop::set_iterations(int iterations) {
  if (iterations < 0) throw std::invalid_argument("loop: iterations must be ≥ 0");
  r_->config.iterations = iterations;
}

void Loop::start_refinement() { begin_refinement(); }

void Loop::reset() {
  const LoopConfig c = r_->config;
  Dataset d = std::move(r_->dataset);
  const std::optional<Mesh> tmpl = std::move(r_->template_mesh);
  r_.reset();
  r_ = std::make_unique<Rooms>(c, std::move(d), tmpl ? &*tmpl : nullptr);
}

// ---- results -------------------------------------------------------------------------------------

const std::vector<Scene>& Loop::decode(std::span<const int> photos) {
  return r_->pass->decode(photos, source(), *r_->camera, r_->times);
}

// A forward-only pass over `photos` in the current phase (the results are in the pass's slots).
void Loop::forward(std::span<const int> photos) {
  r_->pass->run(photos, source(), *r_->camera, *r_->features, r_->config.weights, false, r_->times);
}

void Loop::snapshot(int photo, LoopSnapshot& out) {
  if (photo < 0 || photo >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(photo));
  // The camera first: it is what a command just changed, and the panel shows it even when the render
  // below fails (a chain whose stages no longer fit together).
  out.iteration = r_->state.iteration;
  out.phase = phase();
  out.photo = photo;
  out.isp = r_->camera->to_json();
  out.camera.clear();
  Traversal t;
  t.field = [&](const FieldSpec& spec, std::vector<double>& v) { out.camera.push_back({spec, v}); };
  r_->camera->traverse(t);
  out.photo_loss = r_->state.photo_loss;
  const int one[] = {photo};
  forward(one);
  PassSlot& s = r_->pass->slot(0);
  out.photo_srgb.copy_from(s.photo);
  out.render_srgb.copy_from(s.render);
  out.render_linear.copy_from(s.rgb);
  out.silhouette.copy_from(s.alpha);
  const Photo& ph = r_->dataset.photos[static_cast<size_t>(photo)];
  if (ph.mask.empty()) out.mask.resize({0});
  else out.mask.copy_from(ph.mask);
  const int64_t plane = s.render.numel() / 3;
  out.error.resize({1, s.render.dim(1), s.render.dim(2)});
  for (int64_t i = 0; i < plane; ++i) {
    float e = 0;
    for (int c = 0; c < 3; ++c) e += std::abs(s.render[c * plane + i] - s.photo[c * plane + i]);
    out.error[i] = e / 3;
  }
  out.scene = r_->pass->scene(0);
  out.mesh = s.renderer.mesh_of(out.scene);
}

Scene Loop::scene(int photo) {
  if (photo < 0 || photo >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(photo));
  Scene s;
  if (r_->multiview) {
    r_->multiview->scene(photo, s);
    return s;
  }
  if (r_->refined) {
    r_->refined->scene(photo, s);
    return s;
  }
  const int one[] = {photo};
  return decode(one)[0];
}

Mesh Loop::mesh(int photo) {
  const Scene s = scene(photo);
  return r_->pass->slot(0).renderer.mesh_of(s);
}

void Loop::render(int photo, Tensor* linear, Tensor* srgb, Tensor* alpha) {
  if (photo < 0 || photo >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(photo));
  const int one[] = {photo};
  forward(one);
  PassSlot& s = r_->pass->slot(0);
  if (linear) linear->copy_from(s.rgb);
  if (srgb) srgb->copy_from(s.render);
  if (alpha) alpha->copy_from(s.alpha);
}

FitMetrics Loop::metrics() {
  FitMetrics fm;
  const int n = num_photos(), slots = r_->pass->slots();
  LossValues camera{};
  camera.fill(std::numeric_limits<double>::quiet_NaN());
  const double prior = camera_terms(camera, false);
  std::vector<int> idx;
  for (int i0 = 0; i0 < n; i0 += slots) {
    idx.clear();
    for (int i = i0; i < std::min(n, i0 + slots); ++i) idx.push_back(i);
    forward(idx);
    for (size_t b = 0; b < idx.size(); ++b) {
      PassSlot& s = r_->pass->slot(static_cast<int>(b));
      const Photo& ph = r_->dataset.photos[static_cast<size_t>(idx[b])];
      LossValues terms = s.terms;
      for (size_t t = 0; t < terms.size(); ++t)
        if (loss_terms()[t].scope == LossTerm::Scope::kCamera) terms[t] = camera[t];
      fm.add_photo(ph.path.string(), s.render, s.alpha, s.photo, ph.mask, terms, s.loss + prior);
    }
  }
  fm.finish();
  fm.iterations = r_->state.iteration;
  fm.iterations_per_second = r_->seconds_run > 0 ? static_cast<double>(r_->steps_run) / r_->seconds_run : 0;
  return fm;
}

void Loop::visit_parameters(const ParameterVisitor<float>& visit) {
  r_->net->visit_parameters(visit);
  Traversal t;
  t.parameter = visit;
  r_->camera->traverse(t);
  if (r_->refined) r_->refined->visit_parameters(visit);
  if (r_->multiview) r_->multiview->visit_parameters(visit);
}

double Loop::loss_and_gradients(const std::vector<int>& photos) {
  Rooms& r = *r_;
  if (photos.empty() || static_cast<int>(photos.size()) > r.pass->slots())
    throw std::invalid_argument("loop: loss_and_gradients needs 1.." + std::to_string(r.pass->slots()) + " photos");
  for (int i : photos)
    if (i < 0 || i >= num_photos()) throw std::out_of_range("loop: no photo " + std::to_string(i));
  r.batch = photos;
  build_step_optimizers();
  for (Optimizer* o : r.step_optimizers) o->zero_grad();
  StageTimes times;
  r.pass->run(photos, source(), *r.camera, *r.features, r.config.weights, true, times);
  LossValues camera{};
  double loss = camera_terms(camera, true);
  for (size_t b = 0; b < photos.size(); ++b) loss += r.pass->slot(static_cast<int>(b)).loss / static_cast<double>(photos.size());
  return loss;
}

}  // namespace invgfx
