#include "isp/calibration.h"

#include "core/adam.h"
#include "core/charbonnier_loss.h"
#include "core/ssim_loss.h"
#include "isp/ciede2000.h"
#include "isp/color_matrix.h"
#include "isp/develop.h"
#include "isp/tone_curve.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace invgfx {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// Learning rate of each parameter as a multiple of the base rate: Adam's steps are about lr in the
// parameter's own units, so each multiple is the step size that unit calls for (a matrix entry moves
// by ~0.01, a curve logit by ~0.05; black and white levels are in DN, scaled by the RAW's range).
double lr_multiple(const std::string& param, double range_dn) {
  if (param == "color_matrix.matrix" || param == "white_balance.tint") return 0.5;
  if (param == "tone_curve.theta" || param == "sharpen.amount" || param == "denoise.log_sigma_range") return 2.5;
  if (param == "black_white_level.black" || param == "black_white_level.white") return 0.01 * range_dn;
  return 1.0;
}

}  // namespace

const std::vector<std::string>& calibration_stage_names() {
  static const std::vector<std::string> names = {"black_white_level", "white_balance", "denoise",   "color_matrix",
                                                 "tone_curve",        "saturation",    "sharpen"};
  return names;
}

void CalibrationOptions::check() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("calibration: " + what); };
  if (stages.empty()) bad("--stages lists no stage to fit");
  for (const auto& s : stages)
    if (!has(calibration_stage_names(), s)) {
      std::string list;
      for (const auto& n : calibration_stage_names()) list += (list.empty() ? "" : ", ") + n;
      bad("unknown stage '" + s + "' (known: " + list + ")");
    }
  if (iterations < 1 || iterations > 100000) bad("iterations must be in [1, 100000], got " + std::to_string(iterations));
  if (knots < kToneCurveMinKnots || knots > kToneCurveMaxKnots)
    bad("knots must be in [16, 64], got " + std::to_string(knots));
  if (!(lr > 0 && lr <= 1)) bad("lr must be in (0, 1], got " + std::to_string(lr));
  if (!(ssim_weight >= 0 && ssim_weight <= 10)) bad("ssim weight must be in [0, 10], got " + std::to_string(ssim_weight));
  if (pair.size < 64 || pair.size > 4096) bad("size must be in [64, 4096], got " + std::to_string(pair.size));
  if (pair.tile < 4 || pair.tile > 1024) bad("tile must be in [4, 1024], got " + std::to_string(pair.tile));
}

nlohmann::json calibration_isp_json(const CalibrationOptions& o) {
  auto fitted = [&](const char* s) { return has(o.stages, s); };
  nlohmann::json stages = {
      {{"stage", "black_white_level"}, {"learnable", fitted("black_white_level")}},
      {{"stage", "white_balance"}, {"params", {{"clip_highlights", true}}}, {"learnable", false}},
      {{"stage", "demosaic"}, {"params", {{"method", "malvar"}}}},
      {{"stage", "denoise"},
       {"params", {{"radius", 2}, {"sigma_spatial", 1.5}, {"sigma_range", 0.05}}},
       {"enabled", fitted("denoise")},
       {"learnable", fitted("denoise")}},
      {{"stage", "color_matrix"}, {"learnable", fitted("color_matrix")}},
      {{"stage", "srgb"}},
      {{"stage", "tone_curve"},
       {"params", {{"kind", "pwl"}, {"knots", o.knots}}},
       {"enabled", fitted("tone_curve")},
       {"learnable", fitted("tone_curve")}},
      {{"stage", "saturation"}, {"enabled", fitted("saturation")}, {"learnable", fitted("saturation")}},
      {{"stage", "sharpen"},
       {"params", {{"amount", 0.0}, {"sigma", 1.0}}},
       {"enabled", fitted("sharpen")},
       {"learnable", fitted("sharpen")}}};
  return {{"stages", stages}};
}

namespace {

// The same configuration with the colour matrix's rows held to sum 1 (the master's gauge) or free
// (each pair's stage, which receives M·diag(tint)).
nlohmann::json with_matrix_rows(nlohmann::json cfg, bool sum_to_one) {
  for (auto& s : cfg["stages"])
    if (s["stage"] == "color_matrix") s["params"] = {{"rows_sum_to_one", sum_to_one}};
  return cfg;
}

}  // namespace

