// invgfx-cli as a user runs it: --help of every command, one-line errors naming the bad file or
// argument with a non-zero exit, and synth → fit → every output loads back → render from a new view.
#include "core/version.h"
#include "render/obj_loader.h"
#include "tests/app/cli_fixtures.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tiny_gltf.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace invgfx {
namespace {

namespace fs = std::filesystem;
using namespace test;

TEST(Cli, HelpOfEveryCommand) {
  const fs::path d = work_dir("help");
  CliRun r = cli("--help", d);
  EXPECT_EQ(r.code, 0);
  for (const char* c : {"fit", "render", "develop", "synth"}) EXPECT_TRUE(contains(r.out, c)) << r.out;
  for (const char* c : {"fit", "render", "develop", "synth"}) {
    r = cli(std::string(c) + " --help", d);
    EXPECT_EQ(r.code, 0) << c;
    EXPECT_TRUE(contains(r.out, "--out")) << c << ": " << r.out;
  }
  r = cli("fit --help", d);
  for (const char* o : {"--masks", "--preset", "--config", "--iters", "--size", "--seed", "--resume"})
    EXPECT_TRUE(contains(r.out, o)) << o;
  r = cli("render --help", d);
  for (const char* o : {"--azimuth", "--elevation"}) EXPECT_TRUE(contains(r.out, o)) << o;
  // One version for every binary: the project's and the commit's (core/version.h).
  r = cli("--version", d);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("invgfx-cli ") + version_string() + "\n");
  EXPECT_NE(r.out.find("(git "), std::string::npos) << r.out;
  EXPECT_NE(cli("", d).code, 0);          // a command is required
  EXPECT_NE(cli("nosuch", d).code, 0);    // unknown command
}

TEST(Cli, BadInputsExitNonZeroNamingTheThing) {
  const fs::path d = work_dir("bad");
  const fs::path out = d / "out";
  // A missing photo.
  CliRun r = cli("fit " + q(d / "missing_photo.jpg") + " --out " + q(out), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "missing_photo.jpg")) << r.err;
  // A corrupt image.
  std::ofstream(d / "corrupt.png") << "this is not a PNG";
  r = cli("fit " + q(d / "corrupt.png") + " --out " + q(out) + " --size 32", d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "corrupt.png")) << r.err;
  // An unwritable output folder (below a regular file).
  ASSERT_EQ(cli("synth --out " + q(d / "data") + " --views 1 --size 32 --level 1", d).code, 0);
  std::ofstream(d / "plain_file") << "x";
  r = cli("fit " + q(d / "data" / "images") + " --out " + q(d / "plain_file" / "out") + " --size 32 --iters 1", d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "plain_file")) << r.err;
  // A preset that does not exist.
  r = cli("fit " + q(d / "data" / "images") + " --out " + q(out) + " --preset no_such_preset", d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no_such_preset")) << r.err;
  // A config file that does not parse.
  std::ofstream(d / "broken.json") << "{\"iterations\": ";
  r = cli("fit " + q(d / "data" / "images") + " --out " + q(out) + " --config " + q(d / "broken.json"), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "broken.json")) << r.err;
  // A missing mask folder.
  r = cli("fit " + q(d / "data" / "images") + " --out " + q(out) + " --masks " + q(d / "no_masks"), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no_masks")) << r.err;
  // render: a missing scene file, a scene file that is not JSON.
  r = cli("render " + q(d / "no_scene.json") + " --out " + q(d / "x.png"), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no_scene.json")) << r.err;
  r = cli("render " + q(d / "corrupt.png") + " --out " + q(d / "x.png"), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "corrupt.png")) << r.err;
  // develop: a missing RAW; synth: an unwritable folder; a missing required --out.
  r = cli("develop " + q(d / "no_raw.dng") + " --out " + q(d / "x.png"), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "no_raw.dng")) << r.err;
  r = cli("synth --out " + q(d / "plain_file" / "synth"), d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "plain_file")) << r.err;
  r = cli("synth", d);
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(contains(r.err, "--out")) << r.err;
  // Every error is one line.
  r = cli("fit " + q(d / "corrupt.png") + " --out " + q(out) + " --size 32", d);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// SIGTERM (what a job scheduler or `kill` sends) mid-fit saves the session and exits 143; the session
