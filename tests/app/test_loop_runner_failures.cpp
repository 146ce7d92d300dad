// The worker survives what can go wrong in a step or a command and says so: a step whose checkpoint
// cannot be written (the path is a folder), a command that throws (as a failing export does), and a
// full disk (a file-size limit makes every write past 64 KiB fail, as ENOSPC would). After each, the
// status carries the error, the worker takes commands and steps again, and the session on disk is
// still the last complete one.
#include "app/loop_runner.h"
#include "tests/app/cli_fixtures.h"
#include "tests/app/loop_fixtures.h"

#include <sys/resource.h>

#include <csignal>
#include <stdexcept>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

// The loop tests' small fit (tests/app/loop_fixtures.h), long enough never to end here, checkpointing
// every `interval` steps to `checkpoint`.
std::unique_ptr<Loop> small_loop(const fs::path& checkpoint, int interval) {
  LoopConfig c = test::small_config(32);
  c.iterations = 1000;
  c.checkpoint_interval = interval;
  c.checkpoint_path = checkpoint;
  return std::make_unique<Loop>(c, test::disc_dataset(2, 32));
}

TEST(LoopRunnerFailures, AFailingStepIsReportedAndTheWorkerGoesOn) {
  const fs::path d = test::work_dir("runner_failing_step");
  fs::create_directories(d / "session.bin");  // a folder where the checkpoint goes: every save fails
  LoopRunner runner(small_loop(d / "session.bin", 1));
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  RunnerStatus s = runner.status();
  EXPECT_NE(s.error.find("session.bin"), std::string::npos) << s.error;
  EXPECT_FALSE(s.running);
  // The worker still answers commands, and a throwing one (as an export to a bad folder) reports
  // through its future without harming the worker.
  int64_t iteration = -1;
  runner.call([&](Loop& loop) { iteration = loop.iteration(); });
  EXPECT_GE(iteration, 0);
  std::future<void> failed = runner.post([](Loop&) { throw std::runtime_error("export: cannot write"); });
  EXPECT_THROW(failed.get(), std::runtime_error);
  // Once the folder is gone, it steps again and the checkpoint is written.
  fs::remove_all(d / "session.bin");
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  runner.call([&](Loop& loop) { iteration = loop.iteration(); });
  EXPECT_GE(iteration, 1);
  EXPECT_TRUE(fs::is_regular_file(d / "session.bin"));
}

TEST(LoopRunnerFailures, AFullDiskKeepsTheLastCompleteSession) {
  const fs::path d = test::work_dir("runner_full_disk");
  const fs::path session = d / "session.bin";
  LoopRunner runner(small_loop(session, 1));
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  ASSERT_TRUE(runner.status().error.empty()) << runner.status().error;
  const std::string complete = test::slurp(session);
  ASSERT_GT(complete.size(), 64u * 1024) << "the session must be larger than the simulated free space";

  // The disk "fills": writes past 64 KiB fail with EFBIG (SIGXFSZ ignored), as ENOSPC would.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  runner.step_once();
  const bool idle = runner.wait_idle();
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, SIG_DFL);
  ASSERT_TRUE(idle);
  const std::string error = runner.status().error;
  EXPECT_NE(error.find("session.bin"), std::string::npos) << error;
  EXPECT_EQ(test::slurp(session), complete) << "the session on disk was touched by the failed write";
  for (const auto& e : fs::directory_iterator(d))
    EXPECT_EQ(e.path().filename().string().find(".session.bin.tmp"), std::string::npos) << "left " << e.path();
  // Space again: the next step checkpoints.
  runner.step_once();
  ASSERT_TRUE(runner.wait_idle());
  EXPECT_NE(test::slurp(session), complete);
}

}  // namespace
}  // namespace invgfx