// A pair's pipelines, the links of its parameters to the shared ones, and its step's buffers.
struct Calibration::Slot {
  IspPipeline isp, neutral;
  std::vector<std::pair<Parameter*, Parameter*>> shared;  // (master, this pair's): copied values
  Parameter* matrix = nullptr;   // this pair's colour matrix A (rows free), set to M·diag(tint)
  std::array<float, 9> own{};    // its own matrix from the metadata, used when the matrix is not fitted
  Tensor dev, pred, dpred, ddev;
  CharbonnierLoss charb{1e-3f};
  SsimLoss ssim;
  bool have_before = false;
  CalibrationPairFigures before;
};

// The optimised parameters: the master pipeline's learnable ones and the tint (log gains of R and B
// relative to G, applied as diag(e^ℓR, 1, e^ℓB) before the colour matrix, after each shot's as-shot
// WB and its highlight clip — exactly what the written matrix M·diag(tint) does in develop).
struct Calibration::Fit {
  std::vector<Parameter*> params;
  Parameter tint{"white_balance.tint", "white_balance.tint", Shape{2}};
  bool fit_matrix = false, fit_tint = false;
  std::unique_ptr<Adam> adam;
};

Calibration::~Calibration() = default;

Calibration::Calibration(const std::vector<CalibrationPairSpec>& specs, const CalibrationOptions& options,
                         const std::function<void(const std::string&)>& log)
    : options_(options) {
  options_.check();
  if (specs.empty()) throw std::invalid_argument("calibration: no RAW given");
  for (const auto& spec : specs) {
    if (log) log("reading " + spec.raw);
    pairs_.push_back(std::make_unique<CalibrationPair>(load_calibration_pair(spec, options_.pair)));
    const CalibrationPair& p = *pairs_.back();
    const CalibrationPair& first = *pairs_.front();
    if (p.make != first.make || p.model != first.model)
      throw std::runtime_error(p.raw_path + ": taken with " + p.make + " " + p.model + ", but " + first.raw_path +
                               " with " + first.make + " " + first.model + "; calibrate one camera at a time");
    if (log) {
      char line[256];
      std::snprintf(line, sizeof line, "  target %s: %dx%d, flip %d, scale %.4f/%.4f, offset %.1f/%.1f, correlation %.3f",
                    p.source.c_str(), p.geometry.target_w, p.geometry.target_h, p.geometry.flip, p.geometry.scale_x,
                    p.geometry.scale_y, p.geometry.offset_x, p.geometry.offset_y, p.geometry.correlation);
      log(line);
    }
  }
  const nlohmann::json cfg = calibration_isp_json(options_);
  const bool fit_levels = has(options_.stages, "black_white_level");
  for (const auto& p : pairs_) {
    const auto& s0 = pairs_.front()->binned.settings;
    if (fit_levels && (p->binned.settings.black != s0.black || p->binned.settings.white != s0.white))
      throw std::runtime_error(p->raw_path + ": its black/white levels differ from " + pairs_.front()->raw_path +
                               "'s, so black_white_level cannot be fitted as one setting for both");
  }

  master_ = std::make_unique<IspPipeline>(binned_pipeline(pairs_.front()->binned, with_matrix_rows(cfg, true)));
  fit_ = std::make_unique<Fit>();
  fit_->fit_matrix = has(options_.stages, "color_matrix");
  fit_->fit_tint = has(options_.stages, "white_balance");
  fit_->tint.value.zero();
  const auto& st = pairs_.front()->binned.settings;
  const double range_dn = st.white - *std::min_element(st.black.begin(), st.black.end());
  master_->visit_parameters([&](Parameter& p) {
    if (!p.requires_grad) return;
    p.group = p.name;  // one optimizer group per parameter, for its own learning rate
    fit_->params.push_back(&p);
  });
  if (fit_->fit_tint) fit_->params.push_back(&fit_->tint);
  AdamSettings as;
  as.lr = options_.lr;
  fit_->adam = std::make_unique<Adam>(fit_->params, as);
  for (Parameter* p : fit_->params) {
    GroupSettings g;
    g.lr_scale = lr_multiple(p->name, range_dn);
    fit_->adam->set_group(p->name, g);
  }
  fit_->adam->set_schedule(LrSchedule::cosine(options_.iterations, 0.05, std::min(20, options_.iterations / 10)));

  for (const auto& p : pairs_) {
    auto slot = std::make_unique<Slot>();
    slot->isp = binned_pipeline(p->binned, with_matrix_rows(cfg, false));
    slot->neutral = binned_pipeline(p->binned, default_develop_isp_json());
    std::map<std::string, Parameter*> mine;
    slot->isp.visit_parameters([&](Parameter& q) { mine[q.name] = &q; });
    for (Parameter* m : fit_->params)
      if (m != &fit_->tint && m->name != "color_matrix.matrix") slot->shared.emplace_back(m, mine.at(m->name));
    slot->matrix = mine.at("color_matrix.matrix");
    for (int k = 0; k < 9; ++k) slot->own[static_cast<size_t>(k)] = slot->matrix->value[k];
    slots_.push_back(std::move(slot));
  }
}

