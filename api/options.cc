#include "api/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <thread>

namespace slotd::api {
namespace {

bool ParseInt(std::string_view text, int64_t min, int64_t max, int64_t* out) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

bool SetCount(std::string_view text, int64_t min, int64_t max, size_t* out) {
  int64_t value = 0;
  if (!ParseInt(text, min, max, &value)) return false;
  *out = static_cast<size_t>(value);
  return true;
}

bool ParseSeconds(std::string_view text, bool allow_zero, double* out) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 ||
      (!allow_zero && value == 0)) {
    return false;
  }
  *out = value;
  return true;
}

bool SetText(std::string_view text, std::string* out) {
  if (text.empty()) return false;
  *out = text;
  return true;
}

bool SetText(std::string_view text, std::optional<std::string>* out) {
  if (text.empty()) return false;
  *out = std::string(text);
  return true;
}

// Beyond any open-file limit a Linux system grants by default.
constexpr int64_t kMaxConnections = 10'000'000;

// One setting: its flag, the environment variables that also set it (first
// found wins), and how to store a value. Values are validated the same way
// from either source.
struct Setting {
  const char* flag;  // nullptr: environment only
  const char* env[2];
  bool (*apply)(std::string_view value, Options* out);
};

const Setting kSettings[] = {
    {"--host",
     {"PREFECT_SERVER_API_HOST"},
     [](std::string_view v, Options* o) { return SetText(v, &o->host); }},
    {"--port",
     {"PREFECT_SERVER_API_PORT"},
     [](std::string_view v, Options* o) {
       int64_t port = 0;
       if (!ParseInt(v, 0, 65535, &port)) return false;
       o->port = static_cast<int>(port);
       return true;
     }},
    {"--prefect-version",
     {},
     [](std::string_view v, Options* o) { return SetText(v, &o->prefect_version); }},
    {"--tag-wait-seconds",
     {"PREFECT_SERVER_TASKS_TAG_CONCURRENCY_SLOT_WAIT_SECONDS",
      "PREFECT_TASK_RUN_TAG_CONCURRENCY_SLOT_WAIT_SECONDS"},
     [](std::string_view v, Options* o) { return ParseSeconds(v, true, &o->tag_wait_seconds); }},
    {"--max-slot-wait-seconds",
     {"PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS"},
     [](std::string_view v, Options* o) {
       return ParseSeconds(v, true, &o->max_slot_wait_seconds);
     }},
    {"--lease-sweep-seconds",
     {"PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS"},
     [](std::string_view v, Options* o) {
       return ParseSeconds(v, false, &o->lease_sweep_seconds);
     }},
    {"--wait-seconds",
     {},
     [](std::string_view v, Options* o) { return ParseSeconds(v, true, &o->wait_seconds); }},
    {"--max-wait-seconds",
     {},
     [](std::string_view v, Options* o) { return ParseSeconds(v, true, &o->max_wait_seconds); }},
    {"--max-waiters",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 0, INT64_MAX, &o->max_waiters); }},
    {"--max-overtakes",
     {},
     [](std::string_view v, Options* o) {
       int64_t n = 0;
       if (!ParseInt(v, 0, 1'000'000, &n)) return false;
       o->max_overtakes = static_cast<int>(n);
       return true;
     }},
    {"--wait-order",
     {},
     [](std::string_view v, Options* o) {
       if (v != "fair" && v != "strict") return false;
       o->strict_wait_order = v == "strict";
       return true;
     }},
    {"--max-body-bytes",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 1, INT64_MAX, &o->max_body_bytes); }},
    {"--max-body-total-bytes",
     {},
     [](std::string_view v, Options* o) {
       return SetCount(v, 1, INT64_MAX, &o->max_body_total_bytes);
     }},
    {"--max-connections",
     {},
     [](std::string_view v, Options* o) {
       return SetCount(v, 1, kMaxConnections, &o->max_connections);
     }},
    // The old name of --max-connections, from when each connection had a
    // thread of its own; scripts still pass it.
    {"--threads",
     {},
     [](std::string_view v, Options* o) {
       return SetCount(v, 1, kMaxConnections, &o->max_connections);
     }},
    {"--io-threads",
     {},
     [](std::string_view v, Options* o) {
       o->io_threads_given = true;
       return SetCount(v, 1, 1024, &o->io_threads);
     }},
    {"--max-limits",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 1, INT64_MAX, &o->max_limits); }},
    {"--max-leases",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 1, INT64_MAX, &o->max_leases); }},
    // At least "tag:" and one byte, so a v1 tag can exist.
    {"--max-name-bytes",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 5, INT64_MAX, &o->max_name_bytes); }},
    {"--log-ring",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 1, INT64_MAX, &o->log_ring); }},
    {"--event-ring",
     {},
     [](std::string_view v, Options* o) { return SetCount(v, 1, INT64_MAX, &o->event_ring); }},
    {"--event-stream-ring",
     {},
     [](std::string_view v, Options* o) {
       return SetCount(v, 1, INT64_MAX, &o->event_stream_ring);
     }},
    {"--metrics-max-limits",
     {},
     [](std::string_view v, Options* o) {
       return SetCount(v, 0, INT64_MAX, &o->metrics_max_limits);
     }},
    {"--log-format",
     {},
     [](std::string_view v, Options* o) {
       if (v != "text" && v != "json") return false;
       o->log_json = v == "json";
       return true;
     }},
    {"--request-timeout-seconds",
     {},
     [](std::string_view v, Options* o) {
       return ParseSeconds(v, false, &o->request_timeout_seconds);
     }},
    {"--tls-cert", {}, [](std::string_view v, Options* o) { return SetText(v, &o->tls_cert); }},
    {"--tls-key", {}, [](std::string_view v, Options* o) { return SetText(v, &o->tls_key); }},
    {"--auth-string-file",
     {},
     [](std::string_view v, Options* o) { return SetText(v, &o->auth_string_file); }},
    {"--store", {}, [](std::string_view v, Options* o) { return SetText(v, &o->store); }},
    // Durability: the data dir and how its journal is written.
    {"--data-dir", {}, [](std::string_view v, Options* o) { return SetText(v, &o->data_dir); }},
    {"--fsync",
     {},
     [](std::string_view v, Options* o) {
       if (v == "always") {
         o->fsync = FsyncOption::kAlways;
       } else if (v == "batch") {
         o->fsync = FsyncOption::kBatch;
       } else if (v == "never") {
         o->fsync = FsyncOption::kNever;
       } else {
         return false;
       }
       return true;
     }},
    {"--fsync-interval-ms",
     {},
     [](std::string_view v, Options* o) { return ParseInt(v, 1, 60000, &o->fsync_interval_ms); }},
    {"--snapshot-journal-bytes",
     {},
     [](std::string_view v, Options* o) {
       return ParseInt(v, 4096, INT64_MAX, &o->snapshot_journal_bytes);
     }},
    {nullptr,
     {"PREFECT_SERVER_API_AUTH_STRING"},
     [](std::string_view v, Options* o) {
       o->auth_string = std::string(v);
       return true;
     }},
    {nullptr,
     {"PREFECT_SERVER_API_DEFAULT_LIMIT", "PREFECT_API_DEFAULT_LIMIT"},
     [](std::string_view v, Options* o) { return ParseInt(v, 0, INT64_MAX, &o->default_limit); }},
    {nullptr,
     {"PREFECT_SERVER_API_KEEPALIVE_TIMEOUT"},
     [](std::string_view v, Options* o) {
       int64_t seconds = 0;
       if (!ParseInt(v, 1, 86400, &seconds)) return false;
       o->keep_alive_seconds = static_cast<time_t>(seconds);
       return true;
     }},
};

