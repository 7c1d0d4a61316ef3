// One connection's bytes, read and written under a deadline.
//
// cpp-httplib bounds each read by a timeout, so a client that sends one byte
// a second keeps a worker thread forever. This stream gives every request a
// deadline instead: from its first byte to the last byte of its answer, all
// reads and writes together must fit before it, or they fail and the
// connection closes. The socket is non-blocking; a TLS session, when there
// is one, runs over it the same way (a handshake trickled a byte at a time
// is bounded too).
//
// It also bounds a request's head in bytes: httplib buffers a request line or
// header line however long it is, and keeps every header line, before it
// looks at their size; cut off here, a head that never ends costs a few
// kilobytes instead of all it sends before the deadline.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <cstddef>

#include "api/http/httplib_coupling.h"

namespace slotd::api {

class DeadlineStream final : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  // `ssl`, when not null, is a TLS session on `sock` that this stream owns
  // (freed on destruction). Sets `sock` non-blocking.
  DeadlineStream(socket_t sock, SSL* ssl);
  ~DeadlineStream() override;
  DeadlineStream(const DeadlineStream&) = delete;
  DeadlineStream& operator=(const DeadlineStream&) = delete;

  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }

  // Which part of a request head was still being read when it overflowed.
  enum class HeadOverflow { kNone, kRequestLine, kHeaderFields };

  // Starts a request head: until EndHead(), read() hands out at most
  // `max_bytes`. Asked for one more, the head has overflowed: read() and
  // write() fail (so httplib's own answer to the failed read is not sent)
  // until TakeHeadOverflow().
  void BeginHead(size_t max_bytes);
  // The head is complete; what follows (a body, the next request's head
  // once BeginHead is called again) is not counted.
  void EndHead() { in_head_ = false; }
  // Whether the head begun last has overflowed (and not been taken yet).
  bool head_overflowed() const { return overflow_ != HeadOverflow::kNone; }
  // The overflow, if any, of the head begun last; clears it, so the stream
  // writes again (to answer it).
  HeadOverflow TakeHeadOverflow();

  // The TLS server handshake, under the deadline. False on failure.
  bool Handshake();

  // Whether request bytes are waiting (buffered, or readable within `wait`),
  // or the peer has closed (the next read then returns 0); false when
  // nothing came. Waits up to `wait` whatever the deadline.
  bool WaitForRequest(std::chrono::milliseconds wait);

  // Sends a TLS close_notify (best effort, no waiting).
  void CloseTls();

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return sock_; }

 private:
  // Waits for `events` on the socket until the deadline (or `limit`, if
  // sooner). False on timeout or error.
  bool Wait(short events, Clock::time_point limit) const;
  // One read into the buffer, waiting as needed; bytes read, or <= 0.
  ssize_t Fill();

  const socket_t sock_;
  SSL* const ssl_;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::array<char, 4096> buffer_;
  size_t buffer_begin_ = 0;
  size_t buffer_end_ = 0;
  // The head being read (between BeginHead and EndHead).
  bool in_head_ = false;
  size_t head_bytes_left_ = 0;
  bool request_line_read_ = false;  // a '\n' was handed out
  HeadOverflow overflow_ = HeadOverflow::kNone;
};

}  // namespace slotd::api
