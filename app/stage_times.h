// The named stages of one loop step, forward and backward, and their wall times: the same names in
// StepInfo, in `invgfx-cli fit --timings` and in the README. A stage a step does not run takes 0 s.
//   develop_photos  RAW photos through the denoiser and the ISP (sRGB photos are copied)
//   encode, decode  photos → code → scenes (the network), or the photos' own scenes (refinement)
//   render          scenes → linear RGB and silhouettes
//   mosaic, develop the sensor's mosaic and the ISP, on the batch
//   losses          every loss term, with its gradients w.r.t. the render, photo, silhouette, mesh
//   <stage>.backward the stages above in reverse
//   step            the divergence guard and the optimizers' update
#pragma once

#include <array>
#include <chrono>

namespace invgfx {

enum class LoopStage {
  kDevelopPhotos,
  kEncode,
  kDecode,
  kRender,
  kMosaic,
  kDevelop,
  kLosses,
  kDevelopBackward,
  kMosaicBackward,
  kRenderBackward,
  kDecodeBackward,
  kEncodeBackward,
  kDevelopPhotosBackward,
  kStep,
};
inline constexpr int kNumLoopStages = 14;
const char* stage_name(LoopStage s);

struct StageTimes {
  std::array<double, kNumLoopStages> seconds{};  // by LoopStage
  double& operator[](LoopStage s) { return seconds[static_cast<size_t>(s)]; }
  double operator[](LoopStage s) const { return seconds[static_cast<size_t>(s)]; }
  void clear() { seconds.fill(0.0); }
};

// Adds the wall time of its scope to one stage.
class StageTimer {
 public:
  StageTimer(StageTimes& times, LoopStage stage)
      : times_(times), stage_(stage), start_(std::chrono::steady_clock::now()) {}
  ~StageTimer() { times_[stage_] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  StageTimes& times_;
  LoopStage stage_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace invgfx
