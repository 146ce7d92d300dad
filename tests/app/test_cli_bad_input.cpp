// invgfx-cli against hostile inputs, end to end: a FIFO given as the only photo, a session or a config
// (refused at once, exit 1, one line naming it), a fit into a folder that already holds a session
// (refused: the session is kept), NaN or infinite render angles, a config that would exhaust memory,
// an OBJ template with an overflowing coordinate, and a checkpoint's leftover temporary files.
#include "tests/app/cli_fixtures.h"

#include <sys/stat.h>

#include <chrono>

namespace invgfx {
namespace {

using namespace invgfx::test;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A one-photo synthetic dataset at 32 px and a small config, shared by the tests below.
fs::path small_data(const fs::path& d) {
  EXPECT_EQ(cli("synth --out " + q(d / "data") + " --views 1 --size 32 --level 1", d).code, 0);
  std::ofstream(d / "small.json") << R"({"iterations": 2, "template": {"icosphere_level": 1},
    "decoder": {"texture_size": 8}, "encoder": {"channels": [4, 8]}, "log_interval": 1})";
  return d / "data" / "images";
}

TEST(CliBadInput, FifoInputsAreRefusedAtOnce) {
  const fs::path d = work_dir("bad_fifo");
  const fs::path fifo = d / "photo.jpg", session_fifo = d / "session.bin", config_fifo = d / "config.json";
  for (const fs::path& p : {fifo, session_fifo, config_fifo}) ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  CliRun r = cli("fit " + q(fifo) + " --size 32 --out " + q(d / "out"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, fifo.string() + ": not a regular file (a FIFO)")) << r.err;
  r = cli("fit --resume " + q(session_fifo) + " --out " + q(d / "out2"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "session file '" + session_fifo.string() + "': not a regular file (a FIFO)")) << r.err;
  r = cli("fit " + q(fs::path(INVGFX_SOURCE_DIR) / "assets" / "samples" / "apple.jpg") + " --config " + q(config_fifo) +
              " --out " + q(d / "out3"),
          d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "config file '" + config_fifo.string() + "': not a regular file (a FIFO)")) << r.err;
  r = cli("develop " + q(d / "photo.jpg") + " --out " + q(d / "x.png"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "not a regular file (a FIFO)")) << r.err;
  // Nothing waited for a writer that never came.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 60.0);
}

TEST(CliBadInput, AFitNeverReplacesAnotherSession) {
  const fs::path d = work_dir("bad_session_kept");
  const fs::path images = small_data(d), out = d / "fit";
  ASSERT_EQ(cli("fit " + q(images) + " --config " + q(d / "small.json") + " --size 32 --out " + q(out), d).code, 0);
  const std::string before = slurp(out / "session.bin");
  ASSERT_FALSE(before.empty());
  CliRun r = cli("fit " + q(images) + " --config " + q(d / "small.json") + " --size 32 --out " + q(out), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, (out / "session.bin").string() + ": the output folder already holds a session")) << r.err;
  EXPECT_EQ(slurp(out / "session.bin"), before) << "the old session was touched";
  // Resuming that very session into its own folder is what --resume is for.
  r = cli("fit --resume " + q(out / "session.bin") + " --iters 3 --out " + q(out), d);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(slurp(out / "session.bin"), before);
}

TEST(CliBadInput, StaleCheckpointTemporariesAreRemovedOnTheNextStart) {
  const fs::path d = work_dir("bad_tmp");
  const fs::path images = small_data(d), out = d / "fit";
  fs::create_directories(out);
  const fs::path stale = out / ".session.bin.tmp4242";
  std::ofstream(stale) << "half a session";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(1));
  const CliRun r = cli("fit " + q(images) + " --config " + q(d / "small.json") + " --size 32 --out " + q(out), d);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(contains(r.err, "removed 1 temporary file(s) of an interrupted checkpoint")) << r.err;
}

TEST(CliBadInput, NonFiniteRenderAnglesAreRefused) {
  const fs::path d = work_dir("bad_angles");
  const fs::path images = small_data(d), out = d / "fit";
  ASSERT_EQ(cli("fit " + q(images) + " --config " + q(d / "small.json") + " --size 32 --out " + q(out), d).code, 0);
  for (const char* arg : {"--azimuth nan", "--azimuth inf", "--elevation nan", "--azimuth -inf"}) {
    const CliRun r = cli("render " + q(out / "scene.json") + " " + arg + " --out " + q(d / "x.png"), d);
    EXPECT_EQ(r.code, 1) << arg;
    EXPECT_FALSE(fs::exists(d / "x.png")) << arg;
    EXPECT_TRUE(contains(r.err, "must be finite") || contains(r.err, "--elevation")) << arg << ": " << r.err;
  }
  EXPECT_EQ(cli("render " + q(out / "scene.json") + " --azimuth 30 --out " + q(d / "x.png"), d).code, 0);
}

TEST(CliBadInput, ConfigsThatWouldExhaustMemoryOrDivergeAreRefused) {
  const fs::path d = work_dir("bad_config");
  const fs::path images = small_data(d);
  std::ofstream(d / "huge.json") << R"({"features": {"channels": 100000000}})";
  CliRun r = cli("fit " + q(images) + " --config " + q(d / "huge.json") + " --out " + q(d / "o1"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "'features.channels' = 100000000 is above the limit of 4096")) << r.err;
  std::ofstream(d / "total.json") << R"({"batch_size": 512, "features": {"channels": 4096}})";
  r = cli("fit " + q(images) + " --config " + q(d / "total.json") + " --size 1024 --out " + q(d / "o2"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "would need about")) << r.err;
  std::ofstream(d / "offset.json") << R"({"decoder": {"max_offset": 1e30}})";
  r = cli("fit " + q(images) + " --config " + q(d / "offset.json") + " --out " + q(d / "o3"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "'decoder.max_offset' must be finite and at most 100 template radii")) << r.err;
  std::ofstream(d / "big.obj") << "v 0 0 0\nv 1 0 0\nv 0 1e39 0\nf 1 2 3\n";
  std::ofstream(d / "obj.json") << R"({"template": {"obj": ")" << (d / "big.obj").string() << R"("}})";
  r = cli("fit " + q(images) + " --config " + q(d / "obj.json") + " --size 32 --iters 1 --out " + q(d / "o4"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "vertex 3 ('v' line) has a non-finite or out-of-range coordinate")) << r.err;
}

TEST(CliBadInput, LargeWorkingSizesWarnThatStepsAreSlow) {
  const fs::path d = work_dir("bad_slow");
  // The warning comes before anything is loaded: an unreadable photo then ends the run at once.
  std::ofstream(d / "broken.jpg") << "not a jpeg";
  const CliRun r = cli("fit " + q(d / "broken.jpg") + " --size 1024 --out " + q(d / "o"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(contains(r.err, "working size 1024: a step will take about")) << r.err;
  EXPECT_FALSE(contains(cli("fit " + q(d / "broken.jpg") + " --size 256 --out " + q(d / "o"), d).err, "a step will take"));
}

}  // namespace
}  // namespace invgfx
