// Tests of the model file (app/model_file.h) and the Loop's side of it (app/loop_model.cpp): a model
// saved, loaded into a fresh loop built from the file alone and run forward gives the same scenes and
// renders bit for bit; damaged, truncated, foreign and other-version files are refused with a message
// naming the problem.
#include "app/loop.h"
#include "app/model_file.h"
#include "loop_fixtures.h"

#include "core/binary_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) { return fs::path(INVGFX_BINARY_DIR) / "test_model_file" / name; }

// A loop trained a few steps, so that every parameter has moved from its initial value.
std::unique_ptr<Loop> trained_loop(int photos) {
  LoopConfig c = test::small_config();
  c.train_fraction = 1.0;
  c.iterations = 6;
  auto loop = std::make_unique<Loop>(c, test::disc_dataset(photos));
  while (!loop->done()) loop->step();
  return loop;
}

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.numel())), 0) << what;
}

TEST(ModelFile, SaveLoadPredictIsBitExact) {
  auto trained = trained_loop(3);
  const fs::path path = temp_path("model.invgfx");
  fs::create_directories(path.parent_path());
  write_model_file(path, trained->model({{"iteration", trained->iteration()}}));

  // A fresh loop on new photos, built from what the file holds (configuration and template).
  const ModelContents m = read_model_file(path);
  EXPECT_EQ(m.info["iteration"], 6);
  LoopConfig c = LoopConfig::from_json(m.config);
  Loop fresh(c, test::disc_dataset(3), &m.template_mesh);
  fresh.set_model(m, "model");
  for (int i = 0; i < 3; ++i) {
    const Scene a = trained->scene(i), b = fresh.scene(i);
    for (int f = 0; f < kNumSceneFields; ++f)
      expect_same_tensor(a.field(static_cast<SceneField>(f)), b.field(static_cast<SceneField>(f)),
                         std::string("photo ") + std::to_string(i) + " " + scene_field_name(static_cast<SceneField>(f)));
    Tensor ra, rb;
    trained->render(i, nullptr, &ra, nullptr);
    fresh.render(i, nullptr, &rb, nullptr);
    expect_same_tensor(ra, rb, "render of photo " + std::to_string(i));
  }
  // A different model changes the predictions (the comparison above can fail).
  LoopConfig c2 = c;
  c2.seed = 99;
  Loop other(c2, test::disc_dataset(3));
  const Scene a = trained->scene(0), b = other.scene(0);
  EXPECT_NE(std::memcmp(a.positions.data(), b.positions.data(), sizeof(float) * a.positions.numel()), 0);
}

TEST(ModelFile, BytesRoundTripExactly) {
  auto trained = trained_loop(2);
  const ModelContents m = trained->model({{"note", "x"}});
  const std::string bytes = encode_model_bytes(m);
  const ModelContents back = decode_model_bytes(bytes, "bytes");
  EXPECT_EQ(encode_model_bytes(back), bytes);
  EXPECT_EQ(back.config, m.config);
  EXPECT_EQ(back.template_mesh.faces, m.template_mesh.faces);
  ASSERT_EQ(back.tensors.size(), m.tensors.size());
  EXPECT_GT(back.tensors.size(), 10u);
}

std::string error_of(const std::string& bytes) {
  try {
    decode_model_bytes(bytes, "model file 'm.invgfx'");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelFile, DamagedTruncatedForeignAndOtherVersionsAreRefused) {
  auto trained = trained_loop(2);
  const std::string good = encode_model_bytes(trained->model({}));
  ASSERT_EQ(error_of(good), "");

  // Every flipped byte in a sample of places: refused (the checksum), never a crash.
  for (size_t at : {size_t{13}, size_t{40}, good.size() / 3, good.size() / 2, good.size() - 20, good.size() - 2}) {
    std::string bad = good;
    bad[at] ^= 0x5a;
    const std::string e = error_of(bad);
    EXPECT_NE(e.find("model file 'm.invgfx'"), std::string::npos) << at;
    EXPECT_TRUE(e.find("corrupt") != std::string::npos || e.find("version") != std::string::npos) << at << ": " << e;
  }
  // Cut short anywhere: refused.
  for (size_t len : {size_t{0}, size_t{5}, size_t{12}, size_t{30}, good.size() / 2, good.size() - 1}) {
    const std::string e = error_of(good.substr(0, len));
    EXPECT_FALSE(e.empty()) << len;
  }
  // Not a model.
  EXPECT_NE(error_of("IGXSESSN\x02\0\0\0 and more bytes than twelve").find("not an invgfx model"), std::string::npos);
  // Another version, with a valid checksum: refused by its version.
  std::string v2 = good;
  const uint32_t version = kModelVersion + 1;
  std::memcpy(v2.data() + 8, &version, 4);
  const uint32_t crc = crc32(v2.data(), v2.size() - 4);
  std::memcpy(v2.data() + v2.size() - 4, &crc, 4);
  EXPECT_NE(error_of(v2).find("model version 2, this build reads version 1"), std::string::npos) << error_of(v2);
  // A valid file whose counts are impossible (checksum recomputed): refused by the reader's bounds.
  std::string crafted = good;
  const uint64_t huge = uint64_t{1} << 62;
  std::memcpy(crafted.data() + 12, &huge, 8);  // the configuration's length
  const uint32_t crc2 = crc32(crafted.data(), crafted.size() - 4);
  std::memcpy(crafted.data() + crafted.size() - 4, &crc2, 4);
  EXPECT_NE(error_of(crafted).find("configuration"), std::string::npos) << error_of(crafted);
}

TEST(ModelFile, AModelOfAnotherConfigurationIsRefusedByName) {
  auto trained = trained_loop(2);
  const ModelContents m = trained->model({});
  LoopConfig c = test::small_config();
  c.decoder.code_size = 48;
  Loop other(c, test::disc_dataset(2));
  try {
    other.set_model(m, "model file 'x'");
    FAIL() << "accepted a model of another configuration";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model file 'x': parameter"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has shape"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, MissingFileIsNamed) {
  try {
    read_model_file(temp_path("nope.invgfx"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.invgfx': cannot open it"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace invgfx
