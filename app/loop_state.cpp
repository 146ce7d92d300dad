// Implementation of app/loop_state.h.
#include "app/loop_state.h"

#include <cmath>
#include <stdexcept>

namespace invgfx {

void LoopState::check(int n) const {
  auto bad = [](const std::string& what) { throw std::runtime_error("corrupt (" + what + ")"); };
  if (iteration < 0) bad("iteration " + std::to_string(iteration) + " is negative");
  if (photo_loss.size() != static_cast<size_t>(n))
    bad("a loss table of " + std::to_string(photo_loss.size()) + " photos for " + std::to_string(n));
  if (schedule.order.size() != static_cast<size_t>(n))
    bad("a photo order of " + std::to_string(schedule.order.size()) + " photos for " + std::to_string(n));
  std::vector<char> seen(static_cast<size_t>(n), 0);
  for (int v : schedule.order) {
    if (v < 0 || v >= n) bad("photo index " + std::to_string(v) + " in the photo order, outside 0.." + std::to_string(n - 1));
    if (seen[static_cast<size_t>(v)]++) bad("photo " + std::to_string(v) + " twice in the photo order");
  }
  if (schedule.order_pos < 0 || schedule.order_pos > n)
    bad("position " + std::to_string(schedule.order_pos) + " in the photo order of " + std::to_string(n));
  if (schedule.refine_pos < 0 || schedule.refine_pos >= n)
    bad("refinement position " + std::to_string(schedule.refine_pos) + " for " + std::to_string(n) + " photos");
  if (!(lr_factor > 0 && lr_factor <= 1)) bad("learning-rate factor " + std::to_string(lr_factor));
}

}  // namespace invgfx