namespace {

// Shared values into a pair's pipeline: copies, and the colour matrix M·diag(tint) from the master's
// M (rows summing to 1) or the pair's own metadata matrix.
void sync(const std::vector<std::pair<Parameter*, Parameter*>>& shared, Parameter& matrix, const std::array<float, 9>& own,
          const IspPipeline& master, const Parameter& tint, bool fit_matrix) {
  for (auto& [m, s] : shared) s->value.copy_from(m->value);
  std::array<double, 9> M{};
  if (fit_matrix) M = const_cast<IspPipeline&>(master).get<ColorMatrix>("color_matrix").params().matrix;
  else std::copy(own.begin(), own.end(), M.begin());
  const double g[3] = {std::exp(static_cast<double>(tint.value[0])), 1.0, std::exp(static_cast<double>(tint.value[1]))};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) matrix.value[3 * r + c] = static_cast<float>(M[static_cast<size_t>(3 * r + c)] * g[c]);
}

// Gradients of a pair's matrix A = M·D (D = diag(g)) back to the master's parameter and the tint:
// ∂L/∂M = G·D, then the master stage's projection (rows summing to 1): ∂L/∂A_ik = H_ik − ⅓Σ_j H_ij;
// ∂L/∂ℓ_c = Σ_r G_rc·M_rc·g_c for c = R, B.
void add_matrix_gradients(const Parameter& matrix, const std::array<float, 9>& own, IspPipeline& master, Parameter& tint,
                          bool fit_matrix, bool fit_tint) {
  std::array<double, 9> M{};
  if (fit_matrix) M = master.get<ColorMatrix>("color_matrix").params().matrix;
  else std::copy(own.begin(), own.end(), M.begin());
  const double g[3] = {std::exp(static_cast<double>(tint.value[0])), 1.0, std::exp(static_cast<double>(tint.value[1]))};
  if (fit_matrix) {
    Parameter* a = nullptr;
    master.visit_parameters([&](Parameter& p) {
      if (p.name == "color_matrix.matrix") a = &p;
    });
    for (int r = 0; r < 3; ++r) {
      double h[3], mean = 0;
      for (int c = 0; c < 3; ++c) {
        h[c] = matrix.grad[3 * r + c] * g[c];
        mean += h[c] / 3;
      }
      for (int c = 0; c < 3; ++c) a->grad[3 * r + c] += static_cast<float>(h[c] - mean);
    }
  }
  if (fit_tint)
    for (int k = 0; k < 2; ++k) {
      const int c = k == 0 ? 0 : 2;
      double d = 0;
      for (int r = 0; r < 3; ++r) d += matrix.grad[3 * r + c] * M[static_cast<size_t>(3 * r + c)] * g[c];
      tint.grad[k] += static_cast<float>(d);
    }
}

// Keeps every parameter inside the range its stage accepts (and its JSON reads back): an Adam step
// may overshoot a bound such as a sharpening amount of 0.
void project(const std::vector<Parameter*>& params) {
  for (Parameter* p : params) {
    auto clamp_all = [&](double lo, double hi) {
      for (float& v : p->value) v = std::clamp(v, static_cast<float>(lo), static_cast<float>(hi));
    };
    if (p->name == "color_matrix.matrix") clamp_all(-8, 8);
    else if (p->name == "saturation.saturation") clamp_all(0, 4);
    else if (p->name == "sharpen.amount") clamp_all(0, 8);
    else if (p->name == "denoise.log_sigma_range") clamp_all(std::log(1e-4), std::log(10.0));
    else if (p->name == "white_balance.tint") clamp_all(-2, 2);
    else if (p->name == "black_white_level.black") clamp_all(0, 65534);
    else if (p->name == "black_white_level.white") clamp_all(1, 65535);
  }
}

}  // namespace