bool ApplyEnvironment(const EnvLookup& env, Options* out, std::string* error) {
  for (const Setting& setting : kSettings) {
    for (const char* name : setting.env) {
      if (name == nullptr) break;
      const char* value = env(name);
      if (value == nullptr || *value == '\0') continue;  // Prefect ignores empty values
      if (!setting.apply(value, out)) {
        *error = std::string("invalid value for ") + name + ": '" + value + "'";
        return false;
      }
      break;
    }
  }
  return true;
}

}  // namespace

// Half the cores: slotd usually shares its machine with its clients (a test
// suite, Prefect workers, a load generator), and an I/O thread preempted by
// them stalls every connection it serves for a scheduler slice. On the 2-core
// bench machine one thread gave 1.7x the req/s of two and a tenth of the p99
// (README, "The transport's benchmarks"); a dedicated machine can ask for more.
size_t DefaultIoThreads() { return std::max(1u, std::thread::hardware_concurrency() / 2); }

OptionsOutcome ParseOptions(int argc, const char* const* argv, const EnvLookup& env, Options* out,
                            std::string* error) {
  if (!ApplyEnvironment(env, out, error)) return OptionsOutcome::kError;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return OptionsOutcome::kHelp;
    if (arg == "--quiet") {
      out->quiet = true;
      continue;
    }
    if (arg == "--recover-to-damage") {
      out->recover_to_damage = true;
      continue;
    }
    std::string_view flag = arg.substr(0, arg.find('='));
    const Setting* setting = nullptr;
    for (const Setting& candidate : kSettings) {
      if (candidate.flag != nullptr && flag == candidate.flag) setting = &candidate;
    }
    if (setting == nullptr) {
      *error = "unknown option '" + std::string(arg) + "'";
      return OptionsOutcome::kError;
    }
    std::string_view value;
    if (flag.size() < arg.size()) {
      value = arg.substr(flag.size() + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "option " + std::string(flag) + " needs a value";
      return OptionsOutcome::kError;
    }
    if (!setting->apply(value, out)) {
      *error = "invalid value for " + std::string(flag) + ": '" + std::string(value) + "'";
      return OptionsOutcome::kError;
    }
  }
  if (out->max_body_total_bytes < out->max_body_bytes) {
    *error = "--max-body-total-bytes must be at least --max-body-bytes";
    return OptionsOutcome::kError;
  }
  if (out->tls_cert.has_value() != out->tls_key.has_value()) {
    *error = "--tls-cert and --tls-key go together";
    return OptionsOutcome::kError;
  }
  return OptionsOutcome::kRun;
}

