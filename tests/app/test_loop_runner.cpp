// LoopRunner: the worker steps the loop, applies commands between steps, publishes snapshots, and
// shuts down cleanly in every state.
#include "app/loop_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

namespace invgfx {
namespace {

// A tiny loop on the sample photos (32 px, small networks), so a step takes milliseconds.
std::unique_ptr<Loop> tiny_loop(int iterations = 1000) {
  LoopConfig c;
  c.iterations = iterations;
  c.batch_size = 1;
  c.icosphere_level = 1;
  c.render.size = 32;
  c.encoder.channels = {8, 16, 16};
  c.decoder.code_size = 16;
  c.decoder.texture_size = 8;
  c.features.channels = 8;
  c.log_interval = 1;
  DatasetOptions d;
  d.size = 32;
  auto dataset = load_dataset({assets_dir() / "samples"}, d);
  return std::make_unique<Loop>(c, std::move(dataset));
}

bool wait_for(const std::function<bool()>& done, int timeout_ms = 20000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST(LoopRunner, PublishesASnapshotBeforeAnyStep) {
  LoopRunner runner(tiny_loop());
  ASSERT_TRUE(runner.wait_idle());
  LoopSnapshot snap;
  uint64_t version = 0;
  ASSERT_TRUE(runner.copy_snapshot(snap, version));
  EXPECT_GT(version, 0u);
  EXPECT_EQ(snap.iteration, 0);
  EXPECT_EQ(snap.photo_srgb.numel(), 3 * 32 * 32);
  EXPECT_FALSE(runner.copy_snapshot(snap, version)) << "nothing new was published";
  EXPECT_EQ(runner.status().iteration, 0);
  EXPECT_FALSE(runner.status().running);
}

TEST(LoopRunner, StepOnceStepsExactlyOncePerRequest) {
  LoopRunner runner(tiny_loop());
  runner.step_once();
  runner.step_once();
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  EXPECT_EQ(runner.status().iteration, 3);
  std::vector<StepInfo> history;
  uint64_t generation = 0;
  runner.copy_history(history, generation);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[2].iteration, 3);
  EXPECT_TRUE(std::isfinite(runner.status().loss));
  LoopSnapshot snap;
  uint64_t version = 0;
  ASSERT_TRUE(runner.copy_snapshot(snap, version));
  EXPECT_EQ(snap.iteration, 3);
  // Incremental copy: nothing new, then only the new entry.
  runner.copy_history(history, generation);
  EXPECT_EQ(history.size(), 3u);
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  runner.copy_history(history, generation);
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[3].iteration, 4);
}

TEST(LoopRunner, StartRunsUntilPausedAndStopsAtTheEnd) {
  LoopRunner runner(tiny_loop(/*iterations=*/12));
  runner.start();
  ASSERT_TRUE(wait_for([&] { return runner.status().iteration >= 2; }));
  runner.pause();
  ASSERT_TRUE(runner.wait_idle());
  const int64_t paused_at = runner.status().iteration;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(runner.status().iteration, paused_at) << "no step while paused";
  runner.start();
  ASSERT_TRUE(wait_for([&] { return !runner.status().running; }));
  EXPECT_EQ(runner.status().iteration, 12) << "a run stops by itself at its last iteration";
  EXPECT_GT(runner.status().steps_per_second, 0.0);
}

TEST(LoopRunner, CommandsRunOnTheWorkerBetweenSteps) {
  LoopRunner runner(tiny_loop());
  runner.start();
  ASSERT_TRUE(wait_for([&] { return runner.status().iteration >= 1; }));
  std::thread::id worker_id;
  int64_t seen_iteration = -1;
  // While running, the command runs between two steps: the loop is at a whole iteration and the
  // next step has not started (a command that steps itself would see no interference).
  runner.call([&](Loop& loop) {
    worker_id = std::this_thread::get_id();
    seen_iteration = loop.iteration();
    GroupSettings frozen;
    frozen.frozen = true;
    loop.set_group("camera", frozen);
  });
  EXPECT_NE(worker_id, std::this_thread::get_id());
  EXPECT_GE(seen_iteration, 1);
  runner.pause();
  ASSERT_TRUE(runner.wait_idle());
  bool camera_frozen = false;
  runner.call([&](Loop& loop) { camera_frozen = loop.group("camera").frozen; });
  EXPECT_TRUE(camera_frozen);
  // A command's exception reaches the caller and the worker lives on.
  EXPECT_THROW(runner.call([](Loop&) { throw std::runtime_error("bad command"); }), std::runtime_error);
  const int64_t before = runner.status().iteration;
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  EXPECT_EQ(runner.status().iteration, before + 1);
}

TEST(LoopRunner, ResetStartsTheHistoryOver) {
  LoopRunner runner(tiny_loop());
  for (int i = 0; i < 3; ++i) runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  std::vector<StepInfo> history;
  uint64_t generation = 0;
  runner.copy_history(history, generation);
  ASSERT_EQ(history.size(), 3u);
  runner.reset();
  ASSERT_TRUE(runner.wait_idle());
  EXPECT_EQ(runner.status().iteration, 0);
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  runner.copy_history(history, generation);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].iteration, 1);
}

TEST(LoopRunner, SetPhotoRepublishesThatPhoto) {
  LoopRunner runner(tiny_loop());
  ASSERT_EQ(runner.num_photos(), 2);
  ASSERT_TRUE(runner.wait_idle());
  LoopSnapshot a, b;
  uint64_t version = 0;
  ASSERT_TRUE(runner.copy_snapshot(a, version));
  runner.set_photo(1);
  ASSERT_TRUE(runner.wait_idle());
  ASSERT_TRUE(runner.copy_snapshot(b, version));
  EXPECT_EQ(b.photo, 1);
  ASSERT_EQ(a.photo_srgb.numel(), b.photo_srgb.numel());
  double diff = 0;
  for (int64_t i = 0; i < a.photo_srgb.numel(); ++i) diff += std::abs(a.photo_srgb[i] - b.photo_srgb[i]);
  EXPECT_GT(diff / static_cast<double>(a.photo_srgb.numel()), 0.01) << "the other photo is shown";
}

TEST(LoopRunner, StopsCleanlyWhileRunningAndRefusesLaterWork) {
  auto runner = std::make_unique<LoopRunner>(tiny_loop(100000));
  runner->start();
  ASSERT_TRUE(wait_for([&] { return runner->status().iteration >= 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  runner->stop();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 2.0) << "stop waits for one step at most";
  EXPECT_TRUE(runner->status().stopped);
  EXPECT_THROW(runner->call([](Loop&) {}), std::runtime_error);
  runner->stop();  // idempotent
  runner.reset();  // destructor after stop
  SUCCEED();
}

}  // namespace
}  // namespace invgfx