double Calibration::loss(bool gradients) {
  const auto n = static_cast<float>(pairs_.size());
  const float w = static_cast<float>(options_.ssim_weight);
  if (gradients)
    for (Parameter* p : fit_->params) p->zero_grad();
  double loss = 0;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    CalibrationPair& p = *pairs_[i];
    Slot& s = *slots_[i];
    sync(s.shared, *s.matrix, s.own, *master_, fit_->tint, fit_->fit_matrix);
    s.isp.forward(p.binned.image, s.dev);
    p.to_target->forward(s.dev, s.pred);
    const LossWeighting<float> fit{&p.fit_mask, nullptr, 1.f}, ssim{&p.ssim_mask, nullptr, 1.f};
    loss += (static_cast<double>(s.charb.forward(s.pred, p.target, fit)) +
             (w > 0 ? static_cast<double>(w * s.ssim.forward(s.pred, p.target, ssim)) : 0.0)) / n;
    if (!gradients) continue;
    s.dpred.resize(s.pred.shape());
    s.dpred.zero();
    s.charb.backward(s.pred, p.target, fit, 1.f / n, &s.dpred, nullptr, nullptr);
    if (w > 0) s.ssim.backward(s.pred, p.target, ssim, w / n, &s.dpred, nullptr, nullptr);
    s.ddev.resize(s.dev.shape());
    s.ddev.zero();
    p.to_target->backward(s.dev, s.pred, s.dpred, &s.ddev);
    s.isp.visit_parameters([](Parameter& q) { q.zero_grad(); });
    s.isp.backward(p.binned.image, s.dev, s.ddev, nullptr);
    for (auto& [m, q] : s.shared)
      for (int64_t k = 0; k < m->grad.numel(); ++k) m->grad[k] += q->grad[k];
    add_matrix_gradients(*s.matrix, s.own, *master_, fit_->tint, fit_->fit_matrix, fit_->fit_tint);
  }
  return loss;
}

const std::vector<Parameter*>& Calibration::parameters() const { return fit_->params; }

double Calibration::step() {
  const double value = loss(true);
  const StepReport r = fit_->adam->step(value);
  if (!r.applied) throw std::runtime_error("calibration: step " + std::to_string(iteration_ + 1) + " failed: " + r.problem);
  project(fit_->params);
  ++iteration_;
  return value;
}

void Calibration::develop(size_t i, bool calibrated, Tensor& out) {
  Slot& s = *slots_[i];
  Tensor dev;
  if (calibrated) {
    sync(s.shared, *s.matrix, s.own, *master_, fit_->tint, fit_->fit_matrix);
    s.isp.forward(pairs_[i]->binned.image, dev);
  } else {
    s.neutral.forward(pairs_[i]->binned.image, dev);
  }
  pairs_[i]->to_target->forward(dev, out);
  for (float& v : out) v = std::isfinite(v) ? std::clamp(v, 0.f, 1.f) : 0.f;
}

namespace {

// PSNR over every compared channel value; ΔE₀₀ over the pixels compared in all three channels.
struct Sums {
  double se = 0, de = 0;
  int64_t values = 0, pixels = 0;
  void add(const Tensor& img, const Tensor& target, const Tensor& de_map, const Tensor& mask) {
    const int64_t plane = de_map.numel();
    for (int64_t i = 0; i < plane; ++i) {
      int kept = 0;
      for (int c = 0; c < 3; ++c) {
        if (mask[c * plane + i] == 0.f) continue;
        const double d = static_cast<double>(img[c * plane + i]) - target[c * plane + i];
        se += d * d;
        ++values;
        ++kept;
      }
      if (kept == 3) {
        de += de_map[i];
        ++pixels;
      }
    }
  }
  CalibrationFigures figures() const {
    CalibrationFigures f;
    f.pixels = pixels;
    if (values > 0) f.psnr = se > 0 ? 10 * std::log10(static_cast<double>(values) / se) : 99.0;
    if (pixels > 0) f.delta_e = de / static_cast<double>(pixels);
    return f;
  }
};

}  // namespace

