// The loop's steady state: once the buffers have their sizes, a training step and a refinement step
// allocate nothing on the heap (operator new counted on every thread, tests/alloc_counter.h), and a
// step reports the time of each of its named stages.
#include "app/loop.h"
#include "tests/alloc_counter.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

constexpr int kS = 64;

Dataset dataset(int n) {
  Dataset d;
  d.options.size = kS;
  for (int i = 0; i < n; ++i) {
    Photo p;
    p.path = "disc" + std::to_string(i) + ".png";
    p.srgb.resize({3, kS, kS});
    p.mask.resize({1, kS, kS});
    for (int y = 0; y < kS; ++y)
      for (int x = 0; x < kS; ++x) {
        const float dx = (x + 0.5f) / kS - 0.5f - 0.03f * i, dy = (y + 0.5f) / kS - 0.5f;
        const bool in = dx * dx + dy * dy < 0.09f;
        p.mask.at(0, y, x) = in;
        for (int c = 0; c < 3; ++c) p.srgb.at(c, y, x) = in ? 0.3f + 0.2f * c : 0.5f + 0.1f * std::sin(0.3f * x);
      }
    d.photos.push_back(std::move(p));
  }
  return d;
}

LoopConfig config() {
  LoopConfig c;
  c.iterations = 100;
  c.train_fraction = 0.5;
  c.batch_size = 2;
  c.icosphere_level = 2;
  c.render.size = kS;
  c.decoder.code_size = 32;
  c.decoder.texture_size = 16;
  c.encoder.channels = {8, 16, 16, 16};
  c.features.channels = 8;
  return c;
}

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
