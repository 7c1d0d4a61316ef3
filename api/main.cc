// slotd: the concurrency-slot server. See `slotd --help`.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "api/http/basic_auth.h"
#include "api/http/http_server.h"
#include "api/http/tls.h"
#include "api/options.h"
#include "engine/slot_engine.h"

namespace {

using slotd::api::Options;

// How long a stop waits for requests in flight before exiting anyway.
constexpr auto kDrainTimeout = std::chrono::seconds(30);

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

slotd::api::ServerSettings SettingsFrom(const Options& options) {
  slotd::api::ServerSettings settings;
  settings.host = options.host;
  settings.port = options.port;
  settings.max_body_bytes = options.max_body_bytes;
  settings.max_connections = options.threads;
  settings.request_timeout = std::chrono::milliseconds(
      static_cast<int64_t>(std::ceil(options.request_timeout_seconds * 1000)));
  settings.auth_string = options.auth_string;
  settings.access_log = !options.quiet;
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
  slotd::SlotEngine engine(engine_options);
  slotd::api::ApiContext context;
  context.engine = &engine;
  context.config.prefect_version = options.prefect_version;
  context.config.default_limit = options.default_limit;
  context.logs = std::make_shared<slotd::api::LogRing>(options.log_ring);

  slotd::api::ServerSettings settings = SettingsFrom(options);
  settings.tls = tls.get();
  slotd::api::HttpServer server(context, settings);
  const int port = server.Bind();
  if (port < 0) {
    std::fprintf(stderr, "slotd: cannot listen on %s:%d\n", options.host.c_str(), options.port);
    return 1;
  }
  engine.StartSweeper(slotd::SecondsToMicros(options.lease_sweep_seconds));
  std::atomic<bool> served{false};
  std::thread listener([&] {
    server.Serve();
    served.store(true);
  });
  std::printf("slotd listening on %s://%s:%d/api\n", tls ? "https" : "http",
              UrlHost(options.host).c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while (!served.load() && server.InFlight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  engine.StopSweeper();
  if (served.load()) {
    listener.join();
    return 0;
  }
  // Only idle keep-alive connections remain; httplib would wait out their
  // timeout before returning. Nothing is left to finish, so leave now.
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(0);
}
