// Time for the engine: an injected source, so tests drive the clock instead of
// sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace slotd {

// Wall-clock instants with microsecond resolution (the resolution of the API's
// timestamps).
using Micros = std::chrono::microseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Micros>;

// Converts seconds (possibly fractional) to microseconds, rounding to nearest.
inline Micros SecondsToMicros(double seconds) {
  return Micros(static_cast<int64_t>(seconds * 1e6 + (seconds >= 0 ? 0.5 : -0.5)));
}
inline double MicrosToSeconds(Micros d) { return static_cast<double>(d.count()) / 1e6; }

// Source of the current time. Implementations must be thread-safe: the engine
// calls Now() concurrently from every thread that uses it.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual TimePoint Now() const = 0;
};

// The real clock (std::chrono::system_clock).
class SystemTimeSource final : public TimeSource {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Micros>(std::chrono::system_clock::now());
  }
};

// A clock that moves only when told to. Thread-safe.
class ManualTimeSource final : public TimeSource {
 public:
  explicit ManualTimeSource(TimePoint start) : now_us_(start.time_since_epoch().count()) {}
  TimePoint Now() const override {
    return TimePoint(Micros(now_us_.load(std::memory_order_acquire)));
  }
  void Advance(Micros d) { now_us_.fetch_add(d.count(), std::memory_order_acq_rel); }
  void AdvanceSeconds(double s) { Advance(SecondsToMicros(s)); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace slotd
