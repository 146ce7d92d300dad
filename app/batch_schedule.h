// Which photos each step of the loop sees — the one place the loop picks them. Training takes
// batches from a shuffled order of all photos and reshuffles when the next batch would not fit;
// refinement takes the photos round robin. Its state is plain (LoopState::schedule), so a session
// resumes the same sequence.
#pragma once

#include "app/loop_state.h"
#include "core/random.h"

#include <vector>

namespace invgfx {

class BatchSchedule {
 public:
  // `batch`: photos per step, 1..num_photos. Shuffles the first order from `seed`.
  BatchSchedule(int num_photos, int batch, uint64_t seed);

  int batch() const { return batch_; }
  // The next batch of the phase into `out` (no allocation once it has the batch's size).
  void next(bool refining, std::vector<int>& out);

  void save(ScheduleState& s) const;
  // Throws std::runtime_error naming the problem when the state does not belong to this schedule
  // (LoopState::check has checked its indices).
  void restore(const ScheduleState& s);

 private:
  int n_, batch_;
  Rng rng_;
  std::vector<int> order_;
  int64_t order_pos_ = 0, refine_pos_ = 0;
};

}  // namespace invgfx
