#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

}  // namespace

std::optional<std::string> RawResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

int ConnectLoopback(int port, int receive_buffer) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

RawConnection::RawConnection(int port, int receive_buffer)
    : fd_(ConnectLoopback(port, receive_buffer)) {}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(other.fd_), peer_closed_(other.peer_closed_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

bool RawConnection::send_all(std::string_view bytes) {
  while (fd_ >= 0 && !bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return fd_ >= 0;
}

bool RawConnection::fill(Clock::time_point deadline) {
  if (fd_ < 0) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() < 0) return false;
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    peer_closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

std::string RawConnection::read_raw(std::chrono::milliseconds timeout, std::string_view until) {
  const auto deadline = Clock::now() + timeout;
  size_t end = std::string::npos;
  while ((until.empty() || (end = buffer_.find(until)) == std::string::npos) && fill(deadline)) {
  }
  std::string bytes;
  if (end == std::string::npos) {
    bytes.swap(buffer_);
  } else {
    bytes = buffer_.substr(0, end + until.size());
    buffer_.erase(0, end + until.size());
  }
  return bytes;
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!peer_closed_ && fill(deadline)) {
  }
  return peer_closed_;
}

std::optional<RawResponse> RawConnection::read_response(std::chrono::milliseconds timeout,
                                                        bool to_head) {
  auto deadline = Clock::now() + timeout;
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
  }
  std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);

  RawResponse response;
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  auto space = status_line.find(' ');
  if (status_line.rfind("HTTP/1.", 0) != 0 || space == std::string::npos) {
    return std::nullopt;
  }
  response.status = std::atoi(status_line.c_str() + space + 1);
  while (line_end != std::string::npos) {
    size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string line =
        head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    response.headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }

  if (to_head) return response;
  if (auto length = response.header("Content-Length")) {
    size_t want = std::strtoull(length->c_str(), nullptr, 10);
    while (buffer_.size() < want) {
      if (!fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, want);
    buffer_.erase(0, want);
  } else if (auto coding = response.header("Transfer-Encoding");
             coding && EqualsIgnoreCase(*coding, "chunked")) {
    while (true) {
      size_t size_end;
      while ((size_end = buffer_.find("\r\n")) == std::string::npos) {
        if (!fill(deadline)) return std::nullopt;
      }
      size_t size = std::strtoull(buffer_.c_str(), nullptr, 16);
      buffer_.erase(0, size_end + 2);
      while (buffer_.size() < size + 2) {
        if (!fill(deadline)) return std::nullopt;
      }
      response.body += buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) break;
    }
  } else if (response.status != 204 && response.status != 304 && response.status >= 200) {
    while (fill(deadline)) {
    }
    response.body = std::move(buffer_);
    buffer_.clear();
  }
  return response;
}

std::optional<RawResponse> RawRequest(int port, std::string_view method,
                                      std::string_view raw_target,
                                      const std::vector<std::string>& header_lines,
                                      std::string_view body, std::chrono::milliseconds timeout) {
  RawConnection connection(port);
  if (!connection.connected()) return std::nullopt;
  std::string request;
  request.append(method).append(" ").append(raw_target).append(" HTTP/1.1\r\n");
  request.append("Host: 127.0.0.1\r\nConnection: close\r\n");
  for (const auto& line : header_lines) request.append(line).append("\r\n");
  if (!body.empty()) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);
  if (!connection.send_all(request)) return std::nullopt;
  return connection.read_response(timeout);
}

SmuggleResult Smuggle(int port, std::string_view payload, std::chrono::milliseconds quiet,
                      int head_answers) {
  SmuggleResult result;
  RawConnection connection(port);
  if (!connection.connected()) return result;
  // A server that refuses early may close before all of the payload is sent;
  // its answers are still read.
  connection.send_all(payload);
  while (auto answer = connection.read_response(
             quiet, static_cast<int>(result.answers.size()) < head_answers)) {
    result.answers.push_back(std::move(*answer));
  }
  result.closed = connection.closed_by_peer(std::chrono::milliseconds(0));
  result.rest = connection.read_raw(std::chrono::milliseconds(0));
  return result;
}

}  // namespace slotd::e2e
