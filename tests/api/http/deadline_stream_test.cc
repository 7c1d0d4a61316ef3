#include "api/http/deadline_stream.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace slotd::api;
using Clock = DeadlineStream::Clock;
using Overflow = DeadlineStream::HeadOverflow;
using std::chrono::milliseconds;

namespace {

// A connected pair of stream sockets: `server` for the DeadlineStream under
// test, `client` for the test to play the peer on (blocking).
struct SocketPair {
  SocketPair() {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    server = fds[0];
    client = fds[1];
  }
  ~SocketPair() {
    close(server);
    if (client >= 0) close(client);
  }
  void CloseClient() {
    close(client);
    client = -1;
  }
  void Send(const std::string& bytes) const {
    REQUIRE(send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  // What the stream has sent so far, without waiting for more.
  std::string Received() const {
    std::string out;
    char chunk[4096];
    ssize_t n;
    while ((n = recv(client, chunk, sizeof chunk, MSG_DONTWAIT)) > 0) out.append(chunk, n);
    return out;
  }

  int server = -1;
  int client = -1;
};

// The stream's next read of up to `size` bytes, as a string ("" on failure
// or EOF; the result code goes to `result`).
std::string Read(DeadlineStream& stream, size_t size, ssize_t* result = nullptr) {
  std::string out(size, '\0');
  const ssize_t n = stream.read(out.data(), size);
  if (result != nullptr) *result = n;
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

// Reads one byte at a time, as httplib reads a head, until a read fails;
// returns the bytes read.
std::string ReadBytewiseUntilFailure(DeadlineStream& stream) {
  std::string out;
  char byte;
  while (stream.read(&byte, 1) == 1) out += byte;
  return out;
}

}  // namespace

TEST_CASE("the stream makes its socket non-blocking and reports it", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  CHECK((fcntl(pair.server, F_GETFL) & O_NONBLOCK) != 0);
  CHECK(stream.socket() == pair.server);
}

TEST_CASE("bytes the peer sent are read before the deadline", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("hello");
  CHECK(Read(stream, 100) == "hello");
}

TEST_CASE("a read waits for bytes that arrive before the deadline", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  std::thread peer([&pair] { pair.Send("late"); });
  const std::string got = Read(stream, 100);
  peer.join();
  CHECK(got == "late");
}

TEST_CASE("a read with nothing to read fails once the deadline passes", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  const Clock::time_point start = Clock::now();
  stream.set_deadline(start + milliseconds(30));
  ssize_t result = 0;
  Read(stream, 100, &result);
  CHECK(result == -1);
  CHECK(Clock::now() - start >= milliseconds(30));
}

TEST_CASE("a read after the peer closed returns 0", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("last");
  pair.CloseClient();
  CHECK(Read(stream, 100) == "last");
  ssize_t result = -1;
  Read(stream, 100, &result);
  CHECK(result == 0);
}

TEST_CASE("a read hands out at most what was asked and keeps the rest for the next",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("abcdef");
  CHECK(Read(stream, 2) == "ab");
  pair.CloseClient();  // the rest comes from the stream's buffer, not the socket
  CHECK(Read(stream, 100) == "cdef");
}

TEST_CASE("is_readable is true for buffered bytes and false once the deadline passes",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("xy");
  CHECK(Read(stream, 1) == "x");
  stream.set_deadline(Clock::now() - milliseconds(1));
  CHECK(stream.is_readable());  // "y" is buffered
  CHECK(Read(stream, 1) == "y");
  CHECK_FALSE(stream.is_readable());
}

TEST_CASE("a write within the deadline reaches the peer", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  CHECK(stream.is_writable());
  CHECK(stream.write("answer", 6) == 6);
  CHECK(pair.Received() == "answer");
}

TEST_CASE(
    "a write larger than the socket takes is partial, and one into a full socket fails at "
    "the deadline",
    "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  const std::string big(8 << 20, 'b');
  const ssize_t first = stream.write(big.data(), big.size());
  CHECK(first > 0);
  CHECK(first < static_cast<ssize_t>(big.size()));

  // Fill what room is left, then nothing more fits before the deadline.
  while (send(pair.server, big.data(), big.size(), MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
  }
  const Clock::time_point start = Clock::now();
  stream.set_deadline(start + milliseconds(30));
  CHECK(stream.write(big.data(), big.size()) == -1);
  CHECK(Clock::now() - start >= milliseconds(30));
  CHECK_FALSE(stream.is_writable());
}

TEST_CASE("a write into a full socket waits for the peer to make room", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  const std::string big(8 << 20, 'b');
  size_t queued = 0;
  ssize_t n;
  while ((n = send(pair.server, big.data(), big.size(), MSG_DONTWAIT | MSG_NOSIGNAL)) > 0) {
    queued += static_cast<size_t>(n);
  }
  const std::string tail = "tail";
  std::string drained;
  std::thread peer([&] {
    std::vector<char> chunk(1 << 16);
    while (drained.size() < queued + tail.size()) {
      const ssize_t got = recv(pair.client, chunk.data(), chunk.size(), 0);
      if (got <= 0) break;
      drained.append(chunk.data(), static_cast<size_t>(got));
    }
  });
  const ssize_t written = stream.write(tail.data(), tail.size());
  peer.join();
  CHECK(written == 4);
  CHECK(drained.size() == queued + tail.size());
  CHECK(drained.substr(queued) == tail);
}

TEST_CASE("a write after the peer closed fails at once", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.CloseClient();
  const Clock::time_point start = Clock::now();
  CHECK(stream.write("x", 1) == -1);
  CHECK(Clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE(
    "waiting for the next request sees buffered, arriving or closing input, and ignores the "
    "request deadline",
    "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() - milliseconds(1));  // long past

  const Clock::time_point start = Clock::now();
  CHECK_FALSE(stream.WaitForRequest(milliseconds(30)));
  CHECK(Clock::now() - start >= milliseconds(30));

  pair.Send("GE");
  CHECK(stream.WaitForRequest(milliseconds(10000)));
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  CHECK(Read(stream, 1) == "G");
  stream.set_deadline(Clock::now() - milliseconds(1));
  CHECK(stream.WaitForRequest(milliseconds(0)));  // "E" is buffered

  CHECK(Read(stream, 1) == "E");
  pair.CloseClient();
  CHECK(stream.WaitForRequest(milliseconds(10000)));  // the next read says EOF
  ssize_t result = -1;
  Read(stream, 1, &result);
  CHECK(result == 0);
}

TEST_CASE("a head is handed out up to its byte bound, and asking for one more overflows",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("GET /0123456789 HTTP/1.1\r\n");
  stream.BeginHead(8);
  CHECK(Read(stream, 100) == "GET /012");
  CHECK_FALSE(stream.head_overflowed());
  ssize_t result = 0;
  Read(stream, 1, &result);
  CHECK(result == -1);
  CHECK(stream.head_overflowed());
}

TEST_CASE("a head that overflows before its first line feed overflowed in the request line",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  stream.BeginHead(50);
  CHECK(ReadBytewiseUntilFailure(stream).size() == 50);
  CHECK(stream.TakeHeadOverflow() == Overflow::kRequestLine);
  CHECK_FALSE(stream.head_overflowed());
  CHECK(stream.TakeHeadOverflow() == Overflow::kNone);
}

TEST_CASE("a head that overflows after its first line feed overflowed in the header fields",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  const std::string request_line = "GET / HTTP/1.1\r\n";
  pair.Send(request_line + "X-Pad: " + std::string(100, 'p') + "\r\n\r\n");
  stream.BeginHead(request_line.size());
  CHECK(ReadBytewiseUntilFailure(stream) == request_line);
  CHECK(stream.TakeHeadOverflow() == Overflow::kHeaderFields);
}

TEST_CASE("a line feed read in one bulk read ends the request line too", "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("GET / HTTP/1.1\r\nHost: xxxxxxxxxx\r\n\r\n");
  stream.BeginHead(20);
  CHECK(Read(stream, 100) == "GET / HTTP/1.1\r\nHost");
  ssize_t result = 0;
  Read(stream, 100, &result);
  CHECK(result == -1);
  CHECK(stream.TakeHeadOverflow() == Overflow::kHeaderFields);
}

TEST_CASE("an overflowed head fails reads and writes until the overflow is taken",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  pair.Send("GET /aaaaaaaaaaaaaaaaaaaa");
  stream.BeginHead(4);
  ReadBytewiseUntilFailure(stream);
  REQUIRE(stream.head_overflowed());

  ssize_t result = 0;
  Read(stream, 100, &result);
  CHECK(result == -1);
  CHECK(stream.write("HTTP/1.1 400", 12) == -1);
  CHECK(pair.Received().empty());

  CHECK(stream.TakeHeadOverflow() == Overflow::kRequestLine);
  CHECK(stream.write("HTTP/1.1 414", 12) == 12);
  CHECK(pair.Received() == "HTTP/1.1 414");
  // Still in the head begun last, and at its bound: asking for more
  // overflows again.
  Read(stream, 100, &result);
  CHECK(result == -1);
  CHECK(stream.head_overflowed());
}

TEST_CASE("once the head ends its bound no longer counts, and the next head starts afresh",
          "[deadline_stream]") {
  SocketPair pair;
  DeadlineStream stream(pair.server, nullptr);
  stream.set_deadline(Clock::now() + std::chrono::seconds(10));
  const std::string head = "POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\n";
  const std::string body(40, 'b');
  pair.Send(head + body + "GET / HTTP/1.1\r\n");

  stream.BeginHead(head.size());
  CHECK(Read(stream, head.size()) == head);
  stream.EndHead();
  CHECK(Read(stream, body.size()) == body);
  CHECK_FALSE(stream.head_overflowed());

  stream.BeginHead(3);
  CHECK(ReadBytewiseUntilFailure(stream) == "GET");
  CHECK(stream.TakeHeadOverflow() == Overflow::kRequestLine);
}
