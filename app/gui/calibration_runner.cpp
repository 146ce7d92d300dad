#include "app/gui/calibration_runner.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>

namespace invgfx {

CalibrationRunner::~CalibrationRunner() {
  cancel_ = true;
  join();
}

void CalibrationRunner::join() {
  if (thread_.joinable()) thread_.join();
}

void CalibrationRunner::start(std::vector<CalibrationPairSpec> specs, CalibrationOptions options, int snapshot_every) {
  const State s = state_.load();
  if (s == State::kLoading || s == State::kRunning) throw std::logic_error("calibration: a run is in progress");
  join();
  options_ = std::move(options);
  snapshot_every_ = std::max(1, snapshot_every);
  cal_.reset();
  run_ = CalibrationRun{};
  cancel_ = false;
  iteration_ = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    have_snapshot_ = false;
    message_.clear();
  }
  state_ = State::kLoading;
  thread_ = std::thread([this, specs = std::move(specs)]() mutable { run(std::move(specs)); });
}

std::string CalibrationRunner::message() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return message_;
}

bool CalibrationRunner::snapshot(CalibrationSnapshot& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!have_snapshot_) return false;
  out = snapshot_;
  return true;
}

void CalibrationRunner::publish(double loss) {
  CalibrationSnapshot s;  // built outside the lock: developing the images takes a while
  s.iteration = cal_->iteration();
  s.loss = loss;
  for (size_t i = 0; i < cal_->size(); ++i) {
    s.names.push_back(std::filesystem::path(cal_->pair(i).raw_path).filename().string());
    s.before.push_back(cal_->before(i));
    s.after.push_back(cal_->after(i));
    s.images.push_back(cal_->images(i));
    s.errors.push_back(calibration_error_image(s.images.back()));
  }
  s.before_all = cal_->before_overall();
  s.after_all = cal_->after_overall();
  s.curve = cal_->tone_curve_knots();
  s.matrix = cal_->color_matrix();
  s.tint = cal_->white_balance_correction();
  std::lock_guard<std::mutex> lock(mutex_);
  snapshot_ = std::move(s);
  have_snapshot_ = true;
}

void CalibrationRunner::run(std::vector<CalibrationPairSpec> specs) {
  try {
    cal_ = std::make_unique<Calibration>(specs, options_, [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      message_ = line;
    });
    if (cancel_) {
      state_ = State::kCancelled;
      return;
    }
    state_ = State::kRunning;
    publish(0);  // the metadata-only starting point
    const auto start = std::chrono::steady_clock::now();
    double loss = 0;
    for (int i = 0; i < options_.iterations && !cancel_; ++i) {
      loss = cal_->step();
      run_.losses.push_back(loss);
      iteration_ = cal_->iteration();
      if (iteration_ % snapshot_every_ == 0) publish(loss);
    }
    run_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run_.interrupted = cancel_.load();
    publish(loss);
    state_ = cancel_ ? State::kCancelled : State::kDone;
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      message_ = e.what();
    }
    state_ = State::kFailed;
  }
}

std::vector<std::string> CalibrationRunner::save(const std::string& isp_path) {
  const State s = state_.load();
  if (!cal_ || (s != State::kDone && s != State::kCancelled) || cal_->iteration() == 0)
    throw std::runtime_error("there is no finished calibration to save");
  join();
  const std::string dir = std::filesystem::absolute(isp_path).parent_path().string();
  return write_calibration(*cal_, run_, isp_path, dir);
}

nlohmann::json CalibrationRunner::isp_json() {
  const State s = state_.load();
  if (!cal_ || (s != State::kDone && s != State::kCancelled)) throw std::runtime_error("no finished calibration");
  join();
  return cal_->isp_json();
}

}  // namespace invgfx
