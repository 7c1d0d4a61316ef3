#include "api/http/bounded_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <utility>

#include "api/http/deadline_stream.h"
#include "api/http/request_framing.h"

namespace slotd::api {
namespace {

using Clock = std::chrono::steady_clock;

// Set by CloseAfterThisAnswer: a connection is served on one thread from its
// first request to its last, so a thread-local flag reaches the loop below.
thread_local bool t_close_after_answer = false;
// The stream of the connection this thread serves, for the pre-routing
// handler to end its request's head.
thread_local DeadlineStream* t_stream = nullptr;
// The method and target of a request whose header fields overflowed, kept
// from httplib's logger call for the line logged with the real answer.
thread_local std::string t_refused_method;
thread_local std::string t_refused_target;

// How often an idle connection looks whether the server is stopping.
constexpr std::chrono::milliseconds kStopCheckInterval{100};
// How long a connection is drained before it is closed with the client's
// request unread: closing at once would reset the connection and could
// destroy the answer before the client reads it. A rejected connection sent
// a request head at most; a request refused on its head may still be sending
// its body (up to a few MiB on loopback takes milliseconds).
constexpr std::chrono::milliseconds kRejectDrain{100};
constexpr std::chrono::milliseconds kRefusedRequestDrain{2000};

const std::string& TooManyConnectionsAnswer() {
  static const std::string answer = [] {
    const std::string body = R"({"detail":"Too many connections"})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
  }();
  return answer;
}

// Stops sending, then reads and discards what the client still sends until
// it closes or `budget` runs out.
void DrainBeforeClose(socket_t sock, std::chrono::milliseconds budget) {
  shutdown(sock, SHUT_WR);
  const Clock::time_point until = Clock::now() + budget;
  char sink[16 * 1024];
  for (auto left = budget; left.count() > 0;
       left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now())) {
    pollfd entry{sock, POLLIN, 0};
    if (poll(&entry, 1, static_cast<int>(left.count())) <= 0) break;
    if (recv(sock, sink, sizeof sink, MSG_DONTWAIT) <= 0) break;
  }
}

std::string ErrorAnswer(std::string_view status_line, std::string_view detail) {
  const std::string body = "{\"detail\":\"" + std::string(detail) + "\"}";
  return "HTTP/1.1 " + std::string(status_line) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

struct HeadRefusal {
  int status;
  std::string answer;
};

// The answer to a head that overflowed kMaxHeadBytes, as httplib answers a
// request line too long and request_framing.h a header block too large.
const HeadRefusal& HeadTooLarge(DeadlineStream::HeadOverflow overflow) {
  static const HeadRefusal uri_too_long{414, ErrorAnswer("414 URI Too Long", "URI Too Long")};
  static const HeadRefusal fields_too_large{
      431, ErrorAnswer("431 Request Header Fields Too Large", "Request Header Fields Too Large")};
  return overflow == DeadlineStream::HeadOverflow::kRequestLine ? uri_too_long : fields_too_large;
}

// Answers 503 without reading the request; never blocks for long.
void Reject(socket_t sock) {
  const std::string& answer = TooManyConnectionsAnswer();
  send(sock, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  DrainBeforeClose(sock, kRejectDrain);
}

}  // namespace

BoundedServer::BoundedServer(ConnectionBounds bounds) : bounds_(bounds) {
  set_pre_routing_handler(
      [](const httplib::Request&, httplib::Response&) { return HandlerResponse::Unhandled; });
}

BoundedServer& BoundedServer::set_pre_routing_handler(HandlerWithResponse handler) {
  httplib::Server::set_pre_routing_handler(
      [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        t_stream->EndHead();
        return handler(req, res);
      });
  return *this;
}

BoundedServer& BoundedServer::set_logger(httplib::Logger logger) {
  access_logger_ = std::move(logger);
  httplib::Server::set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    if (t_stream != nullptr && t_stream->head_overflowed()) {
      t_refused_method = req.method;
      t_refused_target = req.target;
      return;
    }
    if (access_logger_) access_logger_(req, res);
  });
  return *this;
}

void BoundedServer::LogHeadRefusal(int status) const {
  httplib::Request req;
  req.method = t_refused_method.empty() ? "-" : std::move(t_refused_method);
  req.target = t_refused_target.empty() ? "-" : std::move(t_refused_target);
  t_refused_method.clear();
  t_refused_target.clear();
  httplib::Response res;
  res.status = status;
  if (access_logger_) access_logger_(req, res);
}

void BoundedServer::CloseAfterThisAnswer() { t_close_after_answer = true; }

bool BoundedServer::process_and_close_socket(socket_t sock) {
  if (open_.fetch_add(1, std::memory_order_relaxed) >= bounds_.max_connections) {
    Reject(sock);
  } else {
    SSL* ssl = nullptr;
    if (bounds_.tls != nullptr && (ssl = SSL_new(bounds_.tls)) != nullptr) SSL_set_fd(ssl, sock);
    if (bounds_.tls == nullptr || ssl != nullptr) {
      DeadlineStream stream(sock, ssl);
      stream.set_deadline(Clock::now() + bounds_.request_timeout);
      if (ssl == nullptr || stream.Handshake()) ServeRequests(stream);
      stream.CloseTls();
      if (t_close_after_answer) DrainBeforeClose(sock, kRefusedRequestDrain);
    }
  }
  open_.fetch_sub(1, std::memory_order_relaxed);
  shutdown(sock, SHUT_RDWR);
  close(sock);
  return true;
}

void BoundedServer::ServeRequests(DeadlineStream& stream) {
  t_stream = &stream;
  for (size_t left = keep_alive_max_count_; left > 0 && WaitForNextRequest(stream); --left) {
    stream.set_deadline(Clock::now() + bounds_.request_timeout);
    stream.BeginHead(kMaxHeadBytes);
    bool connection_closed = false;
    t_close_after_answer = false;
    const bool served = process_request(stream, left == 1, connection_closed, nullptr);
    if (const auto overflow = stream.TakeHeadOverflow();
        overflow != DeadlineStream::HeadOverflow::kNone) {
      const HeadRefusal& refusal = HeadTooLarge(overflow);
      // Logged first: a refused head is not a request in flight, so once
      // its client has the answer the server may exit at any moment.
      LogHeadRefusal(refusal.status);
      stream.write(refusal.answer.data(), refusal.answer.size());
      t_close_after_answer = true;  // the rest of the head is still coming
      break;
    }
    if (!served || connection_closed || t_close_after_answer) break;
  }
  t_stream = nullptr;
}

// Waits, up to the idle timeout, for the first byte of another request;
// false when it does not come or the server is stopping.
bool BoundedServer::WaitForNextRequest(DeadlineStream& stream) {
  const Clock::time_point until = Clock::now() + bounds_.idle_timeout;
  while (svr_sock_ != INVALID_SOCKET) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return false;
    if (stream.WaitForRequest(std::min(left, kStopCheckInterval))) return true;
  }
  return false;
}

}  // namespace slotd::api
