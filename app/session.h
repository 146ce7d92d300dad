// Binary primitives of session files (app/loop.h): little-endian host layout, strings as u64 length +
// bytes, tensors as u32 rank + i64 dims + float32 data. The reader checks every length against the
// bytes left, so a truncated or corrupt file fails with a message naming the file, never with a huge
// allocation or a crash.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>

namespace invgfx {

class SessionWriter {
 public:
  explicit SessionWriter(std::ostream& os) : os_(os) {}
  void bytes(const void* p, size_t n) { os_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n)); }
  void u8(uint8_t v) { bytes(&v, 1); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void i64(int64_t v) { bytes(&v, 8); }
  void f64(double v) { bytes(&v, 8); }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void tensor(const Tensor& t);

 private:
  std::ostream& os_;
};

class SessionReader {
 public:
  // `what` starts every error message, e.g. "session file 'fit/session.bin'".
  SessionReader(std::istream& is, std::string what);
  [[noreturn]] void fail(const std::string& problem) const;
  void bytes(void* p, size_t n);
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  std::string str();
  // An element count, checked against `max` and the bytes left.
  uint64_t count(uint64_t max);
  void tensor(Tensor& t);

 private:
  std::istream& is_;
  std::string what_;
  uint64_t left_ = 0;
};

}  // namespace invgfx
