#include "isp/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace invgfx {

void write_file_atomically(const std::string& path, const void* data, size_t size, const std::string& who) {
  static std::atomic<unsigned> counter{0};
  if (path.empty()) throw std::runtime_error(who + ": cannot write: empty output path");
  const std::string tmp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw std::runtime_error(who + ": cannot write '" + path + "': " + std::strerror(errno));
  const size_t n = size ? std::fwrite(data, 1, size, f) : 0;
  int err = errno;
  const bool flushed = std::fflush(f) == 0;
  if (!flushed) err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!closed) err = errno;
  if (n != size || !flushed || !closed) {
    std::remove(tmp.c_str());
    throw std::runtime_error(who + ": cannot write '" + path + "': " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error(who + ": cannot write '" + path + "': " + std::strerror(err));
  }
}

}  // namespace invgfx
