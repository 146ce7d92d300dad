// Progress of a fit on the terminal: a bar redrawn in place (at most ten times a second) when stderr is
// a terminal, otherwise one line per log interval on stdout, so logs and CI output stay readable.
#pragma once

#include "app/loop.h"

#include <chrono>
#include <cstdint>

namespace invgfx::cli {

class FitProgress {
 public:
  // total: the iteration count of the run; log_interval: steps between lines when not on a terminal.
  FitProgress(int64_t total, int log_interval);
  ~FitProgress();  // ends the bar's line

  void set_total(int64_t total) { total_ = total; }
  void update(const StepInfo& info);
  // A message (divergence event, checkpoint) on its own line, not garbling the bar.
  void message(const std::string& text);
  bool on_terminal() const { return tty_; }

 private:
  void draw(const StepInfo& info, double rate);
  void end_line();

  int64_t total_;
  int log_interval_;
  bool tty_;
  bool bar_open_ = false;
  int64_t first_iteration_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace invgfx::cli
