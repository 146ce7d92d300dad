// Implementation of app/loop_runner.h.
#include "app/loop_runner.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace invgfx {

LoopRunner::LoopRunner(std::unique_ptr<Loop> loop, int photo) : loop_(std::move(loop)) {
  if (!loop_) throw std::invalid_argument("LoopRunner: no loop");
  num_photos_ = loop_->num_photos();
  if (photo < 0 || photo >= num_photos_)
    throw std::invalid_argument("LoopRunner: photo " + std::to_string(photo) + " out of range [0, " +
                                std::to_string(num_photos_) + ")");
  photo_ = photo;
  status_.iteration = loop_->iteration();
  status_.phase = loop_->phase();
  status_.loss = std::numeric_limits<double>::quiet_NaN();
  worker_ = std::thread([this] { work(); });
}

LoopRunner::~LoopRunner() { stop(); }

void LoopRunner::start() {
  std::lock_guard lock(mutex_);
  if (stop_) return;
  running_ = true;
  status_.running = true;
  wake_.notify_all();
}

void LoopRunner::pause() {
  std::lock_guard lock(mutex_);
  running_ = false;
  pending_steps_ = 0;
  status_.running = false;
  idle_.notify_all();
}

void LoopRunner::step_once() {
  std::lock_guard lock(mutex_);
  if (stop_) return;
  ++pending_steps_;
  wake_.notify_all();
}

void LoopRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !worker_.joinable()) return;
    stop_ = true;
    running_ = false;
    pending_steps_ = 0;
    wake_.notify_all();
  }
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  std::lock_guard lock(mutex_);
  commands_.clear();  // their futures report std::future_errc::broken_promise
  status_.running = false;
  status_.stopped = true;
  idle_.notify_all();
}

std::future<void> LoopRunner::post(Command command) {
  std::packaged_task<void(Loop&)> task(std::move(command));
  auto future = task.get_future();
  std::lock_guard lock(mutex_);
  if (stop_) {
    std::promise<void> refused;
    refused.set_exception(std::make_exception_ptr(std::runtime_error("loop stopped")));
    return refused.get_future();
  }
  commands_.push_back(std::move(task));
  republish_ = true;
  wake_.notify_all();
  return future;
}

void LoopRunner::set_photo(int photo) {
  if (photo < 0 || photo >= num_photos_) return;
  std::lock_guard lock(mutex_);
  photo_ = photo;
  republish_ = true;
  wake_.notify_all();
}

void LoopRunner::reset() {
  post([this](Loop& loop) {
    loop.reset();
    std::lock_guard lock(mutex_);
    reset_history_ = true;
  });
}

bool LoopRunner::copy_snapshot(LoopSnapshot& out, uint64_t& version) const {
  std::lock_guard lock(mutex_);
  if (status_.version == version) return false;
  out = published_;
  version = status_.version;
  return true;
}

void LoopRunner::copy_history(std::vector<StepInfo>& out, uint64_t& generation) const {
  std::lock_guard lock(mutex_);
  if (generation != history_generation_ || out.size() > history_.size()) {
    out.clear();
    generation = history_generation_;
  }
  out.insert(out.end(), history_.begin() + static_cast<std::ptrdiff_t>(out.size()), history_.end());
}

RunnerStatus LoopRunner::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool LoopRunner::wait_idle(int timeout_ms) const {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] {
    return stop_ || (!busy_ && !running_ && pending_steps_ == 0 && commands_.empty() && !republish_);
  });
}

void LoopRunner::work() {
  using Clock = std::chrono::steady_clock;
  auto last_step_end = Clock::now();
  bool had_step = false;  // whether last_step_end belongs to a step of the current run
  std::deque<std::packaged_task<void(Loop&)>> batch;
  for (;;) {
    bool do_step = false, do_publish = false;
    {
      std::unique_lock lock(mutex_);
      busy_ = false;
      idle_.notify_all();
      wake_.wait(lock, [this] {
        return stop_ || running_ || pending_steps_ > 0 || !commands_.empty() || republish_;
      });
      if (stop_) return;
      busy_ = true;
      batch.swap(commands_);
      if (!running_ && pending_steps_ == 0) had_step = false;
      if (running_ && loop_->done()) {
        running_ = false;
        status_.running = false;
      }
      if (running_) {
        do_step = true;
      } else if (pending_steps_ > 0) {
        --pending_steps_;
        do_step = true;
      }
      do_publish = republish_;
      republish_ = false;
    }

    for (auto& task : batch) task(*loop_);  // a throwing command stores its exception in its future
    batch.clear();

    StepInfo info;
    bool stepped = false;
    if (do_step) {
      try {
        info = loop_->step();
        stepped = true;
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        status_.error = e.what();
        running_ = false;
        status_.running = false;
        pending_steps_ = 0;
      }
    }
    if (stepped || do_publish) {
      LoopSnapshot fresh;
      {
        // Reuse the buffers of the snapshot the GUI is not reading: swap out, fill, swap back in.
        std::lock_guard lock(mutex_);
        std::swap(fresh, published_);
      }
      int photo;
      {
        std::lock_guard lock(mutex_);
        photo = photo_;
      }
      try {
        loop_->snapshot(photo, fresh);
        // A snapshot that failed (a camera edit that broke the chain) stops being news once one
        // succeeds again.
        std::lock_guard lock(mutex_);
        if (snapshot_failed_) status_.error.clear();
        snapshot_failed_ = false;
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        status_.error = e.what();
        snapshot_failed_ = true;
      }
      const auto now = Clock::now();
      std::lock_guard lock(mutex_);
      std::swap(fresh, published_);
      if (reset_history_) {
        reset_history_ = false;
        history_.clear();
        ++history_generation_;
        status_.recoveries = 0;
        status_.last_event.clear();
        status_.loss = std::numeric_limits<double>::quiet_NaN();
        status_.steps_per_second = 0;
        had_step = false;
      }
      if (stepped) {
        history_.push_back(info);
        status_.loss = info.loss;
        if (!info.applied) {
          ++status_.recoveries;
          status_.last_event = info.event;
        }
        if (had_step) {
          const double dt = std::chrono::duration<double>(now - last_step_end).count();
          const double rate = dt > 0 ? 1.0 / dt : 0.0;
          // Average over roughly the last ten steps, so the figure is readable yet follows changes.
          status_.steps_per_second =
              status_.steps_per_second > 0 ? 0.9 * status_.steps_per_second + 0.1 * rate : rate;
        }
        last_step_end = now;
        had_step = running_ || pending_steps_ > 0;  // back-to-back steps measure the rate
      }
      status_.iteration = loop_->iteration();
      status_.phase = loop_->phase();
      ++status_.version;
    }
  }
}

}  // namespace invgfx
