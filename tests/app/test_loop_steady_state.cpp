// The loop's steady state: once the buffers have their sizes, a training step and a refinement step
// allocate nothing on the heap (operator new counted on every thread, tests/alloc_counter.h), and a
// step reports the time of each of its named stages.
#include "app/loop.h"
#include "tests/alloc_counter.h"
#include "tests/app/loop_fixtures.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

// 100 iterations of the small fit, so that both phases run long enough.
LoopConfig config() {
  LoopConfig c = test::small_config();
  c.iterations = 100;
  return c;
}

Dataset dataset(int n) { return test::disc_dataset(n); }

TEST(LoopSteadyState, StepsAllocateNothingInTrainingAndRefinement) {
  for (bool refining : {false, true}) {
    Loop loop(config(), dataset(4));
    if (refining) loop.start_refinement();
    // Two passes over the photos reach every buffer's final size (each photo once in every slot).
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(loop.step().applied);
    test::CountAllocations allocations;
    StepInfo last;
    for (int i = 0; i < 3; ++i) last = loop.step();
    const long n = allocations.stop();
    EXPECT_TRUE(last.applied) << last.event;
    EXPECT_EQ(n, 0) << (refining ? "refinement" : "training") << " steps allocated " << n << " times";
  }
}

TEST(LoopSteadyState, AStepReportsTheTimeOfEachOfItsStages) {
  Loop loop(config(), dataset(2));
  const StepInfo s = loop.step();
  for (LoopStage stage : {LoopStage::kDevelopPhotos, LoopStage::kEncode, LoopStage::kDecode, LoopStage::kRender,
                          LoopStage::kMosaic, LoopStage::kDevelop, LoopStage::kLosses, LoopStage::kDevelopBackward,
                          LoopStage::kMosaicBackward, LoopStage::kRenderBackward, LoopStage::kDecodeBackward,
                          LoopStage::kEncodeBackward, LoopStage::kStep})
    EXPECT_GT(s.timings[stage], 0.0) << stage_name(stage);
  // No RAW photo: their development's backward did not run.
  EXPECT_EQ(s.timings[LoopStage::kDevelopPhotosBackward], 0.0);
  double sum = 0;
  for (double t : s.timings.seconds) sum += t;
  EXPECT_LE(sum, s.seconds * 1.05 + 1e-4) << "the stages are parts of the step";
}

}  // namespace
}  // namespace invgfx
