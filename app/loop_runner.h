// Runs a Loop on a worker thread for an interactive front end: the GUI never steps the loop itself. It posts commands, which the worker applies between steps, and copies the
// snapshot the worker publishes after each step. Qt-free, so it is tested like the rest of app/.
//
// Worker states: paused (waits for a command or a step request), running (steps until paused, the
// run is done, or a step throws), stopped (thread joined; the runner no longer accepts work).
#pragma once

#include "app/loop.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace invgfx {

// What a status bar shows; copied as a whole under the runner's lock.
struct RunnerStatus {
  bool running = false;          // stepping continuously
  bool stopped = false;          // worker joined
  int64_t iteration = 0;
  LoopPhase phase = LoopPhase::kTraining;
  double loss = 0;               // last step's total loss (NaN before the first step)
  double steps_per_second = 0;   // exponential average over recent steps (wall time, incl. commands)
  int recoveries = 0;            // steps rolled back by the divergence guard since the last reset
  std::string last_event;        // the last guard event, or ""
  std::string error;             // the last exception a step or a command threw, or ""
  uint64_t version = 0;          // increases with every published snapshot
};

class LoopRunner {
 public:
  using Command = std::function<void(Loop&)>;

  // Takes the loop and starts the worker, paused. `photo` is the one whose snapshot is published.
  explicit LoopRunner(std::unique_ptr<Loop> loop, int photo = 0);
  ~LoopRunner();  // stop()
  LoopRunner(const LoopRunner&) = delete;
  LoopRunner& operator=(const LoopRunner&) = delete;

  void start();      // step continuously
  void pause();      // finish the current step, then wait
  void step_once();  // one more step (also while paused); several calls queue several steps
  // Finishes the current step, applies nothing more, joins the worker. Idempotent.
  void stop();

  // Applied by the worker between steps, in order. The future carries the command's exception.
  std::future<void> post(Command command);
  // post + wait; rethrows the command's exception.
  void call(const Command& command) { post(command).get(); }

  void set_photo(int photo);   // publish this photo's snapshot from now on (and right away)
  void reset();                // Loop::reset, and the history and counters start again

  // Copies the last published snapshot when it is newer than `version` (then updates `version`).
  bool copy_snapshot(LoopSnapshot& out, uint64_t& version) const;
  // Appends the history entries `out` lacks; after a reset (the runner's generation differs from
  // `generation`) it replaces `out` whole and updates `generation`.
  void copy_history(std::vector<StepInfo>& out, uint64_t& generation) const;
  RunnerStatus status() const;
  int num_photos() const { return num_photos_; }

  // Blocks until the worker has nothing queued and is not running (or `timeout_ms` passed); for
  // tests and batch use. Returns whether it became idle.
  bool wait_idle(int timeout_ms = 60000) const;

 private:
  void work();

  std::unique_ptr<Loop> loop_;
  int num_photos_ = 0;

  mutable std::mutex mutex_;            // guards everything below
  mutable std::condition_variable wake_;       // worker waits on it
  mutable std::condition_variable idle_;       // wait_idle waits on it
  std::deque<std::packaged_task<void(Loop&)>> commands_;
  bool running_ = false;
  bool stop_ = false;
  bool busy_ = false;                   // the worker is applying commands or stepping
  bool republish_ = true;               // publish a snapshot even without a step
  int pending_steps_ = 0;
  int photo_ = 0;
  bool reset_history_ = false;
  bool snapshot_failed_ = false;        // status_.error came from a snapshot

  LoopSnapshot published_;              // swapped with the worker's buffer, never copied under lock
  std::vector<StepInfo> history_;
  uint64_t history_generation_ = 0;     // bumped by reset so copy_history starts over
  RunnerStatus status_;

  std::thread worker_;
};

}  // namespace invgfx
