// Runs an ISP calibration (isp/calibration.h) on a worker thread for the GUI's calibration view: the
// Calibration itself knows nothing of threads; this adapter loads the pairs, steps it, and publishes
// an immutable snapshot (figures, images, the fitted curve and matrix) every few iterations and at
// the end, which the GUI copies out under a lock. Cancel finishes the current step.
#pragma once

#include "isp/calibration_report.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace invgfx {

struct CalibrationSnapshot {
  int64_t iteration = 0;
  double loss = 0;
  std::vector<std::string> names;                  // each pair's RAW file name
  std::vector<CalibrationPairFigures> before, after;  // per pair
  CalibrationPairFigures before_all, after_all;
  std::vector<CalibrationImages> images;           // per pair
  std::vector<Tensor> errors;                      // per pair, the ΔE₀₀ heat map (calibration_error_image)
  std::vector<double> curve;                       // tone-curve knots Y_0..Y_K
  std::array<double, 9> matrix{};                  // colour matrix as written (tint folded in)
  std::array<double, 3> tint{1, 1, 1};
};

class CalibrationRunner {
 public:
  enum class State { kIdle, kLoading, kRunning, kDone, kFailed, kCancelled };

  CalibrationRunner() = default;
  ~CalibrationRunner();  // cancels and joins

  // Starts loading and fitting; a previous run must have finished.
  void start(std::vector<CalibrationPairSpec> specs, CalibrationOptions options, int snapshot_every = 25);
  void cancel() { cancel_ = true; }
  State state() const { return state_.load(); }
  int64_t iteration() const { return iteration_.load(); }
  int iterations() const { return options_.iterations; }
  std::string message() const;     // the last log line, or the error of a failed run
  // The latest snapshot (a copy); false when there is none yet.
  bool snapshot(CalibrationSnapshot& out) const;
  // After kDone or kCancelled (with at least one step): writes isp.json and the report beside it.
  // Throws std::runtime_error naming the file on failure.
  std::vector<std::string> save(const std::string& isp_path);
  nlohmann::json isp_json();

 private:
  void run(std::vector<CalibrationPairSpec> specs);
  void publish(double loss);
  void join();

  CalibrationOptions options_;
  int snapshot_every_ = 25;
  std::unique_ptr<Calibration> cal_;
  CalibrationRun run_;
  std::thread thread_;
  std::atomic<State> state_{State::kIdle};
  std::atomic<int64_t> iteration_{0};
  std::atomic<bool> cancel_{false};
  mutable std::mutex mutex_;  // guards snapshot_, have_snapshot_ and message_
  CalibrationSnapshot snapshot_;
  bool have_snapshot_ = false;
  std::string message_;
};

}  // namespace invgfx
