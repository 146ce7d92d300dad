// Fuzz target: a session file through read_session_file. The input's last four bytes are replaced by
// the CRC-32 of the rest, so mutations reach the parser behind the checksum (which would otherwise
// refuse almost every one); inputs shorter than a header test the early refusals.
#include "app/session_file.h"
#include "core/binary_io.h"
#include "tests/fuzz/fuzz_util.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= 16) {
    const uint32_t crc = crc32(bytes.data(), bytes.size() - 4);
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  }
  const auto path = fuzz::write_scratch("session.bin", bytes);
  fuzz::expect_clean([&] { read_session_file(path); });
  return 0;
}
