// cpp-httplib's server with slotd's bounds on every connection.
//
// - At most `max_connections` connections are served at once. One more is
//   answered at once with 503 {"detail": "Too many connections"},
//   `Retry-After: 1` and `Connection: close`, and closed, so a client learns
//   why instead of waiting in a queue behind idle keep-alive clients.
// - Each request, from its first byte to the last byte of its answer, must
//   fit in `request_timeout` (see DeadlineStream); a connection idle between
//   requests is closed after `idle_timeout`.
// - A request head is read up to kMaxHeadBytes (api/request_framing.h): one
//   that has not ended by then is answered 414 {"detail": "URI Too Long"}
//   (still in its request line) or 431 {"detail": "Request Header Fields Too
//   Large"}, with `Connection: close`, and the connection closes. httplib
//   itself would buffer all of it until the deadline. The answer is written
//   here, not by httplib, and so is its access-log line: the request's
//   method and target, or "- -" when the request line itself overflowed.
// - With `tls` set, connections speak HTTPS (the handshake is under the
//   request deadline too).
//
// It overrides and uses httplib::Server internals: see httplib_coupling.h.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>

#include "api/http/httplib_coupling.h"

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
  explicit BoundedServer(ConnectionBounds bounds);

  // httplib runs the pre-routing handler once a request's head is read,
  // before its body: there the head's byte bound ends. This setter hides
  // httplib::Server's (which is not virtual) and wraps `handler` to end it
  // first; set the handler through a BoundedServer, not a reference to its
  // base, or bodies longer than the head bound would be refused.
  BoundedServer& set_pre_routing_handler(HandlerWithResponse handler);

  // The access logger. This setter hides httplib::Server's too, so that a
  // head refused on its size is logged with the status the client gets
  // (httplib would log a 400 it never sent, or nothing).
  BoundedServer& set_logger(httplib::Logger logger);

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

  // Logs the answer to a head refused on its size.
  void LogHeadRefusal(int status) const;

  const ConnectionBounds bounds_;
  std::atomic<size_t> open_{0};
  httplib::Logger access_logger_;
};

}  // namespace slotd::api
