// Overload: clients that trickle bytes, clients that never read, too many
// connections, and many objects created through the API.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A socket to 127.0.0.1 that sends when told and notices the server closing.
class SlowClient {
 public:
  explicit SlowClient(int port) : fd_(ConnectLoopback(port)) {}
  ~SlowClient() {
    if (fd_ >= 0) close(fd_);
  }
  SlowClient(SlowClient&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

  bool connected() const { return fd_ >= 0; }
  bool send_byte(char c) { return send(fd_, &c, 1, MSG_NOSIGNAL) == 1; }
  // Whether the server closed the connection (EOF or reset), waiting up to
  // `wait`; any bytes it sent first are skipped.
  bool closed_by_server(milliseconds wait) {
    const auto until = Clock::now() + wait;
    char sink[512];
    while (Clock::now() < until) {
      pollfd entry{fd_, POLLIN, 0};
      int left =
          static_cast<int>(std::chrono::duration_cast<milliseconds>(until - Clock::now()).count());
      if (poll(&entry, 1, std::max(left, 0)) <= 0) return false;
      if (recv(fd_, sink, sizeof sink, 0) <= 0) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
};

constexpr std::string_view kSlowRequest =
    "POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\nContent-Length: 30\r\n\r\n"
    R"({"name": "slow", "limit": 10})";

// Trickles kSlowRequest one byte every `interval` until the server closes the
// connection; returns how long that took, or -1 ms if it never closed.
milliseconds TrickleUntilClosed(int port, milliseconds interval, milliseconds give_up) {
  SlowClient client(port);
  if (!client.connected()) return milliseconds(-1);
  const auto start = Clock::now();
  for (size_t i = 0; Clock::now() - start < give_up; ++i) {
    if (!client.send_byte(kSlowRequest[i % kSlowRequest.size()]) ||
        client.closed_by_server(interval)) {
      return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    }
  }
  return milliseconds(-1);
}

TEST_CASE("a client sending a byte at a time is cut off at the request timeout", "[overload]") {
  SlotdProcess server(WithArgs({"--request-timeout-seconds", "1"}));
  std::atomic<bool> trickling{true};
  milliseconds held{0};
  std::thread slow([&] {
    held = TrickleUntilClosed(server.port(), milliseconds(100), std::chrono::seconds(6));
    trickling = false;
  });
  auto cli = server.client();
  int served = 0;
  while (trickling.load()) {
    RequireStatus(cli->Get("/api/health"), 200);
    ++served;
  }
  slow.join();
  INFO("held for " << held.count() << " ms; " << served << " other requests served meanwhile");
  CHECK(held >= milliseconds(900));
  CHECK(held <= milliseconds(3000));
  CHECK(served > 0);
  // The trickled create never completed, so nothing was created.
  RequireStatus(cli->Get("/api/v2/concurrency_limits/slow"), 404);
}

TEST_CASE("many trickling clients leave the other connections served at full speed", "[overload]") {
  SlotdProcess server(WithArgs({"--request-timeout-seconds", "2", "--threads", "64"}));
  constexpr int kSlowClients = 48;
  std::vector<SlowClient> slow;
  for (int i = 0; i < kSlowClients; ++i) {
    slow.emplace_back(server.port());
    REQUIRE(slow.back().connected());
    REQUIRE(slow.back().send_byte('P'));
  }
  auto cli = server.client();
  const auto start = Clock::now();
  int served = 0;
  while (Clock::now() - start < milliseconds(1000)) {
    RequireStatus(cli->Get("/api/health"), 200);
    ++served;
  }
  int closed = 0;
  for (SlowClient& client : slow) closed += client.closed_by_server(std::chrono::seconds(4));
  WARN(served << " requests/s beside " << kSlowClients << " trickling connections");
  CHECK(served > 100);
  CHECK(closed == kSlowClients);
}

// A client that sends requests and never reads their answers: once the
// socket buffers between it and the server are full, the server's writes
// block. Its receive buffer is made small so that happens sooner.
class NonReadingClient {
 public:
  explicit NonReadingClient(int port) : fd_(ConnectLoopback(port, /*receive_buffer=*/4096)) {}
  ~NonReadingClient() {
    if (fd_ >= 0) close(fd_);
  }
  NonReadingClient(const NonReadingClient&) = delete;
  NonReadingClient& operator=(const NonReadingClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Whether the server closed the connection, waiting up to `wait`, without
  // reading: the server closing with requests unread resets the connection,
  // which poll reports as an error or hang-up.
  bool reset_by_server(milliseconds wait) {
    pollfd entry{fd_, 0, 0};
    return poll(&entry, 1, static_cast<int>(wait.count())) > 0 &&
           (entry.revents & (POLLERR | POLLHUP)) != 0;
  }

 private:
  int fd_ = -1;
};

TEST_CASE(
    "a client that pipelines requests and never reads the answers is cut off at the "
    "request timeout while others are served",
    "[overload]") {
  // A name past the default 4096-byte bound, so each read is a 1 MB answer.
  SlotdProcess server(WithArgs(
      {"--request-timeout-seconds", "1", "--threads", "2", "--max-name-bytes", "1000000"}));
  auto cli = server.client();
  cli->set_keep_alive(true);  // holds the second of the two connections throughout
  const std::string id = CreateV2Limit(*cli, std::string(1000000, 'n'), 1);
  std::string pipelined;
  for (int i = 0; i < 200; ++i) {
    pipelined += "GET /api/v2/concurrency_limits/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }
  NonReadingClient stuck(server.port());
  REQUIRE(stuck.connected());
  const auto start = Clock::now();
  REQUIRE(stuck.send_all(pipelined));
  int served = 0;
  bool cut_off = false;
  while (!cut_off && Clock::now() - start < std::chrono::seconds(10)) {
    RequireStatus(cli->Get("/api/health"), 200);
    ++served;
    cut_off = stuck.reset_by_server(milliseconds(10));
  }
  const auto held = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  INFO("cut off after " << held.count() << " ms; " << served << " other requests served meanwhile");
  WARN("a client that never reads was cut off after " << held.count() << " ms");
  REQUIRE(cut_off);
  CHECK(held >= milliseconds(900));
  CHECK(held <= milliseconds(5000));
  CHECK(served > 10);
  // Its connection's place is free again: a new connection is served, not
  // answered 503.
  std::optional<RawResponse> admitted = RawRequest(server.port(), "GET", "/api/health");
  REQUIRE(admitted.has_value());
  CHECK(admitted->status == 200);
}

TEST_CASE("an idle connection is closed after the keep-alive timeout", "[overload]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_KEEPALIVE_TIMEOUT", "1"));
  SlowClient idle(server.port());
  REQUIRE(idle.connected());
  const auto start = Clock::now();
  REQUIRE(idle.closed_by_server(std::chrono::seconds(4)));
  CHECK(Clock::now() - start >= milliseconds(900));
}

TEST_CASE("a connection beyond --threads is answered 503 with a JSON detail and closed",
          "[overload]") {
  SlotdProcess server(WithArgs({"--threads", "4"}));
  std::vector<RawConnection> held;
  for (int i = 0; i < 4; ++i) {
    RawConnection connection(server.port());
    REQUIRE(connection.send_all("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    REQUIRE(connection.read_response(std::chrono::seconds(5)).has_value());
    held.push_back(std::move(connection));
  }
  std::optional<RawResponse> refused = RawRequest(server.port(), "GET", "/api/health");
  REQUIRE(refused.has_value());
  CHECK(refused->status == 503);
  CHECK(Canonical(refused->body) == R"({"detail":"Too many connections"})");
  CHECK(refused->header("Content-Type") == "application/json");
  CHECK(refused->header("Retry-After") == "1");
  CHECK(refused->header("Connection") == "close");

  held.pop_back();  // one connection closes; its place is free again
  std::optional<RawResponse> admitted;
  for (int attempt = 0; attempt < 50; ++attempt) {
    admitted = RawRequest(server.port(), "GET", "/api/health");
    if (admitted && admitted->status == 200) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  REQUIRE(admitted.has_value());
  CHECK(admitted->status == 200);
}

TEST_CASE(
    "ten thousand limits and leases cost a few hundred bytes each and leave the "
    "server responsive",
    "[overload][memory]") {
  SlotdProcess server;
  auto cli = server.client();
  RequireStatus(cli->Get("/api/health"), 200);
  const long before_kb = StatusKilobytes(server.pid(), "VmRSS:");
  constexpr int kCount = 10000;
  for (int i = 0; i < kCount; ++i) {
    const std::string name = "limit-" + std::to_string(i);
    RequireStatus(
        PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":")" + name + R"(","limit":2})"),
        201);
    RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/increment-with-lease",
                           R"({"names":[")" + name + R"("],"slots":1})"),
                  200);
  }
  const long after_kb = StatusKilobytes(server.pid(), "VmRSS:");
  const double bytes_per_pair = (after_kb - before_kb) * 1024.0 / kCount;
  const auto start = Clock::now();
  RequireStatus(cli->Get("/api/health"), 200);
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/filter", R"({"limit":200})"), 200);
  const auto took = Clock::now() - start;
  INFO("RSS " << before_kb << " kB -> " << after_kb << " kB: " << bytes_per_pair
              << " bytes per limit with one lease");
  WARN("resident bytes per limit with one lease: " << bytes_per_pair);
  if (!kSanitized) CHECK(bytes_per_pair < 4096);
  CHECK(took < milliseconds(1000));
}

}  // namespace
}  // namespace slotd::e2e
