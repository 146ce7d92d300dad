// Implementation of core/atomic_file.h.
#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

int remove_stale_temporaries(const fs::path& path, double min_age_s) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string prefix = ".";  // appended rather than operator+, which trips GCC 12's -Wrestrict when inlined
  prefix += path.filename().string();
  prefix += ".tmp";
  const auto now = fs::file_time_type::clock::now();
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) continue;
    const auto age = std::chrono::duration<double>(now - e.last_write_time(ec2)).count();
    if (ec2 || age < min_age_s) continue;
    if (fs::remove(e.path(), ec2)) ++removed;
  }
  return removed;
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error(path.string() + ": cannot write: folder " + dir.string() + " does not exist");
  std::random_device rd;
  std::string name = ".";  // appended rather than operator+, which trips GCC 12's -Wrestrict when inlined
  name += path.filename().string();
  name += ".tmp";
  name += std::to_string(rd());
  const fs::path tmp = dir / name;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error(path.string() + ": cannot write: " + std::strerror(errno));
    try {
      write(out);
    } catch (...) {
      out.close();
      fs::remove(tmp, ec);
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      throw std::runtime_error(path.string() + ": write failed (disk full?)");
    }
  }
  // Flush the data to disk before the rename makes it visible, so a power loss cannot leave an
  // empty file under the final name.
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();  // before remove() reuses ec
    fs::remove(tmp, ec);
    throw std::runtime_error(path.string() + ": cannot replace file: " + why);
  }
}

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  write_file_atomically(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

}  // namespace invgfx
