// slotd: the concurrency-slot server. See `slotd --help`.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "api/http/basic_auth.h"
#include "api/http/http_server.h"
#include "api/http/open_files.h"
#include "api/http/tls.h"
#include "api/options.h"
#include "engine/durable/durable_store.h"
#include "engine/memory_slot_store.h"
#include "engine/redis/redis_slot_store.h"
#include "engine/slot_engine.h"

namespace {

using slotd::api::Options;

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

slotd::api::ServerSettings SettingsFrom(const Options& options) {
  slotd::api::ServerSettings settings;
  settings.host = options.host;
  settings.port = options.port;
  settings.max_body_bytes = options.max_body_bytes;
  settings.max_body_total_bytes = options.max_body_total_bytes;
  settings.max_connections = options.max_connections;
  settings.io_threads = options.io_threads;
  settings.request_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(options.request_timeout_seconds * 1000)));
  settings.max_wait = std::chrono::milliseconds(static_cast<int64_t>(
      std::ceil(std::max(options.wait_seconds, options.max_wait_seconds) * 1000)));
  settings.auth_string = options.auth_string;
  settings.access_log = !options.quiet;
  settings.access_log_json = options.log_json;
  settings.keep_alive_seconds = options.keep_alive_seconds;
  return settings;
}

// Reads what the options name on disk: the auth string file and the TLS
// certificate and key. False, with a message printed, on failure.
bool LoadSecrets(Options* options, slotd::api::TlsContext* tls) {
  std::string error;
  if (options->auth_string_file) {
    options->auth_string = slotd::api::ReadAuthStringFile(*options->auth_string_file, &error);
    if (!options->auth_string) {
      std::fprintf(stderr, "slotd: %s\n", error.c_str());
      return false;
    }
  }
  if (options->tls_cert) {
    *tls = slotd::api::LoadTlsContext(*options->tls_cert, *options->tls_key, &error);
    if (!*tls) {
      std::fprintf(stderr, "slotd: %s\n", error.c_str());
      return false;
    }
  }
  if (!options->auth_string && !slotd::api::IsLoopbackHost(options->host)) {
    std::fprintf(stderr,
                 "slotd: warning: listening on %s without authentication; anyone who can "
                 "reach it can change every limit (set --auth-string-file)\n",
                 options->host.c_str());
  }
  return true;
}

// The durable store of --data-dir; null without one. Prints why and returns
// null with *failed set when the dir cannot be used.
std::unique_ptr<slotd::durable::DurableStore> OpenDataDir(const Options& options,
                                                          slotd::EngineOptions engine_options,
                                                          bool* failed) {
  *failed = false;
  if (!options.data_dir) return nullptr;
  // A write past a file-size limit must fail with EFBIG (answered 503 and
  // retried), not kill the process.
  signal(SIGXFSZ, SIG_IGN);
  slotd::durable::DurableOptions durable;
  durable.dir = *options.data_dir;
  durable.fsync =
      options.fsync == slotd::api::FsyncOption::kAlways  ? slotd::durable::FsyncMode::kAlways
      : options.fsync == slotd::api::FsyncOption::kBatch ? slotd::durable::FsyncMode::kBatch
                                                         : slotd::durable::FsyncMode::kNever;
  durable.batch_interval = std::chrono::milliseconds(options.fsync_interval_ms);
  durable.snapshot_journal_bytes = static_cast<uint64_t>(options.snapshot_journal_bytes);
  durable.recover_to_damage = options.recover_to_damage;
  std::string error;
  auto store = slotd::durable::DurableStore::Open(durable, std::move(engine_options), &error);
  if (!store) {
    std::fprintf(stderr, "slotd: %s\n", error.c_str());
    *failed = true;
  }
  return store;
}

// I/O threads with the Redis store unless --io-threads says otherwise: on
// the 2-core bench machine, 1, 4 and 8 threads gave 7,500, 22,900 and
// 25,100 req/s of the v2 cycle (README "Scale-out on Redis").
constexpr size_t kRedisIoThreads = 8;