// resumes.
TEST(Cli, TerminatedFitSavesItsSession) {
  const fs::path d = work_dir("sigterm");
  const fs::path data = d / "data", out = d / "fit";
  ASSERT_EQ(cli("synth --out " + q(data) + " --views 1 --size 32 --level 1", d).code, 0);
  std::ofstream(d / "long.json") << R"({"iterations": 100000, "template": {"icosphere_level": 1},
    "decoder": {"texture_size": 8}, "encoder": {"channels": [4, 8]}, "log_interval": 1})";
  // Start the fit, wait for its first progress line, then send SIGTERM.
  const fs::path so = d / "fit_stdout.txt", se = d / "fit_stderr.txt", code = d / "code.txt";
  {
    std::ofstream sh(d / "run.sh");
    sh << "OMP_NUM_THREADS=2 '" << INVGFX_CLI_EXE << "' fit " << q(data / "images") << " --config " << q(d / "long.json")
       << " --size 32 --out " << q(out) << " >" << q(so) << " 2>" << q(se) << " </dev/null &\n"
       << "pid=$!\n"
       << "for i in $(seq 600); do grep -q 'iter ' " << q(so) << " 2>/dev/null && break; sleep 0.05; done\n"
       << "kill -TERM $pid\n"
       << "wait $pid\n"
       << "echo $? >" << q(code) << "\n";
  }
  ASSERT_EQ(std::system(("bash " + q(d / "run.sh")).c_str()), 0);
  EXPECT_EQ(std::stoi(slurp(code)), 143) << slurp(se) << slurp(so);
  EXPECT_TRUE(fs::exists(out / "session.bin"));
  EXPECT_TRUE(contains(slurp(so) + slurp(se), "session saved")) << slurp(so) << slurp(se);
  const CliRun r = cli("fit " + q(data / "images") + " --size 32 --iters 3 --resume " + q(out / "session.bin") +
                           " --out " + q(d / "resumed"),
                       d);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "resumed")) << r.out;
}

// A checkpoint that cannot be written (OUT/session.bin is a folder) stops the fit with one line that
// names the iteration, the file and why, and says the session could not be kept either.
TEST(Cli, FailedCheckpointStopsWithAClearMessage) {
  const fs::path d = work_dir("checkpoint");
  const fs::path data = d / "data", out = d / "fit";
  ASSERT_EQ(cli("synth --out " + q(data) + " --views 1 --size 32 --level 1", d).code, 0);
  fs::create_directories(out / "session.bin");
  const CliRun r = cli("fit " + q(data / "images") + " --size 32 --iters 20 --checkpoint 5 --out " + q(out), d);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "stopped at iteration 5")) << r.err;
  EXPECT_TRUE(contains(r.err, "session.bin: cannot replace file: Is a directory")) << r.err;
  EXPECT_TRUE(contains(r.err, "could not be saved either")) << r.err;
  EXPECT_FALSE(fs::exists(out / "scene.json"));
}

// A folder with one readable photo and one corrupt file: the corrupt one is named and skipped, and the
// default preset is the one for a single photo.
TEST(Cli, SkippedPhotosAreNamedAndThePresetFollowsWhatLoaded) {
  const fs::path d = work_dir("skipped");
  fs::create_directories(d / "photos");
  fs::copy_file(fs::path(INVGFX_SOURCE_DIR) / "assets" / "samples" / "apple.jpg", d / "photos" / "apple.jpg");
  std::ofstream(d / "photos" / "broken.jpg") << "not a jpeg";
  const CliRun r = cli("fit " + q(d / "photos") + " --iters 2 --size 32 --out " + q(d / "fit"), d);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "broken.jpg")) << r.err;
  EXPECT_TRUE(contains(r.out, "loaded 1 photo(s)")) << r.out;
  EXPECT_TRUE(contains(r.out, "preset single_object")) << r.out;
}

