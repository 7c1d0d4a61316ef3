// Fair waiting against a real slotd: Prefer: wait, --wait-seconds, the
// deadline, a client that leaves while waiting, pipelining behind a wait,
// SIGTERM while requests wait, and a thousand waiters on one limit.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using std::chrono::milliseconds;

const std::string kLease = "/api/v2/concurrency_limits/increment-with-lease";
const std::string kRelease = "/api/v2/concurrency_limits/decrement-with-lease";

// An increment-with-lease of limit `name`, with a Prefer header when given.
std::string LeaseRequest(const std::string& name, const std::string& prefer = "",
                         bool close = false) {
  const std::string body = R"({"slots":1,"names":[")" + name + R"("]})";
  std::string request =
      "POST " + kLease + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (!prefer.empty()) request += "Prefer: " + prefer + "\r\n";
  if (close) request += "Connection: close\r\n";
  return request + "\r\n" + body;
}

std::string LeaseOf(const std::string& body) { return Unquoted(Field(body, "lease_id")); }

void ReleaseLease(httplib::Client& cli, const std::string& lease_id) {
  RequireStatus(PostJson(*&cli, kRelease, "{\"lease_id\":\"" + lease_id + "\"}"), 204);
}

// Holds the only slot of a new limit `name` (limit 1); returns the lease.
std::string HoldOnly(httplib::Client& cli, const std::string& name) {
  CreateV2Limit(cli, name, 1);
  auto res = PostJson(cli, kLease, R"({"slots":1,"names":[")" + name + R"("]})");
  RequireStatus(res, 200);
  return LeaseOf(res->body);
}

TEST_CASE("Prefer: wait holds the request until a slot is released", "[wait]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string holder = HoldOnly(*cli, "db");
  RawConnection waiter(server.port());
  REQUIRE(waiter.send_all(LeaseRequest("db", "wait=10")));
  CHECK_FALSE(waiter.read_response(milliseconds(300)));  // waiting, not refused
  ReleaseLease(*cli, holder);
  auto answer = waiter.read_response(milliseconds(5000));
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(answer->header("Preference-Applied") == "wait=10");
  CHECK(ActiveSlots(*cli, "db") == 1);
  // A request without the header is answered at once, as Prefect answers.
  auto refused = PostJson(*cli, kLease, R"({"slots":1,"names":["db"]})");
  RequireStatus(refused, 423);
  CHECK_FALSE(refused->has_header("Preference-Applied"));
}

TEST_CASE("a wait that runs out is the usual 423, and the cap applies", "[wait]") {
  SlotdProcess server(WithArgs({"--max-wait-seconds", "1"}));
  auto cli = server.client();
  HoldOnly(*cli, "db");
  RawConnection waiter(server.port());
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(waiter.send_all(LeaseRequest("db", "respond-async, wait=600")));
  auto answer = waiter.read_response(milliseconds(5000));
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE(answer);
  CHECK(answer->status == 423);
  CHECK(answer->body == R"({"detail":"Locked"})");
  CHECK(answer->header("Retry-After").has_value());
  CHECK(answer->header("Preference-Applied") == "wait=1");
  CHECK(waited >= milliseconds(900));
  CHECK(waited < milliseconds(3000));
}

