// What the fuzz targets share: a private scratch folder per process for loaders that take a path, and
// the rule that a loader answering bad input with an exception (its one-line message) is correct.
// Anything else — a sanitizer report, a crash, a hang (libFuzzer's -timeout), an allocation beyond
// -rss_limit_mb or -malloc_limit_mb — is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace invgfx::fuzz {

// A folder of this process's own under the temporary folder, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const auto d = std::filesystem::temp_directory_path() / ("invgfx-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(), ec);
    });
    return d;
  }();
  return dir;
}

// Writes `bytes` to scratch_dir()/name (replacing it) and returns its path.
inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  const auto path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `load`; an exception derived from std::exception is the expected answer to bad input.
template <class F>
void expect_clean(F&& load) {
  try {
    load();
  } catch (const std::exception&) {
  }
}

}  // namespace invgfx::fuzz
