#include "app/session.h"

#include <stdexcept>

namespace invgfx {

void SessionWriter::tensor(const Tensor& t) {
  u32(static_cast<uint32_t>(t.rank()));
  for (int i = 0; i < t.rank(); ++i) i64(t.dim(i));
  bytes(t.data(), sizeof(float) * static_cast<size_t>(t.numel()));
}

SessionReader::SessionReader(std::istream& is, std::string what) : is_(is), what_(std::move(what)) {
  const auto here = is_.tellg();
  is_.seekg(0, std::ios::end);
  const auto end = is_.tellg();
  is_.seekg(here);
  if (here < 0 || end < here) fail("cannot read it");
  left_ = static_cast<uint64_t>(end - here);
}

void SessionReader::fail(const std::string& problem) const { throw std::runtime_error(what_ + ": " + problem); }

void SessionReader::bytes(void* p, size_t n) {
  if (n > left_) fail("truncated (needs " + std::to_string(n) + " more bytes, " + std::to_string(left_) + " left)");
  is_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
  if (!is_) fail("read error");
  left_ -= n;
}

uint8_t SessionReader::u8() {
  uint8_t v = 0;
  bytes(&v, 1);
  return v;
}
uint32_t SessionReader::u32() {
  uint32_t v = 0;
  bytes(&v, 4);
  return v;
}
uint64_t SessionReader::u64() {
  uint64_t v = 0;
  bytes(&v, 8);
  return v;
}
double SessionReader::f64() {
  double v = 0;
  bytes(&v, 8);
  return v;
}

uint64_t SessionReader::count(uint64_t max) {
  const uint64_t n = u64();
  if (n > max || n > left_) fail("corrupt (a count of " + std::to_string(n) + " is impossible here)");
  return n;
}

std::string SessionReader::str() {
  const uint64_t n = count(left_);
  std::string s(n, '\0');
  bytes(s.data(), n);
  return s;
}

void SessionReader::tensor(Tensor& t) {
  const uint32_t rank = u32();
  if (rank > 4) fail("corrupt (tensor of rank " + std::to_string(rank) + ")");
  std::vector<int64_t> dims(rank);
  uint64_t numel = 1;
  for (auto& d : dims) {
    d = i64();
    if (d < 0 || static_cast<uint64_t>(d) > left_) fail("corrupt (tensor dimension " + std::to_string(d) + ")");
    numel *= static_cast<uint64_t>(d);
    if (numel * sizeof(float) > left_) fail("truncated (tensor larger than the rest of the file)");
  }
  if (rank == 0) {
    t = Tensor();
    return;
  }
  t.resize(Shape(dims));
  bytes(t.data(), sizeof(float) * numel);
}

}  // namespace invgfx
