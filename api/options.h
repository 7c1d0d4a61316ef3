// The slotd command line, with defaults from the environment variables
// Prefect's own server reads where one exists. Flags override the
// environment.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace slotd::api {

// Half the cores (std::thread::hardware_concurrency / 2), at least 1.
size_t DefaultIoThreads();

// How the journal of --data-dir reaches the disk (engine/durable/journal.h).
enum class FsyncOption { kAlways, kBatch, kNever };

struct Options {
  std::string host = "127.0.0.1";
  int port = 4200;
  std::string prefect_version = "3.9.1";
  double tag_wait_seconds = 10;
  double max_slot_wait_seconds = 30;
  double lease_sweep_seconds = 1;
  size_t max_body_bytes = 1 << 20;
  size_t max_body_total_bytes = 256 << 20;  // request bodies held at once, every connection
  size_t max_connections = 10000;           // served at once; --threads is the old name
  // Threads that serve connections, each with its own event loop.
  size_t io_threads = DefaultIoThreads();
  bool io_threads_given = false;      // --io-threads was on the command line
  size_t max_limits = 1'000'000;      // about 400 MB of limits
  size_t max_leases = 4'000'000;      // about 1 GB of leases
  size_t max_name_bytes = 4096;       // longest limit name, in UTF-8 bytes
  size_t log_ring = 10'000;           // logs kept for POST /api/logs/filter
  size_t event_ring = 10'000;         // events kept for POST /api/events/filter
  size_t event_stream_ring = 10'000;  // events kept for GET /api/slotd/events resumes
  double wait_seconds = 0;            // fair waiting: an increment's wait by default
  double max_wait_seconds = 60;       // the most a Prefer: wait=N gets
  size_t max_waiters = 10'000;        // requests waiting at once
  int max_overtakes = 4;              // later requests granted ahead of a waiter
  bool strict_wait_order = false;     // --wait-order strict
  size_t metrics_max_limits = 1000;   // limits GET /metrics shows one by one
  double request_timeout_seconds = 30;
  bool quiet = false;
  bool log_json = false;                        // --log-format json
  std::optional<std::string> auth_string;       // environment only
  std::optional<std::string> auth_string_file;  // overrides auth_string
  std::optional<std::string> tls_cert;          // set together with tls_key
  std::optional<std::string> tls_key;
  int64_t default_limit = 200;    // environment only
  time_t keep_alive_seconds = 5;  // environment only
  // Where limits and leases live: none (or "memory") in this process, or a
  // redis:// URL (main.cc parses it; README "Scale-out on Redis").
  std::optional<std::string> store;
  // Durability (--data-dir): none keeps everything in memory only.
  std::optional<std::string> data_dir;
  FsyncOption fsync = FsyncOption::kAlways;
  int64_t fsync_interval_ms = 10;               // with FsyncOption::kBatch
  int64_t snapshot_journal_bytes = 64ll << 20;  // a journal this large is compacted
  bool recover_to_damage = false;
};

enum class OptionsOutcome { kRun, kHelp, kError };

// Reads an environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char* name)>;

// Fills *out from `env`, then from argv. kError sets *error to a one-line
// reason.
OptionsOutcome ParseOptions(int argc, const char* const* argv, const EnvLookup& env, Options* out,
                            std::string* error);

// The --help text.
std::string HelpText();

// Whether `host` names only this machine (127.0.0.0/8, ::1, localhost), so
// that serving it without authentication exposes nothing.
bool IsLoopbackHost(std::string_view host);

}  // namespace slotd::api
