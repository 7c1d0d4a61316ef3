// Randomness for the engine (Retry-After jitter), injected so tests can fix it.
#pragma once

#include <random>

namespace slotd {

// Source of uniform variates in [0, 1). Implementations must be thread-safe.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual double Uniform01() = 0;
};

// A per-thread Mersenne Twister seeded from std::random_device.
class ThreadLocalRandomSource final : public RandomSource {
 public:
  double Uniform01() override {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
  }
};

// Always returns the same value: for tests that pin the jitter.
class FixedRandomSource final : public RandomSource {
 public:
  explicit FixedRandomSource(double value) : value_(value) {}
  double Uniform01() override { return value_; }

 private:
  double value_;
};

}  // namespace slotd