std::string HelpText() {
  return R"(Usage: slotd [options]

An in-memory concurrency-slot server speaking Prefect's concurrency-limit API
under /api (point a Prefect client at PREFECT_API_URL=http://HOST:PORT/api).
Once it accepts connections it prints one line to stdout:
  slotd listening on http://HOST:PORT/api     (https:// with --tls-cert)
Bound to an address other than loopback without authentication, it warns
on stderr.
SIGTERM or SIGINT stops it after the requests in flight (exit status 0).

Options (flags override the environment variables named in brackets):
  --host H                   address to listen on (default 127.0.0.1)
                             [PREFECT_SERVER_API_HOST]
  --port P                   port; 0 picks a free one (default 4200)
                             [PREFECT_SERVER_API_PORT]
  --prefect-version V        Prefect release reported by /api/admin/version
                             (default 3.9.1); the API version is 0.8.4
  --tag-wait-seconds S       v1 Retry-After and the wait cap of tag: limits
                             (default 10)
                             [PREFECT_SERVER_TASKS_TAG_CONCURRENCY_SLOT_WAIT_SECONDS,
                              PREFECT_TASK_RUN_TAG_CONCURRENCY_SLOT_WAIT_SECONDS]
  --max-slot-wait-seconds S  wait cap of other limits (default 30)
                             [PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS]
  --lease-sweep-seconds S    how often expired leases are released (default 1)
                             [PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS]
  --wait-seconds S           fair waiting: how long an increment (v1, v2,
                             v2 with lease) that finds no free slot waits
                             in line for one before its 423 (default 0:
                             answered at once, as Prefect does)
  --max-wait-seconds S       the most a request's "Prefer: wait=N" gets
                             (default 60; the answer says
                             "Preference-Applied: wait=N")
  --max-waiters N            most requests waiting at once (default 10000);
                             past it a request is answered at once
  --max-overtakes N          how many later requests may take slots ahead
                             of a waiter that cannot go yet, before its
                             slots are held back for it (default 4)
  --wait-order fair|strict   strict: nothing takes a slot ahead of an
                             earlier waiter on the limit, even one it cannot
                             use yet (equal shares per run; idle slots)
  --max-body-bytes N         larger request bodies get 413 (default 1048576)
  --max-body-total-bytes N   request bodies held in memory at once, over every
                             connection (default 268435456, at least
                             --max-body-bytes); a body that would pass it is
                             answered 503 with Retry-After: 1, and closed
  --max-connections N        most connections served at once, idle
                             keep-alive ones included (default 10000, and at
                             most the open-file limit less 64); one more is
                             answered 503 {"detail": "Too many connections"}
                             with Retry-After: 1, and closed
  --threads N                the old name of --max-connections
  --io-threads N             threads serving the connections, each running
                             its own event loop (default: half the cores,
                             at least 1; with --store redis:// 8, as each
                             waits on its Redis call)
  --max-limits N             most limits that may exist (default 1000000,
                             about 400 MB); creating one more is answered
                             503 {"detail": "Too many concurrency limits..."}
  --max-leases N             most leases (v2 leases and v1 task-run slots)
                             that may exist (default 4000000, about 1 GB);
                             a call that needs one more is answered 503
  --max-name-bytes N         longest limit name in UTF-8 bytes, "tag:" of a
                             v1 tag included (default 4096, at least 5); a
                             longer one is refused 422 string_too_long
  --log-ring N               most logs kept from POST /api/logs/ for
                             POST /api/logs/filter (default 10000); the
                             oldest go first
  --event-ring N             most events kept from the websocket
                             /api/events/in for POST /api/events/filter
                             (default 10000); the oldest go first
  --event-stream-ring N      most events of GET /api/slotd/events kept for
                             a client that resumes with Last-Event-ID
                             (default 10000); one older gets a reset
  --metrics-max-limits N     GET /metrics shows the first N limits by name
                             one by one and sums the others into one series
                             per kind, labelled name="" (default 1000)
  --request-timeout-seconds S  time a request may take from its first byte
                             to the last byte of its answer, however slowly
                             it trickles in; then the connection is closed
                             (default 30)
  --tls-cert FILE            serve HTTPS with this PEM certificate (chain)...
  --tls-key FILE             ...and this PEM private key (both or neither)
  --auth-string-file FILE    "user:password" for HTTP Basic auth, read from
                             FILE (one trailing newline ignored); overrides
                             PREFECT_SERVER_API_AUTH_STRING
  --store memory|redis://[user:password@]HOST:PORT[/DB]
                             where limits and leases live: in this process
                             (memory, the default) or in Redis, shared by
                             every slotd on it (not with --data-dir or
                             --wait-seconds; README "Scale-out on Redis")
  --data-dir DIR             keep the state in DIR (created if absent) and
                             recover it at start; one slotd per DIR. Without
                             it slotd keeps everything in memory only
  --fsync always|batch|never how the journal in DIR reaches the disk:
                             always (default): no change is answered before
                             it is fsynced (requests share each fsync);
                             batch: fsynced every --fsync-interval-ms;
                             never: left to the OS (README: the loss window)
  --fsync-interval-ms N      the batch interval (default 10)
  --snapshot-journal-bytes N a journal past N bytes is compacted into a
                             snapshot in the background (default 67108864)
  --recover-to-damage        start even if DIR holds a damaged record: keep
                             every record before it, set the rest aside
  --quiet                    no access log on stderr
  --log-format text|json     the access log's lines: text (default,
                             "GET /api/health 200 12us") or one JSON object
                             a line with the fields method, target, status
                             and micros
  --help                     this text

Environment only:
  PREFECT_SERVER_API_AUTH_STRING     "user:password": require HTTP Basic auth
                                     (GET /api/health and /api/ready stay open)
  PREFECT_SERVER_API_DEFAULT_LIMIT   default and largest filter page (200)
                                     [also PREFECT_API_DEFAULT_LIMIT]
  PREFECT_SERVER_API_KEEPALIVE_TIMEOUT  idle keep-alive seconds (5)
)";
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

}  // namespace slotd::api
