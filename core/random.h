// Deterministic random numbers from a seed (initialisation, test inputs, noise). A thin wrapper so
// every module draws the same way and a session can save and restore the state exactly.
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <random>
#include <string>

namespace invgfx {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}
  float uniform(float lo = 0.f, float hi = 1.f) { return std::uniform_real_distribution<float>(lo, hi)(engine_); }
  double uniform_d(double lo = 0.0, double hi = 1.0) { return std::uniform_real_distribution<double>(lo, hi)(engine_); }
  float normal(float mean = 0.f, float stddev = 1.f) { return std::normal_distribution<float>(mean, stddev)(engine_); }
  uint64_t next() { return engine_(); }
  std::mt19937_64& engine() { return engine_; }

  template <class T>
  void fill_uniform(TensorT<T>& t, double lo, double hi) {
    for (auto& v : t) v = static_cast<T>(uniform_d(lo, hi));
  }
  template <class T>
  void fill_normal(TensorT<T>& t, double mean, double stddev) {
    std::normal_distribution<double> d(mean, stddev);
    for (auto& v : t) v = static_cast<T>(d(engine_));
  }

  // Text form of the full engine state, for session files.
  std::string save_state() const;
  void load_state(const std::string& state);

 private:
  std::mt19937_64 engine_;
};

}  // namespace invgfx
