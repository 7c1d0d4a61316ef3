// The sans-I/O core of the HTTP/1.1 transport: bytes a connection received
// go in, events come out (read more, write 100 Continue, a request to answer,
// a refusal to write before closing). It holds every framing rule of
// RFC 9112 slotd enforces and knows nothing of sockets or time, so the
// connection only moves bytes and libFuzzer can drive the reader alone.
//
// Framing is Beast's (http::request_parser); the reader adds the checks
// Beast 1.74 leaves out (framing_checks.h) and bounds what it buffers: a head
// is handed to Beast only once whole, and at most max_head_bytes of it;
// a chunk line at most kMaxChunkLineBytes.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/http/body_budget.h"
#include "api/prefect/context.h"
#include "api/prefect/responses.h"

namespace slotd::api {

struct ReaderSettings {
  size_t max_body_bytes = 1 << 20;
  BodyBudget* body_budget = nullptr;         // shared by every reader; null: no total bound
  size_t max_head_bytes = 32 * 1024;         // from the request's first byte, consumed + buffered
  const std::string* auth_string = nullptr;  // Basic "user:password"; null: no authentication
  bool tls = false;                          // for ApiRequest::tls (redirect Location)
  std::string_view server_address;           // ApiRequest::server_address
  int server_port = 0;                       // ApiRequest::server_port
};

// One connection's requests, one after another. Not thread-safe; a
// connection uses its reader from one thread.
//
// Bounds: while Put answers kNeedMore, the bytes left unconsumed (which the
// caller keeps and passes again) are at most max_head_bytes in a head and at
// most kMaxChunkLineBytes in a chunked body; past either the request is
// refused. A body is held whole, at most max_body_bytes, and its bytes are
// reserved from body_budget before they are kept (a body that would pass it
// is refused 503) until Next() or the refusal.
class RequestReader {
 public:
  enum class Step { kNeedMore, kContinue, kRequest, kRefuse };

  explicit RequestReader(const ReaderSettings* settings);  // settings outlive the reader
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Feeds bytes the connection has received and the reader has not consumed
  // yet (the caller keeps the unconsumed tail and passes it again, followed
  // by new bytes). *consumed: how many bytes of `bytes` were taken.
  //   kNeedMore: read more, then Put again.
  //   kContinue: write "HTTP/1.1 100 Continue\r\n\r\n" (the credentials and
  //     the size were already checked), then Put again. Given once per
  //     request with "Expect: 100-continue" and a body, whether or not body
  //     bytes already arrived.
  //   kRequest: request() is complete; answer it, then Next(). Bytes after
  //     it (a pipelined request) are not consumed.
  //   kRefuse: write refusal(), then close (after a lingering drain: its
  //     body, if any, was not read). Every later Put answers kRefuse and
  //     consumes nothing.
  // The events do not depend on how the bytes were split between calls.
  Step Put(std::string_view bytes, size_t* consumed);

  const ApiRequest& request() const;   // after kRequest; views valid until Next()
  bool keep_alive() const;             // after kRequest: may the connection carry another request
  bool is_head() const;                // HEAD: answer with Content-Length but no body
  bool accepts_gzip() const;           // the request's Accept-Encoding names gzip
  const ApiResponse& refusal() const;  // after kRefuse; to be written with Connection: close
  bool started() const;                // a byte of the current request has been seen (else: idle)
  // After kRequest: the request as Beast parsed it (a websocket upgrade is
  // handed on whole), and whether it asks for one (RFC 6455 4.2.1's fields).
  const boost::beast::http::request<boost::beast::http::string_body>& message() const;
  bool is_websocket_upgrade() const;
  // The method and target for the access log, as far as the request line
  // was parsed; "-" when it was not.
  std::string_view log_method() const;
  std::string_view log_target() const;
  // Begins the next request on this connection (after kRequest). After a
  // refusal the reader stays refused.
  void Next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace slotd::api