TEST(Cli, SynthFitRenderRoundTrip) {
  const fs::path d = work_dir("roundtrip");
  const fs::path data = d / "data", out = d / "fit";
  ASSERT_EQ(cli("synth --out " + q(data) + " --views 2 --size 48 --level 2", d).code, 0);
  ASSERT_TRUE(fs::exists(data / "truth.json"));
  // A small fit: level-2 template, 48 px, a narrow encoder, a few training and refinement steps.
  std::ofstream(d / "small.json") << R"({"preset": "single_object", "iterations": 6, "train_fraction": 0.5,
    "batch_size": 2, "template": {"icosphere_level": 2}, "decoder": {"texture_size": 16},
    "encoder": {"channels": [8, 16, 16]}, "log_interval": 2})";
  CliRun r = cli("fit " + q(data / "images") + " --masks " + q(data / "masks") + " --config " + q(d / "small.json") +
                  " --size 48 --out " + q(out),
              d);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  // Not on a terminal: one line per log interval (6 iterations, every 2nd).
  EXPECT_TRUE(contains(r.out, "iter 2/6")) << r.out;
  EXPECT_TRUE(contains(r.out, "iter 6/6")) << r.out;
  for (const char* f : {"scene.json", "mesh.obj", "mesh.mtl", "texture.png", "scene.glb", "scene.ply", "render.png",
                        "metrics.json", "session.bin"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_TRUE(fs::exists(out / "photos" / "000_view_00" / "scene.json"));
  EXPECT_TRUE(fs::exists(out / "photos" / "001_view_01" / "scene.json"));

  // Everything loads back.
  std::ifstream sin(out / "scene.json");
  const nlohmann::json scene = nlohmann::json::parse(sin);
  for (const char* k : {"camera", "lights", "isp", "isp_parameters", "losses", "background", "orbit", "files"})
    EXPECT_TRUE(scene.contains(k)) << k;
  EXPECT_TRUE(scene["camera"].contains("opencv"));
  EXPECT_TRUE(scene["camera"].contains("opengl"));
  std::ifstream min(out / "metrics.json");
  const nlohmann::json metrics = nlohmann::json::parse(min);
  EXPECT_EQ(metrics["iterations"].get<int>(), 6);
  const Mesh mesh = load_obj<float>((out / "mesh.obj").string());
  EXPECT_EQ(mesh.num_vertices(), 162);  // icosphere level 2
  EXPECT_TRUE(mesh.has_texture());
  tinygltf::TinyGLTF loader;
  tinygltf::Model model;
  std::string err, warn;
  EXPECT_TRUE(loader.LoadBinaryFromFile(&model, &err, &warn, (out / "scene.glb").string())) << err;
  EXPECT_EQ(model.meshes.size(), 1u);
  EXPECT_TRUE(contains(slurp(out / "scene.ply").substr(0, 200), "element vertex 162"));
  EXPECT_GT(fs::file_size(out / "render.png"), 100u);

  // Render from a new view; the image differs from the fitted view.
  r = cli("render " + q(out / "scene.json") + " --out " + q(d / "new_view.png") + " --azimuth 60 --elevation 20", d);
  ASSERT_EQ(r.code, 0) << r.err;
  r = cli("render " + q(out / "scene.json") + " --out " + q(d / "same_view.png"), d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(fs::file_size(d / "new_view.png"), 100u);
  EXPECT_NE(slurp(d / "new_view.png"), slurp(d / "same_view.png"));

  // Resume the session for 2 more iterations.
  r = cli("fit " + q(data / "images") + " --masks " + q(data / "masks") + " --resume " + q(out / "session.bin") +
              " --iters 8 --out " + q(d / "resumed"),
          d);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  std::ifstream rin(d / "resumed" / "metrics.json");
  EXPECT_EQ(nlohmann::json::parse(rin)["iterations"].get<int>(), 8);
}

}  // namespace
}  // namespace invgfx
