// The process's own figures for GET /metrics, as Prometheus's client
// libraries name them (process_*), read from /proc on Linux.
#pragma once

#include <cstdint>
#include <optional>

namespace slotd::api {

struct ProcessFigures {
  double cpu_seconds = 0;  // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t threads = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;        // the soft RLIMIT_NOFILE
  double start_time_unix = 0;  // seconds since the epoch
};

// Nullopt when /proc/self/stat cannot be read (not Linux, no /proc).
std::optional<ProcessFigures> ReadProcessFigures();

}  // namespace slotd::api
