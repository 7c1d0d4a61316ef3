// cpp-httplib's server with slotd's bounds on every connection.
//
// - At most `max_connections` connections are served at once. One more is
//   answered at once with 503 {"detail": "Too many connections"},
//   `Retry-After: 1` and `Connection: close`, and closed, so a client learns
//   why instead of waiting in a queue behind idle keep-alive clients.
// - Each request, from its first byte to the last byte of its answer, must
//   fit in `request_timeout` (see DeadlineStream); a connection idle between
//   requests is closed after `idle_timeout`.
// - With `tls` set, connections speak HTTPS (the handshake is under the
//   request deadline too).
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>

namespace slotd::api {

class DeadlineStream;

struct ConnectionBounds {
  size_t max_connections = 1024;
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds idle_timeout{5000};
  SSL_CTX* tls = nullptr;  // not owned; outlives the server
};

class BoundedServer final : public httplib::Server {
 public:
  explicit BoundedServer(ConnectionBounds bounds) : bounds_(bounds) {}

  // Called from a handler: the connection it serves closes once this answer
  // is written (for a request whose body was left unread).
  static void CloseAfterThisAnswer();

  // Connections being served now (rejected ones are not counted).
  size_t OpenConnections() const { return open_.load(std::memory_order_relaxed); }

 private:
  // httplib calls this on a worker thread for each accepted connection.
  bool process_and_close_socket(socket_t sock) override;
  void ServeRequests(DeadlineStream& stream);
  bool WaitForNextRequest(DeadlineStream& stream);

  const ConnectionBounds bounds_;
  std::atomic<size_t> open_{0};
};

}  // namespace slotd::api