// The Redis store of --store redis://...; null for the in-memory store.
// Prints why and returns null with *failed set when it cannot be used.
std::unique_ptr<slotd::redis::RedisSlotStore> OpenRedisStore(const Options& options,
                                                             slotd::EngineOptions engine_options,
                                                             bool* failed) {
  *failed = false;
  if (!options.store || *options.store == "memory") return nullptr;
  *failed = true;
  slotd::redis::RedisStoreOptions redis;
  std::string error;
  if (!slotd::redis::ParseRedisUrl(*options.store, &redis.address, &error)) {
    std::fprintf(stderr, "slotd: %s\n", error.c_str());
    return nullptr;
  }
  if (options.data_dir) {
    std::fprintf(stderr,
                 "slotd: --data-dir and --store redis:// do not go together: with Redis the "
                 "state lives in Redis (make Redis durable: README \"Scale-out on Redis\")\n");
    return nullptr;
  }
  if (options.wait_seconds > 0) {
    std::fprintf(stderr,
                 "slotd: --wait-seconds needs the in-memory store: fair waiting is one process's "
                 "wait line, which --store redis:// does not have (README \"Scale-out on "
                 "Redis\")\n");
    return nullptr;
  }
  // One connection per I/O thread, and some for the sweeper and requests
  // that arrive together.
  redis.connections = std::max(options.io_threads, kRedisIoThreads) * 2 + 2;
  redis.engine = std::move(engine_options);
  auto store = slotd::redis::RedisSlotStore::Open(std::move(redis), &error);
  if (!store) {
    std::fprintf(stderr, "slotd: --store: %s\n", error.c_str());
    return nullptr;
  }
  *failed = false;
  return store;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::string error;
  switch (slotd::api::ParseOptions(argc, argv, std::getenv, &options, &error)) {
    case slotd::api::OptionsOutcome::kHelp:
      std::fputs(slotd::api::HelpText().c_str(), stdout);
      return 0;
    case slotd::api::OptionsOutcome::kError:
      std::fprintf(stderr, "slotd: %s (see slotd --help)\n", error.c_str());
      return 2;
    case slotd::api::OptionsOutcome::kRun:
      break;
  }

  slotd::api::TlsContext tls;
  if (!LoadSecrets(&options, &tls)) return 1;

  // SIGTERM and SIGINT are blocked in every thread (the mask is inherited)
  // and taken by sigwait below, so no signal handler touches the server.
  // A client that disconnects mid-answer must not kill the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  slotd::EngineOptions engine_options;
  engine_options.tag_wait_seconds = options.tag_wait_seconds;
  engine_options.max_slot_wait_seconds = options.max_slot_wait_seconds;
  engine_options.max_limits = options.max_limits;
  engine_options.max_leases = options.max_leases;
  engine_options.max_name_bytes = options.max_name_bytes;
  engine_options.max_waiters = options.max_waiters;
  engine_options.max_overtakes = options.max_overtakes;
  engine_options.strict_wait_order = options.strict_wait_order;
  bool redis_failed = false;
  std::unique_ptr<slotd::redis::RedisSlotStore> redis_store =
      OpenRedisStore(options, engine_options, &redis_failed);
  if (redis_failed) return 1;
  slotd::api::ChangeFeed::Settings feed_settings;
  feed_settings.ring_size = options.event_stream_ring;
  auto change_feed = std::make_shared<slotd::api::ChangeFeed>(feed_settings);
  engine_options.change_watcher = change_feed;
  bool data_dir_failed = false;
  std::unique_ptr<slotd::durable::DurableStore> store =
      redis_store ? nullptr : OpenDataDir(options, engine_options, &data_dir_failed);
  if (data_dir_failed) return 1;
  std::unique_ptr<slotd::SlotEngine> memory_engine;
  slotd::SlotEngine* local_engine = nullptr;  // the in-memory engine; none on Redis
  std::unique_ptr<slotd::MemorySlotStore> memory_store;
  if (!redis_store) {
    if (!store) memory_engine = std::make_unique<slotd::SlotEngine>(engine_options);
    local_engine = store ? &store->engine() : memory_engine.get();
    memory_store = std::make_unique<slotd::MemorySlotStore>(*local_engine);
  }
  slotd::SlotStore& engine =
      redis_store ? static_cast<slotd::SlotStore&>(*redis_store) : *memory_store;
  slotd::api::ApiContext context;
  context.engine = &engine;
  context.config.prefect_version = options.prefect_version;
  context.config.default_limit = options.default_limit;
  context.config.wait_seconds = options.wait_seconds;
  context.config.max_wait_seconds = options.max_wait_seconds;
  context.config.metrics_max_limits = options.metrics_max_limits;
  context.logs = std::make_shared<slotd::api::LogRing>(options.log_ring);
  context.events = std::make_shared<slotd::api::EventRing>(options.event_ring);
  // The stream tells the in-memory engine's changes; on Redis, where other
  // processes change the limits too, there is none (its route is 404).
  if (local_engine) {
    change_feed->Attach(local_engine);
    change_feed->StartThread();
    context.change_feed = change_feed;
  }

  // Each connection holds a descriptor: the cap must fit under the limit.
  const size_t open_files = slotd::api::RaiseOpenFileLimit();
  const size_t connection_room = open_files > 2 * slotd::api::kReservedFiles
                                     ? open_files - slotd::api::kReservedFiles
                                     : open_files / 2;
  if (options.max_connections > connection_room) {
    std::fprintf(stderr,
                 "slotd: warning: --max-connections %zu lowered to %zu: the open-file limit "
                 "(ulimit -n) is %zu\n",
                 options.max_connections, connection_room, open_files);
    options.max_connections = connection_room;
  }

  // A thread of the Redis store waits on each Redis call it makes (one
  // round trip a request): more threads keep more calls in flight.
  if (redis_store && !options.io_threads_given) options.io_threads = kRedisIoThreads;
  slotd::api::ServerSettings settings = SettingsFrom(options);
  settings.tls = tls.get();
  slotd::api::HttpServer server(context, settings);
  const int port = server.Bind();
  if (port < 0) {
    std::fprintf(stderr, "slotd: cannot listen on %s:%d\n", options.host.c_str(), options.port);
    return 1;
  }
  engine.StartSweeper(slotd::SecondsToMicros(options.lease_sweep_seconds));
  engine.StartWaitTimer();
  std::thread serving([&] { server.Serve(); });
  std::printf("slotd listening on %s://%s:%d/api\n", tls ? "https" : "http",
              UrlHost(options.host).c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  // Every wait ends now (answered 423, or granted), so no answer is left
  // waiting while the server drains.
  engine.EndAllWaits();
  // What the journal holds is written and fsynced, or, on a failing disk,
  // cut off and its held answers given as 503: before the drain, so that
  // no answer waits there for a disk that is not coming back.
  if (store) store->Stop();
  // Serve returns once the answers being written are complete (at most 30 s).
  server.Stop();
  serving.join();
  engine.StopSweeper();
  engine.StopWaitTimer();
  change_feed->StopThread();  // its readers have all gone with the server
  return 0;
}