CalibrationPairFigures Calibration::figures(size_t i, bool calibrated) {
  Tensor img;
  develop(i, calibrated, img);
  const CalibrationPair& p = *pairs_[i];
  const Tensor de = delta_e_2000_map(img, p.target);
  Sums fit, held;
  fit.add(img, p.target, de, p.fit_mask);
  held.add(img, p.target, de, p.held_mask);
  return {fit.figures(), held.figures()};
}

CalibrationPairFigures Calibration::pooled(bool calibrated) {
  Sums fit, held;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    Tensor img;
    develop(i, calibrated, img);
    const CalibrationPair& p = *pairs_[i];
    const Tensor de = delta_e_2000_map(img, p.target);
    fit.add(img, p.target, de, p.fit_mask);
    held.add(img, p.target, de, p.held_mask);
  }
  return {fit.figures(), held.figures()};
}

CalibrationPairFigures Calibration::before(size_t i) {
  Slot& s = *slots_[i];
  if (!s.have_before) {
    s.before = figures(i, false);
    s.have_before = true;
  }
  return s.before;
}

CalibrationPairFigures Calibration::after(size_t i) { return figures(i, true); }
CalibrationPairFigures Calibration::before_overall() { return pooled(false); }
CalibrationPairFigures Calibration::after_overall() { return pooled(true); }

CalibrationImages Calibration::images(size_t i) {
  CalibrationImages im;
  const CalibrationPair& p = *pairs_[i];
  develop(i, false, im.neutral);
  develop(i, true, im.calibrated);
  im.target = p.target;
  im.delta_e = delta_e_2000_map(im.calibrated, p.target);
  const int64_t plane = p.target.dim(1) * p.target.dim(2);
  im.valid = Tensor({1, p.target.dim(1), p.target.dim(2)});
  for (int64_t i = 0; i < plane; ++i) {
    bool all = true;
    for (int c = 0; c < 3; ++c) all = all && (p.fit_mask[c * plane + i] > 0.f || p.held_mask[c * plane + i] > 0.f);
    im.valid[i] = all ? 1.f : 0.f;
  }
  return im;
}

std::array<double, 3> Calibration::white_balance_correction() {
  return {std::exp(static_cast<double>(fit_->tint.value[0])), 1.0, std::exp(static_cast<double>(fit_->tint.value[1]))};
}

std::array<double, 9> Calibration::color_matrix() {
  // What the pairs develop with: M·diag(tint), M the fitted matrix or the first RAW's own.
  Slot& s = *slots_.front();
  sync(s.shared, *s.matrix, s.own, *master_, fit_->tint, fit_->fit_matrix);
  std::array<double, 9> m{};
  for (int k = 0; k < 9; ++k) m[static_cast<size_t>(k)] = s.matrix->value[k];
  return m;
}

std::vector<double> Calibration::tone_curve_knots() { return master_->get<ToneCurve>("tone_curve").knot_values(); }

nlohmann::json Calibration::isp_json() {
  auto fitted = [&](const std::string& s) { return has(options_.stages, s); };
  nlohmann::json j = master_->to_json();
  const double pitch = pairs_.front()->binned.pitch;
  for (auto& s : j["stages"]) {
    const std::string name = s["stage"];
    // A fit through this camera's look keeps the look and learns each photo's white balance.
    s["learnable"] = name == "white_balance" ? nlohmann::json::array({"log_gains"}) : nlohmann::json::array();
    if (name == "black_white_level" && !fitted(name)) s.erase("params");
    if (name == "white_balance") s["params"] = {{"clip_highlights", true}};
    if (name == "demosaic") s["enabled"] = true;
    if (name == "color_matrix") {
      if (fitted(name) || fitted("white_balance")) {
        const auto m = color_matrix();
        s["params"] = {{"matrix", m}, {"rows_sum_to_one", false}};
      } else {
        s.erase("params");
      }
    }
    // Radii were fitted in working pixels of `pitch` raw pixels: scale them to full resolution,
    // within the ranges the stages accept.
    if (name == "sharpen") s["params"]["sigma"] = std::clamp(s["params"]["sigma"].get<double>() * pitch, 0.3, 8.0);
    if (name == "denoise") {
      s["params"]["sigma_spatial"] = std::clamp(s["params"]["sigma_spatial"].get<double>() * pitch, 0.3, 10.0);
      s["params"]["radius"] = std::clamp(static_cast<int>(std::lround(s["params"]["radius"].get<int>() * pitch)), 0, 6);
    }
  }
  return j;
}

}  // namespace invgfx
