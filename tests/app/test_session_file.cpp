// Session files refuse what they cannot trust, each with one line naming the file: flipped bytes
// (checksum), version 1 files, and crafted files whose counts or indices are impossible (a negative
// photo index, a photo twice in the order, a negative refinement position, an absurd iteration, a
// learning-rate factor of 0). The crafted files are written by the test through the session writer,
// so their checksums are right and the loop's own checks must catch them. Sessions also carry their
// inputs (relative to the session file when they can) and the camera's plain fields.
#include "app/camera_isp.h"
#include "app/loop.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

namespace invgfx {
namespace {

namespace fs = std::filesystem;
constexpr int kS = 32;

Dataset dataset(int n) {
  Dataset d;
  d.options.size = kS;
  for (int i = 0; i < n; ++i) {
    Photo p;
    p.path = std::to_string(i) + ".png";
    p.srgb.resize({3, kS, kS});
    for (int64_t k = 0; k < p.srgb.numel(); ++k) p.srgb[k] = 0.2f + 0.5f * static_cast<float>((k * (i + 3)) % 17) / 17.f;
    d.photos.push_back(std::move(p));
  }
  return d;
}

LoopConfig config() {
  LoopConfig c;
  c.iterations = 10;
  c.batch_size = 2;
  c.icosphere_level = 1;
  c.render.size = kS;
  c.decoder.code_size = 16;
  c.decoder.texture_size = 8;
  c.encoder.channels = {4, 8};
  c.features.channels = 4;
  return c;
}

fs::path dir() {
  const fs::path d = fs::temp_directory_path() / "invgfx_test_session_file";
  fs::create_directories(d);
  return d;
}

using test::error_of;

// A session of a 3-photo fit after two steps.
fs::path good_session() {
  const fs::path p = dir() / "good.bin";
  Loop loop(config(), dataset(3));
  loop.step();
  loop.step();
  loop.save_session(p);
  return p;
}

// Writes `contents` (its own tensors) as a session file.
fs::path rewrite(const SessionContents& c, const std::string& name) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (const auto& [n, t] : c.tensors) tensors.emplace_back(n, &t);
  const fs::path p = dir() / name;
  write_session_file(p, c, tensors);
  return p;
}

void expect_refused(const fs::path& p, const std::string& word) {
  Loop loop(config(), dataset(3));
  const std::string e = error_of([&] { loop.load_session(p); });
  EXPECT_NE(e.find(p.string()), std::string::npos) << "no file name in: " << e;
  EXPECT_NE(e.find(word), std::string::npos) << "'" << word << "' not in: " << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "not one line: " << e;
  EXPECT_EQ(loop.iteration(), 0) << "a refused session changed the loop";
}

TEST(SessionFile, FlippedBytesAndOldVersionsAreRefused) {
  const fs::path good = good_session();
  std::ifstream f(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (size_t at : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 20}) {
    std::string flipped = bytes;
    flipped[at] ^= 0x10;
    const fs::path p = dir() / ("flipped" + std::to_string(at) + ".bin");
    std::ofstream(p, std::ios::binary) << flipped;
    expect_refused(p, "checksum");
  }
  std::string v1 = bytes;
  v1[8] = 1;
  const fs::path p1 = dir() / "v1.bin";
  std::ofstream(p1, std::ios::binary) << v1;
  expect_refused(p1, "version 1");
  const fs::path cut = dir() / "cut.bin";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  expect_refused(cut, "checksum");
}

TEST(SessionFile, CraftedCountsAndIndicesAreRefused) {
  const SessionContents good = read_session_file(good_session());
  struct Craft {
    const char* name;
    std::function<void(SessionContents&)> edit;
    const char* word;
  };
  const Craft crafts[] = {
      {"negative_index", [](SessionContents& c) { c.state.schedule.order[1] = -5; }, "photo index -5"},
      {"repeated_index", [](SessionContents& c) { c.state.schedule.order[2] = c.state.schedule.order[0]; }, "twice"},
      {"large_index", [](SessionContents& c) { c.state.schedule.order[0] = 1 << 30; }, "photo index"},
      {"negative_refine", [](SessionContents& c) { c.state.schedule.refine_pos = -1; }, "refinement position -1"},
      {"negative_order_pos", [](SessionContents& c) { c.state.schedule.order_pos = -3; }, "position -3"},
      {"absurd_iteration", [](SessionContents& c) { c.state.iteration = -100000000; }, "iteration -100000000"},
      {"zero_factor", [](SessionContents& c) { c.state.lr_factor = 0; }, "learning-rate factor"},
      {"short_loss_table", [](SessionContents& c) { c.state.photo_loss.pop_back(); }, "loss table"},
  };
  for (const Craft& k : crafts) {
    SCOPED_TRACE(k.name);
    SessionContents c = good;
    k.edit(c);
    expect_refused(rewrite(c, std::string(k.name) + ".bin"), k.word);
  }
}

TEST(SessionFile, InputsAreStoredRelativeToTheSessionAndResolveBack) {
  const fs::path root = dir() / "relative";
  fs::remove_all(root);
  fs::create_directories(root / "photos");
  fs::create_directories(root / "fit");
  std::ofstream(root / "photos" / "a.png") << "x";
  Dataset d = dataset(3);
  d.inputs = {root / "photos", root / "photos" / "a.png"};
  d.options.masks = "auto";
  Loop loop(config(), std::move(d));
  const fs::path session = root / "fit" / "session.bin";
  loop.save_session(session);
  const SessionInputs in = Loop::session_inputs(session);
  ASSERT_EQ(in.inputs.size(), 2u);
  EXPECT_EQ(fs::canonical(in.inputs[0]), fs::canonical(root / "photos"));
  EXPECT_EQ(in.masks, "auto");
  // Moved with its photos, the session still finds them (through the relative path).
  fs::rename(root, dir() / "moved");
  const SessionInputs moved = Loop::session_inputs(dir() / "moved" / "fit" / "session.bin");
  EXPECT_EQ(fs::canonical(moved.inputs[1]), fs::canonical(dir() / "moved" / "photos" / "a.png"));
  fs::remove_all(dir() / "moved");
}

TEST(SessionFile, TheCamerasPlainFieldsResume) {
  LoopConfig c = config();
  Loop a(c, dataset(3));
  a.set_camera_field("white_balance.clip_highlights", {1.0});
  a.set_isp_stage_enabled("tone_curve", false);
  a.step();
  const fs::path p = dir() / "fields.bin";
  a.save_session(p);
  Loop b(c, dataset(3));
  b.load_session(p);
  bool clip = false, tone = true;
  Traversal t;
  t.field = [&](const FieldSpec& s, std::vector<double>& v) {
    if (s.name == "white_balance.clip_highlights") clip = v[0] != 0;
    if (s.name == "tone_curve.enabled") tone = v[0] != 0;
  };
  b.camera().traverse(t);
  EXPECT_TRUE(clip);
  EXPECT_FALSE(tone);
  EXPECT_EQ(a.step().loss, b.step().loss) << "the resumed fit continues identically";
}

}  // namespace
}  // namespace invgfx