TEST_CASE("the option --wait-seconds makes a stock client's v1 increment wait", "[wait]") {
  SlotdProcess server(WithArgs({"--wait-seconds", "10"}));
  auto cli = server.client();
  CreateTagLimit(*cli, "etl", 1);
  const std::string first = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["etl"])", first), 200);
  const std::string second = NewUuid();
  const std::string body = R"({"names":["etl"],"task_run_id":")" + second + R"("})";
  RawConnection waiter(server.port());
  REQUIRE(
      waiter.send_all("POST /api/concurrency_limits/increment HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body));
  CHECK_FALSE(waiter.read_response(milliseconds(300)));
  RequireStatus(V1Decrement(*cli, R"(["etl"])", first), 200);
  auto answer = waiter.read_response(milliseconds(5000));
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK_FALSE(answer->header("Preference-Applied"));
  CHECK(TagHolders(*cli, "etl") == std::vector<std::string>{second});
}

TEST_CASE("a client that leaves while waiting leaves the line, and the slot goes to the next",
          "[wait]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string holder = HoldOnly(*cli, "db");
  {
    RawConnection gone(server.port());
    REQUIRE(gone.send_all(LeaseRequest("db", "wait=30")));
    CHECK_FALSE(gone.read_response(milliseconds(200)));
  }  // closed while waiting
  RawConnection next(server.port());
  REQUIRE(next.send_all(LeaseRequest("db", "wait=30")));
  CHECK_FALSE(next.read_response(milliseconds(200)));
  ReleaseLease(*cli, holder);
  auto answer = next.read_response(milliseconds(5000));
  REQUIRE(answer);
  CHECK(answer->status == 200);
  ReleaseLease(*cli, LeaseOf(answer->body));
  CHECK(ActiveSlots(*cli, "db") == 0);  // nobody got a ghost grant
}

// Closes `fd` with a reset (SO_LINGER 0): the server's next write to it fails.
void Reset(int fd) {
  const linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

TEST_CASE("a grant whose client has gone is given back", "[wait]") {
  // Clients wait, then reset their connections just before the slot is
  // released: each grant races its client's cancellation, and either way
  // (cancelled, or granted and given back when its answer cannot be
  // written) the slot comes back.
  SlotdProcess server;
  auto cli = server.client();
  std::string holder = HoldOnly(*cli, "db");
  for (int round = 0; round < 20; ++round) {
    std::vector<int> waiters;
    const std::string request = LeaseRequest("db", "wait=30");
    for (int i = 0; i < 5; ++i) {
      waiters.push_back(ConnectLoopback(server.port()));
      REQUIRE(send(waiters.back(), request.data(), request.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(request.size()));
    }
    RawConnection probe(server.port());  // after the five: answered once they are gone
    REQUIRE(probe.send_all(LeaseRequest("db", "wait=30")));
    CHECK_FALSE(probe.read_response(milliseconds(50)));
    for (int fd : waiters) Reset(fd);
    ReleaseLease(*cli, holder);
    auto answer = probe.read_response(milliseconds(5000));
    REQUIRE(answer);
    REQUIRE(answer->status == 200);
    holder = LeaseOf(answer->body);
  }
  ReleaseLease(*cli, holder);
  CHECK(ActiveSlots(*cli, "db") == 0);
}

TEST_CASE("requests pipelined behind a waiting one are answered after it, in order", "[wait]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string holder = HoldOnly(*cli, "db");
  RawConnection connection(server.port());
  REQUIRE(connection.send_all(LeaseRequest("db", "wait=10") +
                              "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK_FALSE(connection.read_response(milliseconds(300)));  // health waits its turn
  ReleaseLease(*cli, holder);
  auto first = connection.read_response(milliseconds(5000));
  auto second = connection.read_response(milliseconds(5000));
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->status == 200);
  CHECK(Keys(Json(first->body).root()) == std::vector<std::string>{"lease_id", "limits"});
  CHECK(second->body == "true");
}

TEST_CASE("SIGTERM ends the waits and the server exits", "[wait]") {
  SlotdProcess server;
  auto cli = server.client();
  HoldOnly(*cli, "db");
  RawConnection waiter(server.port());
  REQUIRE(waiter.send_all(LeaseRequest("db", "wait=60")));
  CHECK_FALSE(waiter.read_response(milliseconds(200)));
  const auto start = std::chrono::steady_clock::now();
  const ExitStatus status = server.stop(SIGTERM, std::chrono::seconds(10));
  CHECK(status.clean());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  auto answer = waiter.read_response(milliseconds(1000));
  if (answer) CHECK(answer->status == 423);  // or closed
}

// One waiter's socket and the bytes it has received.
struct Waiter {
  int fd = -1;
  std::string received;
};

// The index of a waiter whose answer is complete (head and Content-Length
// body), polling them all for up to `timeout`; -1 if none.
int NextAnswered(std::vector<Waiter>& waiters, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<pollfd> fds(waiters.size());
  for (;;) {
    for (size_t i = 0; i < waiters.size(); ++i) {
      const std::string& r = waiters[i].received;
      const size_t end = r.find("\r\n\r\n");
      const size_t length = r.find("Content-Length: ");
      if (end != std::string::npos && length != std::string::npos &&
          r.size() >= end + 4 + std::stoul(r.substr(length + 16))) {
        return static_cast<int>(i);
      }
      fds[i] = {waiters[i].fd, POLLIN, 0};
    }
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) return -1;
    for (size_t i = 0; i < waiters.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = recv(waiters[i].fd, buffer, sizeof buffer, 0);
      if (n > 0) waiters[i].received.append(buffer, static_cast<size_t>(n));
    }
  }
}

TEST_CASE("a thousand waiters on one limit are each granted once, one at a time", "[wait]") {
  constexpr int kWaiters = 1000;
  SlotdProcess server;
  auto cli = server.client();
  std::string holder = HoldOnly(*cli, "db");
  std::vector<Waiter> waiters(kWaiters);
  for (Waiter& w : waiters) {
    w.fd = ConnectLoopback(server.port());
    REQUIRE(w.fd >= 0);
    const std::string request = LeaseRequest("db", "wait=120");
    REQUIRE(send(w.fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  // Every one is waiting (none refused) before the first release.
  CHECK(NextAnswered(waiters, milliseconds(500)) == -1);
  int granted = 0;
  for (int i = 0; i < kWaiters; ++i) {
    ReleaseLease(*cli, holder);
    const int next = NextAnswered(waiters, milliseconds(10000));
    REQUIRE(next >= 0);
    REQUIRE(waiters[next].received.rfind("HTTP/1.1 200", 0) == 0);
    const size_t body = waiters[next].received.find("\r\n\r\n") + 4;
    holder = LeaseOf(waiters[next].received.substr(body));
    CHECK(ActiveSlots(*cli, "db") == 1);
    ::close(waiters[next].fd);
    waiters.erase(waiters.begin() + next);
    ++granted;
  }
  CHECK(granted == kWaiters);
  ReleaseLease(*cli, holder);
  CHECK(ActiveSlots(*cli, "db") == 0);
}

}  // namespace
}  // namespace slotd::e2e
