// The HTTP front: an HTTP/1.1 server on Boost.Asio serving the API, with the
// framing rules, limits, logging and authentication of the slotd process.
// A fixed set of I/O threads, each an event loop, serves every connection;
// a connection costs memory, not a thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "api/prefect/context.h"

namespace slotd::api {

struct ServerSettings {
  std::string host = "127.0.0.1";
  int port = 4200;  // 0: any free port
  size_t max_body_bytes = 1 << 20;
  // Bytes of request bodies held at once over every connection; a body that
  // would pass it gets 503 with Retry-After. At least max_body_bytes.
  size_t max_body_total_bytes = 256 << 20;
  // Connections served at once, idle keep-alive ones included; one more gets
  // 503 and is closed.
  size_t max_connections = 10000;
  // Threads serving connections, each with its own event loop.
  size_t io_threads = 1;
  // From a request's first byte to its answer's last.
  std::chrono::milliseconds request_timeout{30000};
  // The longest a deferred answer may take (the longest wait for a slot):
  // a connection waiting for one is closed this long plus request_timeout
  // after its request, should the answer never come.
  std::chrono::milliseconds max_wait{60000};
  std::optional<std::string> auth_string;  // "user:password" for Basic auth
  bool access_log = true;
  bool access_log_json = false;  // one JSON object per line instead of text
  time_t keep_alive_seconds = 5;
  SSL_CTX* tls = nullptr;  // HTTPS when set; not owned, outlives the server
};

class HttpServer {
 public:
  // `context` must outlive the server.
  HttpServer(const ApiContext& context, ServerSettings settings);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (connections queue from here on), with SO_REUSEADDR
  // and a backlog of SOMAXCONN. Returns the port (the one the system chose
  // when settings.port is 0), or -1. Prints nothing.
  int Bind();

  // Accepts and serves until Stop(), on the calling thread and
  // settings.io_threads - 1 others; returns once every connection is closed.
  void Serve();

  // Stops accepting and closes idle connections and those partly received;
  // answers being written go on to completion, then their connections
  // close; whatever is left after 30 s is closed. Thread-safe, also before
  // Serve(); not for a signal handler.
  void Stop();

  // Requests read in full whose answer is not yet written.
  int InFlight() const;

  // Connections being served (not counting ones answered 503).
  size_t OpenConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slotd::api
