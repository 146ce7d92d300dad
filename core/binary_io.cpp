// Implementation of core/binary_io.h.
#include "core/binary_io.h"

#include <array>
#include <stdexcept>
#include <vector>

namespace invgfx {

namespace {

// The reflected CRC-32 table of the polynomial 0xEDB88320 (ISO 3309, ITU-T V.42, zlib, PNG).
constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[n] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

}  // namespace

uint32_t crc32(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = crc ^ 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = kCrcTable[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void BinaryWriter::bytes(const void* p, size_t n) {
  os_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
  crc_ = crc32(p, n, crc_);
}

BinaryReader::BinaryReader(std::istream& is, std::string what) : is_(is), what_(std::move(what)) {
  const auto here = is_.tellg();
  is_.seekg(0, std::ios::end);
  const auto end = is_.tellg();
  is_.seekg(here);
  if (!is_ || here < 0 || end < here) fail("cannot read it");
  left_ = static_cast<uint64_t>(end - here);
}

void BinaryReader::fail(const std::string& problem) const {
  throw std::runtime_error(what_ + ": " + problem + (field_.empty() ? "" : " (reading " + field_ + ")"));
}

void BinaryReader::bytes(void* p, size_t n) {
  if (n > left_) fail("truncated (needs " + std::to_string(n) + " more bytes, " + std::to_string(left_) + " left)");
  is_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
  if (!is_) fail("read error");
  left_ -= n;
  crc_ = crc32(p, n, crc_);
}


uint64_t BinaryReader::count(uint64_t max, uint64_t min_bytes) {
  const uint64_t n = u64();
  if (n > max || (min_bytes > 0 && n > left_ / min_bytes))
    fail("corrupt (a count of " + std::to_string(n) + " is impossible here)");
  return n;
}

std::string BinaryReader::str(uint64_t max) {
  const uint64_t n = count(max);
  std::string s(static_cast<size_t>(n), '\0');
  bytes(s.data(), s.size());
  return s;
}

Shape BinaryReader::shape(size_t element_bytes) {
  const uint32_t rank = u32();
  if (rank > static_cast<uint32_t>(Shape::kMaxRank)) fail("corrupt (tensor of rank " + std::to_string(rank) + ")");
  if (rank == 0) return Shape();
  std::vector<int64_t> dims(rank);
  uint64_t numel = 1;
  for (auto& d : dims) {
    d = i64();
    if (d < 0) fail("corrupt (tensor dimension " + std::to_string(d) + ")");
    if (d > 0 && numel > left_ / static_cast<uint64_t>(d)) fail("truncated (tensor larger than the rest of the file)");
    numel *= static_cast<uint64_t>(d);
  }
  if (numel > left_ / element_bytes) fail("truncated (tensor larger than the rest of the file)");
  return Shape(dims);
}

void write_named_values(BinaryWriter& w, const NamedValues& values) {
  w.u64(values.size());
  for (const auto& [name, v] : values) {
    w.str(name);
    w.u64(v.size());
    for (double x : v) w.f64(x);
  }
}

NamedValues read_named_values(BinaryReader& r) {
  NamedValues out;
  const uint64_t n = r.count(uint64_t{1} << 20, 16);
  for (uint64_t i = 0; i < n; ++i) {
    std::string name = r.str(1 << 12);
    std::vector<double> v(static_cast<size_t>(r.count(uint64_t{1} << 20, 8)));
    for (double& x : v) x = r.f64();
    out.emplace_back(std::move(name), std::move(v));
  }
  return out;
}

std::vector<std::pair<std::string, Tensor>> read_named_tensors(BinaryReader& r) {
  std::vector<std::pair<std::string, Tensor>> out;
  const uint64_t n = r.count(uint64_t{1} << 24, 12);
  for (uint64_t i = 0; i < n; ++i) {
    std::string name = r.str(1 << 12);
    r.set_field("parameter '" + name + "'");
    Tensor t;
    r.tensor(t);
    out.emplace_back(std::move(name), std::move(t));
  }
  return out;
}

}  // namespace invgfx
