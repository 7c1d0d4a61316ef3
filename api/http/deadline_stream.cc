#include "api/http/deadline_stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace slotd::api {
namespace {

using Clock = DeadlineStream::Clock;

// What an attempt at I/O needs before it can go on: nothing (it finished,
// with `bytes`), the socket readable or writable, or nothing more (failed).
struct Attempt {
  ssize_t bytes = -1;
  short wait_for = 0;  // POLLIN or POLLOUT; 0 when done or failed
};

Attempt TlsAttempt(SSL* ssl, int result) {
  if (result > 0) return {result, 0};
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return {-1, POLLIN};
    case SSL_ERROR_WANT_WRITE:
      return {-1, POLLOUT};
    default:
      return {-1, 0};
  }
}

Attempt SocketAttempt(ssize_t result, short would_block_wait) {
  if (result >= 0) return {result, 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {-1, would_block_wait};
  return {-1, 0};
}

void AddressOf(const sockaddr_storage& address, socklen_t length, std::string& ip, int& port) {
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof host, service,
                  sizeof service, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

}  // namespace

DeadlineStream::DeadlineStream(socket_t sock, SSL* ssl) : sock_(sock), ssl_(ssl) {
  fcntl(sock_, F_SETFL, fcntl(sock_, F_GETFL) | O_NONBLOCK);
}

DeadlineStream::~DeadlineStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

bool DeadlineStream::Wait(short events, Clock::time_point limit) const {
  const Clock::time_point until = std::min(limit, deadline_);
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{sock_, events, 0};
    const int ready = poll(&entry, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30)));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

bool DeadlineStream::Handshake() {
  while (true) {
    const Attempt attempt = TlsAttempt(ssl_, SSL_accept(ssl_));
    if (attempt.bytes > 0) return true;
    if (attempt.wait_for == 0 || !Wait(attempt.wait_for, deadline_)) return false;
  }
}

bool DeadlineStream::WaitForRequest(std::chrono::milliseconds wait) {
  if (buffer_begin_ < buffer_end_) return true;
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
  const Clock::time_point saved = deadline_;
  deadline_ = Clock::time_point::max();
  const bool readable = Wait(POLLIN, Clock::now() + wait);
  deadline_ = saved;
  return readable;
}

void DeadlineStream::CloseTls() {
  if (ssl_ != nullptr) SSL_shutdown(ssl_);
}

ssize_t DeadlineStream::Fill() {
  while (true) {
    const Attempt attempt =
        ssl_ != nullptr
            ? TlsAttempt(ssl_, SSL_read(ssl_, buffer_.data(), static_cast<int>(buffer_.size())))
            : SocketAttempt(recv(sock_, buffer_.data(), buffer_.size(), 0), POLLIN);
    if (attempt.bytes >= 0 || attempt.wait_for == 0) return attempt.bytes;
    if (!Wait(attempt.wait_for, deadline_)) return -1;
  }
}

void DeadlineStream::BeginHead(size_t max_bytes) {
  in_head_ = true;
  head_bytes_left_ = max_bytes;
  request_line_read_ = false;
  overflow_ = HeadOverflow::kNone;
}

DeadlineStream::HeadOverflow DeadlineStream::TakeHeadOverflow() {
  const HeadOverflow overflow = overflow_;
  overflow_ = HeadOverflow::kNone;
  return overflow;
}

ssize_t DeadlineStream::read(char* ptr, size_t size) {
  if (overflow_ != HeadOverflow::kNone) return -1;
  if (in_head_ && head_bytes_left_ == 0) {
    overflow_ = request_line_read_ ? HeadOverflow::kHeaderFields : HeadOverflow::kRequestLine;
    return -1;
  }
  // httplib reads request lines a byte at a time; the buffer keeps that to
  // one system call per few kilobytes.
  if (buffer_begin_ == buffer_end_) {
    const ssize_t filled = Fill();
    if (filled <= 0) return filled;
    buffer_begin_ = 0;
    buffer_end_ = static_cast<size_t>(filled);
  }
  size_t n = std::min(size, buffer_end_ - buffer_begin_);
  if (in_head_) {
    n = std::min(n, head_bytes_left_);
    head_bytes_left_ -= n;
    if (!request_line_read_ && std::memchr(buffer_.data() + buffer_begin_, '\n', n) != nullptr) {
      request_line_read_ = true;
    }
  }
  std::copy_n(buffer_.data() + buffer_begin_, n, ptr);
  buffer_begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t DeadlineStream::write(const char* ptr, size_t size) {
  if (overflow_ != HeadOverflow::kNone) return -1;
  const int chunk = static_cast<int>(std::min<size_t>(size, 1 << 30));
  while (true) {
    const Attempt attempt = ssl_ != nullptr
                                ? TlsAttempt(ssl_, SSL_write(ssl_, ptr, chunk))
                                : SocketAttempt(send(sock_, ptr, chunk, MSG_NOSIGNAL), POLLOUT);
    if (attempt.bytes >= 0 || attempt.wait_for == 0) return attempt.bytes;
    if (!Wait(attempt.wait_for, deadline_)) return -1;
  }
}

bool DeadlineStream::is_readable() const {
  if (buffer_begin_ < buffer_end_) return true;
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
  return Wait(POLLIN, deadline_);
}

bool DeadlineStream::is_writable() const { return Wait(POLLOUT, deadline_); }

void DeadlineStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    AddressOf(address, length, ip, port);
  }
}

void DeadlineStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    AddressOf(address, length, ip, port);
  }
}

}  // namespace slotd::api
