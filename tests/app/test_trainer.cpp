// Tests of training as a reusable model (app/trainer.h): the validation split, validation that only
// ever runs forward (training with it follows the same path as without), the best model kept on
// validation, and a resumed run that continues bit-identically.
#include "app/trainer.h"
#include "loop_fixtures.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

LoopConfig train_config() {
  LoopConfig c = test::small_config(48);
  c.iterations = 12;
  c.log_interval = 4;
  return c;
}

std::vector<std::vector<float>> parameters_of(Loop& loop) {
  std::vector<std::vector<float>> out;
  loop.visit_parameters([&](Parameter& p) { out.emplace_back(p.value.begin(), p.value.end()); });
  return out;
}

TEST(Trainer, SplitHoldsOutTheFractionDeterministically) {
  auto [train, val] = split_dataset(test::disc_dataset(10, 32), 0.2, 5);
  EXPECT_EQ(train.photos.size(), 8u);
  EXPECT_EQ(val.photos.size(), 2u);
  ASSERT_EQ(val.inputs.size(), 2u);
  EXPECT_EQ(val.inputs[0], val.photos[0].path);
  auto [train2, val2] = split_dataset(test::disc_dataset(10, 32), 0.2, 5);
  EXPECT_EQ(val2.photos[0].path, val.photos[0].path);
  EXPECT_EQ(val2.photos[1].path, val.photos[1].path);
  // Every photo lands on exactly one side.
  std::set<fs::path> all;
  for (const Photo& p : train.photos) all.insert(p.path);
  for (const Photo& p : val.photos) all.insert(p.path);
  EXPECT_EQ(all.size(), 10u);
  // At least one held out when asked for, never all; none when the fraction is 0.
  EXPECT_EQ(split_dataset(test::disc_dataset(3, 32), 0.05, 1).second.photos.size(), 1u);
  EXPECT_EQ(split_dataset(test::disc_dataset(2, 32), 0.9, 1).first.photos.size(), 1u);
  EXPECT_EQ(split_dataset(test::disc_dataset(4, 32), 0.0, 1).second.photos.size(), 0u);
  EXPECT_THROW(split_dataset(test::disc_dataset(4, 32), 1.0, 1), std::invalid_argument);
}

TEST(Trainer, ValidationRunsForwardOnlyAndTheBestModelIsKept) {
  auto [train, val] = split_dataset(test::disc_dataset(6, 48), 0.34, 2);
  ASSERT_EQ(val.photos.size(), 2u);
  Loop plain([] {
    LoopConfig c = train_config();
    c.train_fraction = 1;
    return c;
  }(), train);
  Trainer trainer(train_config(), std::move(train), std::move(val));
  int rows = 0;
  while (!trainer.done()) {
    bool evaluated = false;
    const StepInfo info = trainer.step(&evaluated);
    EXPECT_EQ(info.phase, LoopPhase::kTraining);  // never refinement
    rows += evaluated;
  }
  while (!plain.done()) plain.step();
  EXPECT_EQ(rows, 3);  // iterations 4, 8, 12
  // Training with validation took exactly the steps of training without it.
  EXPECT_EQ(parameters_of(trainer.loop()), parameters_of(plain));

  const auto& curve = trainer.curve();
  ASSERT_EQ(curve.size(), 3u);
  double best = 1e30;
  int64_t best_it = -1;
  for (const CurvePoint& p : curve) {
    EXPECT_TRUE(std::isfinite(p.val_loss));
    EXPECT_GT(p.val_psnr, 5);
    EXPECT_GE(p.val_iou, 0);
    EXPECT_TRUE(std::isfinite(p.train_loss));
    EXPECT_TRUE(std::isfinite(p.train_terms[0]));  // pixel
    if (p.val_loss < best) best = p.val_loss, best_it = p.iteration;
  }
  EXPECT_EQ(trainer.best_iteration(), best_it);
  ASSERT_NE(trainer.best(), nullptr);
  EXPECT_EQ(trainer.best()->info["iteration"], best_it);
  EXPECT_DOUBLE_EQ(trainer.best()->info["val_loss"].get<double>(), best);
}

TEST(Trainer, ResumeContinuesBitIdentically) {
  const fs::path dir = fs::path(INVGFX_BINARY_DIR) / "test_trainer" / "resume";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto split = [] { return split_dataset(test::disc_dataset(5, 48), 0.4, 2); };

  // Straight through, saving what `train` saves at iteration 8.
  auto [t1, v1] = split();
  Trainer a(train_config(), std::move(t1), std::move(v1));
  while (a.loop().iteration() < 8) a.step();
  a.loop().save_session(dir / "session.bin");
  a.write_curves(dir / "curves.csv");
  a.write_model(dir / "model.invgfx");
  while (!a.done()) a.step();

  // Resumed at 8 in a new trainer.
  auto [t2, v2] = split();
  Trainer b(train_config(), std::move(t2), std::move(v2));
  b.resume(dir / "session.bin", dir / "curves.csv", dir / "model.invgfx");
  EXPECT_EQ(b.loop().iteration(), 8);
  EXPECT_EQ(b.curve().size(), 2u);
  while (!b.done()) b.step();

  EXPECT_EQ(parameters_of(a.loop()), parameters_of(b.loop()));
  ASSERT_EQ(a.curve().size(), b.curve().size());
  for (size_t i = 0; i < a.curve().size(); ++i) {
    EXPECT_EQ(a.curve()[i].iteration, b.curve()[i].iteration);
    EXPECT_EQ(a.curve()[i].val_loss, b.curve()[i].val_loss) << i;
    EXPECT_EQ(a.curve()[i].train_loss, b.curve()[i].train_loss) << i;
  }
  EXPECT_EQ(a.best_iteration(), b.best_iteration());
  ASSERT_TRUE(a.best() && b.best());
  EXPECT_EQ(encode_model_bytes(*a.best()), encode_model_bytes(*b.best()));
}

TEST(Trainer, MetricsHaveTrainAndValidationBlocks) {
  const fs::path dir = fs::path(INVGFX_BINARY_DIR) / "test_trainer" / "metrics";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto [train, val] = split_dataset(test::disc_dataset(4, 48), 0.25, 2);
  LoopConfig c = train_config();
  c.iterations = 4;
  Trainer t(c, std::move(train), std::move(val));
  while (!t.done()) t.step();
  t.write_metrics(dir / "metrics.json");
  t.write_curves(dir / "curves.csv");
  std::ifstream in(dir / "metrics.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["train"]["photos"].size(), 3u);
  EXPECT_EQ(j["val"]["photos"].size(), 1u);
  EXPECT_EQ(j["best_iteration"], 4);
  EXPECT_TRUE(j["val"]["psnr_object"].is_number());
  std::ifstream cin(dir / "curves.csv");
  std::string header, row;
  std::getline(cin, header);
  std::getline(cin, row);
  EXPECT_EQ(header.rfind("iteration,train_pixel,", 0), 0u) << header;
  EXPECT_EQ(row.rfind("4,", 0), 0u) << row;
}

}  // namespace
}  // namespace invgfx
