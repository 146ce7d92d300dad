// Implementation of app/cli/progress.h.
#include "app/cli/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

namespace invgfx::cli {

namespace {

std::string duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                               static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

FitProgress::FitProgress(int64_t total, int log_interval)
    : total_(total), log_interval_(log_interval > 0 ? log_interval : 10), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

FitProgress::~FitProgress() { end_line(); }

void FitProgress::end_line() {
  if (bar_open_) std::cerr << "\n" << std::flush;
  bar_open_ = false;
}

void FitProgress::message(const std::string& text) {
  end_line();
  (tty_ ? std::cerr : std::cout) << text << std::endl;
}

void FitProgress::update(const StepInfo& info) {
  const auto now = std::chrono::steady_clock::now();
  if (first_iteration_ < 0) {
    first_iteration_ = info.iteration - 1;
    start_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(info.iteration - first_iteration_) / elapsed : 0.0;
  if (!info.applied) message("iteration " + std::to_string(info.iteration) + ": " + info.event);
  const bool last = info.iteration >= total_;
  if (tty_) {
    if (last || std::chrono::duration<double>(now - last_draw_).count() >= 0.1) {
      draw(info, rate);
      last_draw_ = now;
    }
  } else if (info.iteration % log_interval_ == 0 || last) {
    std::ostringstream line;
    line << "iter " << info.iteration << "/" << total_ << "  " << to_string(info.phase) << "  loss "
         << info.loss;
    for (int t = 0; t < kNumLossTerms; ++t)
      if (std::isfinite(info.terms[static_cast<size_t>(t)]))
        line << "  " << loss_terms()[static_cast<size_t>(t)].name << " " << info.terms[static_cast<size_t>(t)];
    char r[32];
    std::snprintf(r, sizeof r, "  %.1f it/s", rate);
    line << r;
    std::cout << line.str() << std::endl;
  }
}

void FitProgress::draw(const StepInfo& info, double rate) {
  constexpr int kWidth = 30;
  const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(info.iteration) / static_cast<double>(total_)) : 1.0;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  const double eta = rate > 0 ? static_cast<double>(total_ - info.iteration) / rate : 0.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "\r[%s] %lld/%lld %s loss %.4f  %.1f it/s  ETA %s   ", bar.c_str(),
                static_cast<long long>(info.iteration), static_cast<long long>(total_), to_string(info.phase),
                info.loss, rate, duration(eta).c_str());
  std::cerr << buf << std::flush;
  bar_open_ = true;
}

}  // namespace invgfx::cli
