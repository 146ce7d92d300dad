// Implementation of app/trainer.h.
#include "app/trainer.h"

#include "core/atomic_file.h"
#include "core/random.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

std::pair<Dataset, Dataset> split_dataset(Dataset all, double fraction, uint64_t seed) {
  if (!(fraction >= 0 && fraction < 1)) throw std::invalid_argument("validation fraction must lie in [0, 1)");
  const int n = static_cast<int>(all.photos.size());
  int n_val = static_cast<int>(std::lround(fraction * n));
  if (fraction > 0 && n >= 2) n_val = std::max(n_val, 1);
  n_val = std::min(n_val, n - 1);
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  std::shuffle(order.begin(), order.end(), rng.engine());
  std::vector<bool> is_val(static_cast<size_t>(n), false);
  for (int i = 0; i < n_val; ++i) is_val[static_cast<size_t>(order[static_cast<size_t>(i)])] = true;
  Dataset train, val;
  train.options = val.options = all.options;
  train.skipped = std::move(all.skipped);
  for (int i = 0; i < n; ++i) {
    Dataset& d = is_val[static_cast<size_t>(i)] ? val : train;
    d.inputs.push_back(all.photos[static_cast<size_t>(i)].path);
    d.photos.push_back(std::move(all.photos[static_cast<size_t>(i)]));
  }
  return {std::move(train), std::move(val)};
}

namespace {

LoopConfig training_only(LoopConfig c) {
  c.train_fraction = 1.0;
  return c;
}

LoopConfig forward_only(LoopConfig c) {
  c.train_fraction = 1.0;
  c.checkpoint_interval = 0;
  c.checkpoint_path.clear();
  return c;
}

std::string csv_number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];  // the shortest text that reads back to the same double, so a resumed run's rows are exact
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string curves_header() {
  std::string h = "iteration";
  for (const LossTerm& t : loss_terms()) h += std::string(",train_") + t.name;
  return h + ",train_loss,val_loss,val_psnr,val_ssim,val_iou";
}

}  // namespace

Trainer::Trainer(LoopConfig config, Dataset train, Dataset val) {
  train_ = std::make_unique<Loop>(training_only(config), std::move(train));
  if (!val.photos.empty()) val_ = std::make_unique<Loop>(forward_only(config), std::move(val));
  term_sum_.fill(0.0);
}

Trainer::~Trainer() = default;

StepInfo Trainer::step(bool* evaluated) {
  const StepInfo info = train_->step();
  if (info.applied) {
    for (size_t t = 0; t < term_sum_.size(); ++t) term_sum_[t] += info.terms[t];
    loss_sum_ += info.loss;
    ++steps_since_row_;
  }
  const int interval = std::max(1, train_->config().log_interval);
  const bool row = info.iteration % interval == 0 || train_->done();
  if (row) evaluate();
  if (evaluated) *evaluated = row;
  return info;
}

nlohmann::json Trainer::info() const {
  return {{"iteration", train_->iteration()},
          {"train_photos", train_->num_photos()},
          {"val_photos", val_ ? val_->num_photos() : 0}};
}

const CurvePoint& Trainer::evaluate() {
  CurvePoint p;
  p.iteration = train_->iteration();
  const double n = std::max(1, steps_since_row_);
  for (size_t t = 0; t < term_sum_.size(); ++t) p.train_terms[t] = term_sum_[t] / n;
  p.train_loss = steps_since_row_ > 0 ? loss_sum_ / n : std::numeric_limits<double>::quiet_NaN();
  term_sum_.fill(0.0);
  loss_sum_ = 0;
  steps_since_row_ = 0;

  nlohmann::json meta = info();
  auto model = std::make_unique<ModelContents>(train_->model(meta));
  double score = p.train_loss;
  if (val_) {
    val_->set_model(*model, "validation");
    const FitMetrics m = val_->metrics();
    p.val_loss = m.loss;
    p.val_psnr = m.psnr;
    p.val_ssim = m.ssim;
    p.val_iou = m.iou >= 0 ? m.iou : std::numeric_limits<double>::quiet_NaN();
    score = m.loss;
  }
  // Without validation photos the latest model is the one kept.
  if (!val_ || !best_ || score < best_loss_) {
    model->info["val_loss"] = val_ ? nlohmann::json(score) : nlohmann::json(nullptr);
    best_ = std::move(model);
    best_loss_ = score;
    best_iteration_ = p.iteration;
  }
  curve_.push_back(p);
  return curve_.back();
}

