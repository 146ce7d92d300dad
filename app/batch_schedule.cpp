// Implementation of app/batch_schedule.h.
#include "app/batch_schedule.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace invgfx {

BatchSchedule::BatchSchedule(int num_photos, int batch, uint64_t seed)
    : n_(num_photos), batch_(std::clamp(batch, 1, std::max(1, num_photos))), rng_(seed) {
  order_.resize(static_cast<size_t>(n_));
  std::iota(order_.begin(), order_.end(), 0);
  std::shuffle(order_.begin(), order_.end(), rng_.engine());
}

void BatchSchedule::next(bool refining, std::vector<int>& out) {
  out.clear();
  if (!refining) {
    if (order_pos_ + batch_ > n_) {
      std::shuffle(order_.begin(), order_.end(), rng_.engine());
      order_pos_ = 0;
    }
    for (int b = 0; b < batch_; ++b) out.push_back(order_[static_cast<size_t>(order_pos_ + b)]);
    order_pos_ += batch_;
  } else {
    for (int b = 0; b < batch_; ++b) out.push_back(static_cast<int>((refine_pos_ + b) % n_));
    refine_pos_ = (refine_pos_ + batch_) % n_;
  }
}

void BatchSchedule::save(ScheduleState& s) const {
  s.order = order_;
  s.order_pos = order_pos_;
  s.refine_pos = refine_pos_;
  s.rng = rng_.save_state();
}

void BatchSchedule::restore(const ScheduleState& s) {
  if (s.order.size() != order_.size()) throw std::runtime_error("corrupt (a photo order of another size)");
  Rng rng;
  rng.load_state(s.rng);  // throws on a bad state, before anything changes
  rng_ = rng;
  order_ = s.order;
  order_pos_ = s.order_pos;
  refine_pos_ = s.refine_pos;
}

}  // namespace invgfx
