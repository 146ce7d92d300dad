// Implementation of core/input_file.h and limits::format_bytes of core/limits.h.
#include "core/input_file.h"

#include "core/limits.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace invgfx {

namespace limits {

std::string format_bytes(uint64_t b) {
  char buf[64];
  if (b >= kGiB) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(b) / static_cast<double>(kGiB));
  else if (b >= kMiB) std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / static_cast<double>(kMiB));
  else if (b >= kKiB) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(b) / static_cast<double>(kKiB));
  else std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace limits

namespace {

const char* file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a folder";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a plain file";
}

// The problem with a file of this status, "" when none.
std::string status_problem(const struct stat& st, uint64_t max_bytes) {
  if (!S_ISREG(st.st_mode)) return std::string("not a regular file (") + file_kind(st.st_mode) + ")";
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes)
    return limits::format_bytes(size) + ", more than the limit of " + limits::format_bytes(max_bytes) +
           " for this kind of file";
  return {};
}

}  // namespace

std::string regular_file_problem(const std::filesystem::path& path, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "no such file" : std::strerror(errno);
  return status_problem(st, max_bytes);
}

uint64_t require_regular_file(const std::filesystem::path& path, const std::string& what, uint64_t max_bytes) {
  const std::string problem = regular_file_problem(path, max_bytes);
  if (!problem.empty()) throw std::runtime_error(what + " '" + path.string() + "': " + problem);
  struct stat st {};
  ::stat(path.c_str(), &st);
  return static_cast<uint64_t>(st.st_size);
}

std::string read_input_file(const std::filesystem::path& path, const std::string& what, uint64_t max_bytes) {
  auto fail = [&](const std::string& problem) { throw std::runtime_error(what + " '" + path.string() + "': " + problem); };
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail(errno == ENOENT ? "no such file" : std::string("cannot open it: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(std::string("cannot read it: ") + std::strerror(errno));
  const std::string problem = status_problem(st, max_bytes);
  if (!problem.empty()) fail(problem);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(std::string("cannot read it: ") + std::strerror(errno));
    if (n == 0) break;  // shrank while reading: keep what is there
    got += static_cast<size_t>(n);
  }
  bytes.resize(got);
  return bytes;
}

}  // namespace invgfx