void Trainer::resume(const fs::path& session, const fs::path& curves, const fs::path& model) {
  train_->load_session(session);
  const int64_t at = train_->iteration();
  curve_.clear();
  std::error_code ec;
  if (fs::exists(curves, ec)) {
    std::ifstream f(curves);
    std::string line;
    if (!std::getline(f, line) || line != curves_header())
      throw std::runtime_error("curves file '" + curves.string() + "': not written by this version (unexpected header)");
    for (int row = 2; std::getline(f, line); ++row) {
      std::vector<double> v;
      std::stringstream ss(line);
      for (std::string cell; std::getline(ss, cell, ',');) {
        try {
          v.push_back(cell.empty() ? std::numeric_limits<double>::quiet_NaN() : std::stod(cell));
        } catch (const std::exception&) {
          throw std::runtime_error("curves file '" + curves.string() + "': line " + std::to_string(row) +
                                   ": '" + cell + "' is not a number");
        }
      }
      if (!line.empty() && line.back() == ',') v.push_back(std::numeric_limits<double>::quiet_NaN());
      if (v.size() != static_cast<size_t>(kNumLossTerms) + 6)
        throw std::runtime_error("curves file '" + curves.string() + "': line " + std::to_string(row) + " has " +
                                 std::to_string(v.size()) + " columns");
      CurvePoint p;
      p.iteration = static_cast<int64_t>(v[0]);
      if (p.iteration > at) break;
      for (int t = 0; t < kNumLossTerms; ++t) p.train_terms[static_cast<size_t>(t)] = v[static_cast<size_t>(1 + t)];
      const size_t k = 1 + kNumLossTerms;
      p.train_loss = v[k];
      p.val_loss = v[k + 1];
      p.val_psnr = v[k + 2];
      p.val_ssim = v[k + 3];
      p.val_iou = v[k + 4];
      curve_.push_back(p);
    }
  }
  best_.reset();
  best_loss_ = std::numeric_limits<double>::infinity();
  best_iteration_ = -1;
  if (fs::exists(model, ec)) {
    ModelContents m = read_model_file(model);
    const int64_t it = m.info.value("iteration", int64_t{-1});
    if (it >= 0 && it <= at) {
      const nlohmann::json& vl = m.info["val_loss"];
      best_loss_ = vl.is_number() ? vl.get<double>() : std::numeric_limits<double>::infinity();
      best_iteration_ = it;
      best_ = std::make_unique<ModelContents>(std::move(m));
    }
  }
}

void Trainer::write_model(const fs::path& path) const {
  if (!best_) throw std::runtime_error(path.string() + ": no model to write yet (nothing was evaluated)");
  write_model_file(path, *best_);
}

void Trainer::write_curves(const fs::path& path) const {
  std::ostringstream s;
  s << curves_header() << "\n";
  for (const CurvePoint& p : curve_) {
    s << p.iteration;
    for (double v : p.train_terms) s << "," << csv_number(v);
    s << "," << csv_number(p.train_loss) << "," << csv_number(p.val_loss) << "," << csv_number(p.val_psnr) << ","
      << csv_number(p.val_ssim) << "," << csv_number(p.val_iou) << "\n";
  }
  write_file_atomically(path, s.str());
}

void Trainer::write_metrics(const fs::path& path) {
  if (!best_) throw std::runtime_error(path.string() + ": no model to evaluate yet");
  nlohmann::json j;
  j["best_iteration"] = best_iteration_;
  j["iterations"] = train_->iteration();
  train_->set_model(*best_, "best model");
  j["train"] = train_->metrics().to_json();
  if (val_) {
    val_->set_model(*best_, "best model");
    j["val"] = val_->metrics().to_json();
  } else {
    j["val"] = nullptr;
  }
  write_file_atomically(path, j.dump(2) + "\n");
}

}  // namespace invgfx
