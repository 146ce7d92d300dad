// Bounded binary reading and writing: the primitives of every binary file of the project (weight
// files, optimizer state, sessions). Little-endian host layout; strings are u64 length + bytes;
// tensors are u32 rank + i64 dims + raw element data.
//
// The reader knows how many bytes are left in its stream and checks every length and count against
// them before it allocates or reads, so a truncated or corrupt file fails with one message naming
// the file (and the field being read, when the caller says which), never with a huge allocation, a
// hang or a crash. Both sides keep a CRC-32 (IEEE 802.3, the polynomial of zlib and PNG) of the
// bytes that passed through them, so a format can end with a checksum of its payload.
#pragma once

#include "core/tensor.h"

#include <bit>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace invgfx {

static_assert(std::endian::native == std::endian::little, "binary files are little-endian");

// CRC-32 of n bytes, continuing from `crc` (0 to start): crc32(b, crc32(a)) == crc32(a ‖ b).
uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

class BinaryWriter {
 public:
  explicit BinaryWriter(std::ostream& os) : os_(os) {}
  void bytes(const void* p, size_t n);
  void u8(uint8_t v) { bytes(&v, 1); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void i64(int64_t v) { bytes(&v, 8); }
  void f64(double v) { bytes(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  template <class T>
  void tensor(const TensorT<T>& t) {
    u32(static_cast<uint32_t>(t.rank()));
    for (int i = 0; i < t.rank(); ++i) i64(t.dim(i));
    bytes(t.data(), sizeof(T) * static_cast<size_t>(t.numel()));
  }
  uint32_t crc() const { return crc_; }  // of every byte written so far

 private:
  std::ostream& os_;
  uint32_t crc_ = 0;
};

class BinaryReader {
 public:
  // Reads from the stream's current position to its end. `what` starts every error message, e.g.
  // "session file 'fit/session.bin'".
  BinaryReader(std::istream& is, std::string what);

  // Names the field being read in the messages that follow ("" for none), e.g. "parameter 'fc.bias'".
  void set_field(std::string field) { field_ = std::move(field); }
  [[noreturn]] void fail(const std::string& problem) const;
  const std::string& what() const { return what_; }

  void bytes(void* p, size_t n);
  uint8_t u8() { return value<uint8_t>(); }
  uint32_t u32() { return value<uint32_t>(); }
  uint64_t u64() { return value<uint64_t>(); }
  int64_t i64() { return value<int64_t>(); }
  double f64() { return value<double>(); }
  // An element count, refused above `max` or above what the bytes left could hold at `min_bytes`
  // each.
  uint64_t count(uint64_t max, uint64_t min_bytes = 1);
  // A string of at most `max` bytes.
  std::string str(uint64_t max = uint64_t{1} << 30);
  // A tensor of rank ≤ 4 whose data must fit in the bytes left; the element type is T's.
  template <class T>
  void tensor(TensorT<T>& t) {
    const Shape s = shape(sizeof(T));
    if (s.rank() == 0) {
      t = TensorT<T>();
      return;
    }
    t.resize(s);
    bytes(t.data(), sizeof(T) * static_cast<size_t>(t.numel()));
  }
  // A rank and dims as `tensor` reads them, checked against `element_bytes` per element.
  Shape shape(size_t element_bytes);

  uint64_t left() const { return left_; }
  uint32_t crc() const { return crc_; }  // of every byte read so far

 private:
  template <class V>
  V value() {
    V v{};
    bytes(&v, sizeof(V));
    return v;
  }

  std::istream& is_;
  std::string what_, field_;
  uint64_t left_ = 0;
  uint32_t crc_ = 0;
};

// Named lists as session and model files store them: u64 count + {string name, u64 count + f64 each}
// and u64 count + {string name, tensor}. The readers name the entry being read in their messages.
using NamedValues = std::vector<std::pair<std::string, std::vector<double>>>;
void write_named_values(BinaryWriter& w, const NamedValues& values);
NamedValues read_named_values(BinaryReader& r);
std::vector<std::pair<std::string, Tensor>> read_named_tensors(BinaryReader& r);

}  // namespace invgfx
