// Implementation of core/random.h.
#include "core/random.h"

#include <sstream>
#include <stdexcept>

namespace invgfx {

std::string Rng::save_state() const {
  std::ostringstream s;
  s << engine_;
  return s.str();
}

void Rng::load_state(const std::string& state) {
  std::istringstream s(state);
  s >> engine_;
  if (!s) throw std::runtime_error("Rng::load_state: malformed random-generator state");
}

}  // namespace invgfx
