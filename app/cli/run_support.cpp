// Implementation of app/cli/run_support.h.
#include "app/cli/run_support.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace invgfx::cli {

namespace fs = std::filesystem;

namespace {
volatile std::sig_atomic_t g_interrupted = 0;  // the signal that asked the run to stop, or 0
extern "C" void on_stop_signal(int sig) { g_interrupted = sig; }
}  // namespace

void prepare_out_dir(const fs::path& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) throw std::runtime_error(out.string() + ": cannot create the output folder" + (ec ? ": " + ec.message() : ""));
  const fs::path probe = out / (".write-test-" + std::to_string(::getpid()));
  std::FILE* f = std::fopen(probe.c_str(), "wb");
  if (!f) throw std::runtime_error(out.string() + ": the output folder is not writable");
  std::fclose(f);
  fs::remove(probe, ec);
}

void catch_stop_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

int stop_signal() { return g_interrupted; }

Dataset load_photos(const std::string& command, const std::vector<fs::path>& inputs, const DatasetOptions& options) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  Dataset dataset = load_dataset(inputs, options, [&](int i, int n, const fs::path& p) {
    if (tty) std::cerr << "\rloading " << i + 1 << "/" << n << " " << p.filename().string() << "\033[K" << std::flush;
    return g_interrupted == 0;
  });
  if (tty) std::cerr << "\r\033[K";
  for (const std::string& s : dataset.skipped) std::cerr << "invgfx-cli " << command << ": skipped " << s << "\n";
  return dataset;
}

std::string photo_folder_name(const Photo& p, int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d_", index);
  return buf + p.path.stem().string();
}

}  // namespace invgfx::cli
