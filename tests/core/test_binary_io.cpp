// The bounded binary reader and writer: round trips, the CRC-32 check value, and damaged input
// refused with a message naming the source and the field instead of a huge allocation or a crash.
#include "core/binary_io.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace invgfx {
namespace {

using test::error_of;

TEST(BinaryIo, Crc32MatchesTheStandardCheckValue) {
  // The check value of CRC-32/ISO-HDLC (zlib, PNG) over "123456789".
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(crc32("", 0), 0u);
  // Continuing a CRC over a split input gives the CRC of the whole.
  EXPECT_EQ(crc32("6789", 4, crc32("12345", 5)), 0xCBF43926u);
}

TEST(BinaryIo, RoundTripKeepsEveryValueAndBothSidesAgreeOnTheCrc) {
  std::ostringstream os(std::ios::binary);
  BinaryWriter w(os);
  w.u8(7);
  w.u32(0xDEADBEEFu);
  w.u64(uint64_t{1} << 40);
  w.i64(-5);
  w.f64(-0.25);
  w.str("héllo");
  TensorD t({2, 3});
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = 0.5 * static_cast<double>(i) - 1;
  w.tensor(t);
  w.tensor(Tensor());
  std::istringstream is(os.str(), std::ios::binary);
  BinaryReader r(is, "test stream");
  EXPECT_EQ(r.u8(), 7);
  EXPECT_EQ(r.u32(), 0xDEADBEEFu);
  EXPECT_EQ(r.u64(), uint64_t{1} << 40);
  EXPECT_EQ(r.i64(), -5);
  EXPECT_EQ(r.f64(), -0.25);
  EXPECT_EQ(r.str(), "héllo");
  TensorD back;
  r.tensor(back);
  EXPECT_EQ(back.shape(), t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(back[i], t[i]);
  Tensor empty({4});
  r.tensor(empty);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(r.left(), 0u);
  EXPECT_EQ(r.crc(), w.crc());
  EXPECT_EQ(r.crc(), crc32(os.str().data(), os.str().size()));
}

TEST(BinaryIo, DamagedInputIsRefusedNamingTheSourceAndField) {
  // A count far beyond the bytes that follow: refused before anything is allocated.
  std::ostringstream os(std::ios::binary);
  BinaryWriter w(os);
  w.u64(uint64_t{1} << 60);
  std::istringstream a(os.str(), std::ios::binary);
  BinaryReader ra(a, "file 'x.bin'");
  ra.set_field("the photo table");
  const std::string e = error_of([&] { ra.count(uint64_t{1} << 62); });
  EXPECT_NE(e.find("file 'x.bin'"), std::string::npos) << e;
  EXPECT_NE(e.find("the photo table"), std::string::npos) << e;
  EXPECT_NE(e.find("impossible"), std::string::npos) << e;

  // A string longer than the rest of the stream.
  std::istringstream b(os.str(), std::ios::binary);
  BinaryReader rb(b, "file 'y.bin'");
  EXPECT_NE(error_of([&] { rb.str(); }).find("file 'y.bin'"), std::string::npos);

  // Truncated inside a value, a negative dimension, a rank above 4, a tensor larger than the file.
  std::istringstream c(std::string("\x01\x02", 2), std::ios::binary);
  BinaryReader rc(c, "z");
  EXPECT_NE(error_of([&] { rc.u32(); }).find("truncated"), std::string::npos);
  auto shaped = [](uint32_t rank, std::initializer_list<int64_t> dims) {
    std::ostringstream s(std::ios::binary);
    BinaryWriter bw(s);
    bw.u32(rank);
    for (int64_t d : dims) bw.i64(d);
    return s.str();
  };
  for (const auto& [bytes, word] : {std::pair{shaped(2, {3, -1}), "dimension -1"}, std::pair{shaped(9, {}), "rank 9"},
                                    std::pair{shaped(2, {1 << 20, 1 << 20}), "larger than the rest"}}) {
    std::istringstream s(bytes, std::ios::binary);
    BinaryReader rs(s, "t");
    Tensor t;
    const std::string msg = error_of([&] { rs.tensor(t); });
    EXPECT_NE(msg.find(word), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace invgfx
