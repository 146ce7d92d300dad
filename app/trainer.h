// Training the reconstruction network as a reusable model: the loop's training phase only (no
// per-photo refinement) over the training photos, with the held-out photos evaluated forward-only
// every log interval and the best model on validation kept. The Trainer is a thin driver over two
// loops: the training Loop (which photos each step sees and the gradient → optimizer step stay the
// Loop's own: batch_schedule.h, Loop::step) and a validation Loop over the held-out photos that only
// ever runs forward, taking the training loop's model (Loop::model / set_model) before each
// evaluation.
//
// What a run writes (write_* below): DIR/model.invgfx (the best model on validation, or the last one
// without validation photos; model_file.h), DIR/curves.csv (one row per evaluation: iteration, the
// mean of each train term and the train loss over the steps since the last row, validation loss,
// PSNR, SSIM and mask IoU), DIR/metrics.json (`train` and `val` blocks of the best model, as
// FitMetrics::to_json) and the training session (the Loop's, resumed exactly by Trainer::resume).
#pragma once

#include "app/loop.h"

#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace invgfx {

// Splits photos into training and validation: `fraction` of them (rounded, at least one when the
// fraction is > 0 and there are two photos or more, never all) drawn by a shuffle seeded with
// `seed`, each side keeping the photos' order. Each side's `inputs` become its photos' paths.
std::pair<Dataset, Dataset> split_dataset(Dataset all, double fraction, uint64_t seed);

// One row of curves.csv.
struct CurvePoint {
  int64_t iteration = 0;
  LossValues train_terms{};  // mean weighted terms of the steps since the previous row (NaN: off)
  double train_loss = 0;
  double val_loss = std::numeric_limits<double>::quiet_NaN();  // NaN without validation photos
  double val_psnr = std::numeric_limits<double>::quiet_NaN();
  double val_ssim = std::numeric_limits<double>::quiet_NaN();
  double val_iou = std::numeric_limits<double>::quiet_NaN();
};

class Trainer {
 public:
  // `config`'s train_fraction is set to 1 (training only). `val` may have no photos. Throws
  // std::invalid_argument as Loop does.
  Trainer(LoopConfig config, Dataset train, Dataset val);
  ~Trainer();

  Loop& loop() { return *train_; }
  bool has_validation() const { return val_ != nullptr; }
  bool done() const { return train_->done(); }

  // One training step; after every config.log_interval-th step and the last one, evaluates (adds a
  // CurvePoint, keeps the model when it is the best so far). Returns the step's info; `evaluated`
  // says whether a row was added by this step.
  StepInfo step(bool* evaluated = nullptr);
  // Evaluates now (the validation photos, forward-only) and adds a row.
  const CurvePoint& evaluate();

  const std::vector<CurvePoint>& curve() const { return curve_; }
  // The best model so far (none before the first evaluation), its iteration and validation loss.
  const ModelContents* best() const { return best_ ? best_.get() : nullptr; }
  int64_t best_iteration() const { return best_iteration_; }

  // Continues the run saved in `session` (Loop::load_session: bit-identical continuation), with the
  // rows of `curves` (a curves.csv this run wrote) up to the session's iteration and the best model
  // of `model` (a model.invgfx this run wrote) when they exist. Throws std::runtime_error naming the
  // file and the problem.
  void resume(const std::filesystem::path& session, const std::filesystem::path& curves,
              const std::filesystem::path& model);

  // The files above; atomic each. Throws std::runtime_error naming the path.
  void write_model(const std::filesystem::path& path) const;
  void write_curves(const std::filesystem::path& path) const;
  // Evaluates the best model on both sets (so the training loop is left at the best model: call it
  // last) and writes metrics.json.
  void write_metrics(const std::filesystem::path& path);

 private:
  nlohmann::json info() const;

  std::unique_ptr<Loop> train_, val_;
  std::vector<CurvePoint> curve_;
  LossValues term_sum_{};
  double loss_sum_ = 0;
  int steps_since_row_ = 0;
  std::unique_ptr<ModelContents> best_;
  double best_loss_ = std::numeric_limits<double>::infinity();
  int64_t best_iteration_ = -1;
};

}  // namespace invgfx
