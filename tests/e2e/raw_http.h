// HTTP/1.1 over a plain socket to 127.0.0.1, for requests an HTTP client
// library would rewrite (raw paths with `..` or percent-escapes, exact header
// bytes), for byte streams no client would send (smuggling, pipelining) and
// for holding many idle keep-alive connections open.
#ifndef SLOTD_TESTS_E2E_RAW_HTTP_H_
#define SLOTD_TESTS_E2E_RAW_HTTP_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slotd::e2e {

// A TCP socket connected to 127.0.0.1:port, or -1. A receive_buffer above 0
// sets SO_RCVBUF before connecting.
int ConnectLoopback(int port, int receive_buffer = 0);

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port (with SO_RCVBUF when receive_buffer > 0);
  // connected() tells whether it worked.
  explicit RawConnection(int port, int receive_buffer = 0);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection& operator=(RawConnection&&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send_all(std::string_view bytes);
  // Reads one response (Content-Length, chunked or until close), or nullopt
  // when the connection closes or the timeout passes first. The answer to a
  // HEAD request (`to_head`) has no body whatever its Content-Length says.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout, bool to_head = false);
  // The bytes received and not yet read, consumed: up to and including the
  // first `until` once it arrives (when `until` is not empty), else
  // everything until the peer closes or the timeout passes.
  std::string read_raw(std::chrono::milliseconds timeout, std::string_view until = {});
  // Whether the peer closed the connection (end of stream or reset), waiting
  // up to `timeout`. Bytes that arrive meanwhile are kept for the reads above.
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  // Receives once, waiting until `deadline`; false on timeout or close.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool peer_closed_ = false;
  std::string buffer_;
};

// What a server answered to a stream of requests sent on one connection.
struct SmuggleResult {
  std::vector<RawResponse> answers;  // every whole answer, in order
  bool closed = false;               // the server closed the connection
  std::string rest;                  // bytes after the last whole answer
};

// Sends `payload` on a fresh connection to 127.0.0.1:port and reads answers
// until the server closes it, or no answer comes for `quiet` (then `closed`
// is false: the server holds the connection open). `head_answers` counts the
// leading answers that reply to HEAD requests (they have no body).
SmuggleResult Smuggle(int port, std::string_view payload,
                      std::chrono::milliseconds quiet = std::chrono::seconds(5),
                      int head_answers = 0);

// One request on a fresh connection: `<method> <raw_target> HTTP/1.1`, sent
// byte for byte, with the given extra header lines (each "Name: value"),
// `Connection: close` and, when `body` is not empty, its Content-Length.
std::optional<RawResponse> RawRequest(int port, std::string_view method,
                                      std::string_view raw_target,
                                      const std::vector<std::string>& header_lines = {},
                                      std::string_view body = {},
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace slotd::e2e

#endif  // SLOTD_TESTS_E2E_RAW_HTTP_H_
