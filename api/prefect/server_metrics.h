// ServerMetrics: what the server counts about its requests and connections
// for GET /metrics (the engine counts its own: SlotEngine::Counters). Every
// count is a relaxed atomic, so recording a request takes no lock; a reader
// sees each count on its own, not a snapshot of all of them together.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "api/prefect/route_family.h"

namespace slotd::api {

// The status classes the request histograms are kept by: 1xx and 2xx count
// as "2xx" (a 100 Continue is never logged), then "3xx", "4xx", "5xx".
inline constexpr size_t kStatusClassCount = 4;
size_t StatusClassIndex(int status);
const char* StatusClassName(size_t index);

// The upper bounds of the latency histograms' buckets, in microseconds (the
// last bucket, +Inf, is implied): slotd answers most requests in tens of
// microseconds, and a request waits at most its --request-timeout.
inline constexpr std::array<int64_t, 14> kLatencyBucketMicros = {
    25,    50,     100,    250,     500,       1'000,      2'500,
    5'000, 10'000, 25'000, 100'000, 1'000'000, 10'000'000, 60'000'000};

class ServerMetrics {
 public:
  // A request answered with `status` after `micros`; a 422 also counts as a
  // validation error. Called by the transport for every answer it logs.
  void RecordRequest(RouteFamily family, int status, int64_t micros);

  // A connection refused at once: over --max-connections, or out of file
  // descriptors.
  void CountRefusedConnection() { refused_connections_.fetch_add(1, std::memory_order_relaxed); }

  // The transport's own gauges, read when metrics are written: connections
  // served and connections being answered 503. Set before serving, cleared
  // (null) before they go away.
  void WatchConnections(const std::atomic<size_t>* open, const std::atomic<size_t>* rejecting) {
    open_ = open;
    rejecting_ = rejecting;
  }

  struct Histogram {
    std::array<uint64_t, kLatencyBucketMicros.size() + 1> buckets{};  // not cumulative
    uint64_t count = 0;
    int64_t sum_micros = 0;
  };
  Histogram ReadHistogram(RouteFamily family, size_t status_class) const;
  uint64_t validation_errors() const { return validation_errors_.load(std::memory_order_relaxed); }
  uint64_t refused_connections() const {
    return refused_connections_.load(std::memory_order_relaxed);
  }
  size_t open_connections() const { return open_ ? open_->load(std::memory_order_relaxed) : 0; }
  size_t rejecting_connections() const {
    return rejecting_ ? rejecting_->load(std::memory_order_relaxed) : 0;
  }

 private:
  struct alignas(64) Cells {  // aligned: families met by different threads share no line
    std::array<std::atomic<uint64_t>, kLatencyBucketMicros.size() + 1> buckets{};
    std::atomic<int64_t> sum_micros{0};
  };
  std::array<std::array<Cells, kStatusClassCount>, kRouteFamilyCount> cells_;
  std::atomic<uint64_t> validation_errors_{0};
  std::atomic<uint64_t> refused_connections_{0};
  const std::atomic<size_t>* open_ = nullptr;
  const std::atomic<size_t>* rejecting_ = nullptr;
};

}  // namespace slotd::api
