// Everything of a fit that is neither a parameter nor an optimizer's state, as plain values: where
// it is (iteration, phase), which photos come next (batch_schedule.h), the divergence guard's factor,
// the sensor's noise frame and every photo's last loss. The session file stores it as it is and
// checks it before a fit uses it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace invgfx {

// The photo order of training (a permutation, used from order_pos on), the position of refinement's
// round robin, and the random engine that shuffles (its text state).
struct ScheduleState {
  std::vector<int> order;
  int64_t order_pos = 0;
  int64_t refine_pos = 0;
  std::string rng;
};

struct LoopState {
  int64_t iteration = 0;           // steps taken
  bool refining = false;           // in the refinement phase
  ScheduleState schedule;
  double lr_factor = 1.0;          // the divergence guard's, (0, 1]
  uint64_t sensor_frame = 0;       // the sensor noise's realisation
  std::vector<double> photo_loss;  // last loss of every photo, NaN before it was seen

  // Throws std::runtime_error saying which value is impossible for a fit of `num_photos` photos
  // (a negative iteration or index, a photo order that is not a permutation, a factor outside (0, 1]).
  void check(int num_photos) const;
};

}  // namespace invgfx
