// invgfx-cli synth --instances, train and predict end to end on a tiny category: the files each
// writes, the validation split, a resumed run, predictions with and without refinement, and a damaged
// model refused with one line naming the file.
#include "cli_fixtures.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>

namespace invgfx::test {
namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// A small network: level-2 template, a narrow encoder, 4 photos a step.
void write_small_config(const fs::path& p) {
  std::ofstream(p) << R"({"preset": "category", "iterations": 6, "batch_size": 4,
    "template": {"icosphere_level": 2}, "decoder": {"texture_size": 16, "code_size": 32},
    "encoder": {"channels": [8, 16, 16]}, "features": {"channels": 8}, "log_interval": 3})";
}

TEST(CliTrain, SynthTrainResumePredict) {
  const fs::path d = work_dir("train");
  const fs::path data = d / "data", model = d / "model", pred = d / "pred";
  CliRun r = cli("synth --out " + q(data) + " --instances 8 --size 32 --level 2", d);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(data / "images" / "instance_007.png"));
  EXPECT_TRUE(fs::exists(data / "masks" / "instance_007.png"));
  EXPECT_TRUE(fs::exists(data / "truth" / "instance_007.obj"));
  const nlohmann::json truth = read_json(data / "truth.json");
  ASSERT_EQ(truth["views"].size(), 8u);
  EXPECT_EQ(truth["instances"], 8);
  EXPECT_EQ(truth["views"][3]["mesh"], "truth/instance_003.obj");
  // Instances differ in pose.
  EXPECT_NE(truth["views"][0]["orbit"]["azimuth"], truth["views"][1]["orbit"]["azimuth"]);

  write_small_config(d / "small.json");
  r = cli("train " + q(data / "images") + " --config " + q(d / "small.json") + " --size 32 --val 0.25 --iters 3 --out " +
              q(model),
          d);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "training on 6 photo(s), validating on 2")) << r.out;
  for (const char* f : {"model.invgfx", "curves.csv", "metrics.json", "session.bin", "val.txt"})
    EXPECT_TRUE(fs::exists(model / f)) << f;
  // Resumed to 6 iterations: the curves continue.
  r = cli("train --resume " + q(model / "session.bin") + " --iters 6 --out " + q(model), d);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "resumed")) << r.out;
  EXPECT_TRUE(has(r.out, "validating on 2")) << r.out;
  std::ifstream curves(model / "curves.csv");
  std::string line;
  int rows = -1;
  while (std::getline(curves, line)) ++rows;
  EXPECT_EQ(rows, 2);  // iterations 3 and 6
  const nlohmann::json m = read_json(model / "metrics.json");
  EXPECT_EQ(m["train"]["photos"].size(), 6u);
  EXPECT_EQ(m["val"]["photos"].size(), 2u);
  EXPECT_EQ(m["iterations"], 6);

  // Predict two photos forward-only, then with refinement.
  r = cli("predict " + q(model / "model.invgfx") + " " + q(data / "images" / "instance_000.png") + " " +
              q(data / "images" / "instance_001.png") + " --out " + q(pred),
          d);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  for (const char* f : {"scene.json", "mesh.obj", "texture.png", "scene.glb", "scene.ply", "render.png", "metrics.json"})
    EXPECT_TRUE(fs::exists(pred / "instance_001" / f)) << f;
  const nlohmann::json p = read_json(pred / "metrics.json");
  EXPECT_EQ(p["photos"], 2);
  EXPECT_GT(p["seconds_per_photo"].get<double>(), 0);
  EXPECT_EQ(p["prediction"]["photos"].size(), 2u);
  EXPECT_GE(p["prediction"]["iou"].get<double>(), 0);  // masks found beside the images
  EXPECT_FALSE(p.contains("refined"));

  r = cli("predict " + q(model / "model.invgfx") + " " + q(data / "images" / "instance_000.png") + " --refine 5 --out " +
              q(d / "refined"),
          d);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const nlohmann::json pr = read_json(d / "refined" / "metrics.json");
  ASSERT_TRUE(pr.contains("refined"));
  EXPECT_EQ(pr["refined"]["iterations"], 5);
  EXPECT_GT(pr["refined"]["psnr_object"].get<double>(), pr["prediction"]["psnr_object"].get<double>());

  // A damaged model: one line naming the file and the problem.
  std::string bytes = slurp(model / "model.invgfx");
  bytes[bytes.size() / 2] ^= 0x11;
  std::ofstream(d / "bad.invgfx", std::ios::binary) << bytes;
  r = cli("predict " + q(d / "bad.invgfx") + " " + q(data / "images" / "instance_000.png") + " --out " + q(d / "x"), d);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, "invgfx-cli predict: error: model file '")) << r.err;
  EXPECT_TRUE(has(r.err, "bad.invgfx': corrupt")) << r.err;
}

}  // namespace
}  // namespace invgfx::test
