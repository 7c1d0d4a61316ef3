// HTTP/1.1 over a plain socket to 127.0.0.1, for requests an HTTP client
// library would rewrite (raw paths with `..` or percent-escapes, exact header
// bytes) and for holding many idle keep-alive connections open.
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
  // Connects to 127.0.0.1:port; connected() tells whether it worked.
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection& operator=(RawConnection&&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send_all(std::string_view bytes);
  // Reads one response (Content-Length, chunked or until close), or nullopt
  // when the connection closes or the timeout passes first.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

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
