// Weight files: round trip, and every kind of mismatch or damage is refused with a message that names
// the file and the parameter.
#include "core/encoder.h"
#include "core/linear.h"
#include "core/sequential.h"
#include "core/weights_io.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace invgfx {
namespace {

std::string temp_path(const std::string& name) {
  return std::string(INVGFX_BINARY_DIR) + "/weights_io_" + name + ".bin";
}

std::unique_ptr<Sequential> tiny_net(uint64_t seed, int64_t hidden = 4) {
  EncoderOptions eo;
  eo.image_size = 8;
  eo.channels = {hidden};
  eo.out_features = 3;
  eo.seed = seed;
  return make_encoder<float>(eo);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs `f`, expects std::runtime_error, and that its message contains every one of `parts`.
template <class F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

TEST(WeightsIo, RoundTripRestoresEveryValueExactly) {
  auto a = tiny_net(1), b = tiny_net(2);
  const std::string path = temp_path("roundtrip");
  save_weights(*a, path);
  load_weights(*b, path);
  auto pa = collect_parameters<float>(*a), pb = collect_parameters<float>(*b);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i)
    for (int64_t j = 0; j < pa[i]->value.numel(); ++j) ASSERT_EQ(pa[i]->value[j], pb[i]->value[j]) << pa[i]->name;
  // Header: magic, version 1, 4 parameters (conv1.weight, conv1.bias, fc.weight, fc.bias).
  const std::string bytes = read_all(path);
  ASSERT_GE(bytes.size(), 16u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("IGFXWTS\0", 8));
  EXPECT_EQ(static_cast<unsigned char>(bytes[8]), 1);
  EXPECT_EQ(static_cast<unsigned char>(bytes[12]), 4);
  std::remove(path.c_str());
}

TEST(WeightsIo, DoublePrecisionNodeLoadsFloatFile) {
  auto a = tiny_net(3);
  EncoderOptions eo;
  eo.image_size = 8;
  eo.channels = {4};
  eo.out_features = 3;
  auto d = make_encoder<double>(eo);
  std::stringstream s;
  write_weights(*a, s, "memory");
  read_weights(*d, s, "memory");
  EXPECT_EQ(static_cast<float>(collect_parameters<double>(*d)[0]->value[5]), collect_parameters<float>(*a)[0]->value[5]);
}

TEST(WeightsIo, RejectsBadMagicVersionNameShapeCountAndTruncation) {
  auto a = tiny_net(1);
  const std::string path = temp_path("bad");
  save_weights(*a, path);
  const std::string good = read_all(path);

  std::string bad = good;
  bad[0] = 'X';
  write_all(path, bad);
  expect_error([&] { load_weights(*a, path); }, {path, "magic"});

  bad = good;
  bad[8] = 7;
  write_all(path, bad);
  expect_error([&] { load_weights(*a, path); }, {path, "version 7"});

  // A differently named chain with the same shapes.
  Sequential other("other");
  auto renamed = tiny_net(1);
  other.add(std::move(renamed), "enc");
  write_all(path, good);
  expect_error([&] { load_weights(other, path); }, {path, "conv1.weight", "enc.conv1.weight"});

  // Same names, different shape (8 hidden channels instead of 4).
  auto wider = tiny_net(1, 8);
  expect_error([&] { load_weights(*wider, path); }, {path, "conv1.weight", "[4, 3, 4, 4]", "[8, 3, 4, 4]"});

  // Different number of parameters.
  Linear fc(48, 3);
  expect_error([&] { load_weights(fc, path); }, {path, "4 parameters"});

  // Truncated inside the data of the last parameter, and inside a header field.
  write_all(path, good.substr(0, good.size() - 2));
  expect_error([&] { load_weights(*a, path); }, {path, "truncated", "fc.bias"});
  write_all(path, good.substr(0, 14));
  expect_error([&] { load_weights(*a, path); }, {path, "truncated"});

  std::remove(path.c_str());
  expect_error([&] { load_weights(*a, path); }, {path, "no such file"});
}

}  // namespace
}  // namespace invgfx
