// Memory bounded before a body is read (issue 12): a chunked body is counted
// against --max-body-bytes as it arrives, a request Content-Encoding is
// refused from the head, the credentials are checked before any body byte
// is kept, and `Expect: 100-continue` is answered only when the body will be
// read. Memory is the server process's own, from /proc/PID/status.
#include <sys/types.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// What the server may grow by while refusing a body: its read buffer, one
// body at the limit (1 MiB) and allocator slack; more under a sanitizer.
// Buffering the bodies sent here would cost hundreds of MiB.
const long kAllowedGrowthKb = (kSanitized ? 32 : 16) * 1024;
// A flood stops once the server has grown by this much: a server that keeps
// bodies whole must fail the test, not take the shared machine with it.
const long kGiveUpGrowthKb = 256 * 1024;

constexpr const char* kCreateHead =
    "POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\n";

// Every limit, in canonical JSON.
std::string AllLimits(httplib::Client& cli) {
  auto res = cli.Post("/api/v2/concurrency_limits/filter");
  RequireStatus(res, 200);
  return Canonical(res->body);
}

// A server warmed up by a few requests, so that what it grows by afterwards
// is what the body under test cost.
void WarmUp(httplib::Client& cli) {
  for (int i = 0; i < 20; ++i) RequireStatus(cli.Get("/api/health"), 200);
}

// Sends chunks of 64 KiB of filler on `connection` from its own thread until
// `total` bytes are sent, a send fails (the server closed) or the server's
// resident size grew by kGiveUpGrowthKb.
class ChunkedFlood {
 public:
  ChunkedFlood(RawConnection& connection, pid_t server, uint64_t total)
      : thread_([this, &connection, server, total] {
          const std::string data(64 * 1024, 'x');
          const std::string chunk = "10000\r\n" + data + "\r\n";
          const long resident_before_kb = StatusKilobytes(server, "VmRSS:");
          for (uint64_t i = 0; sent_ < total && !stop_; ++i) {
            if (!connection.send_all(chunk)) return;
            sent_ += data.size();
            if (i % 64 == 0 &&
                StatusKilobytes(server, "VmRSS:") - resident_before_kb > kGiveUpGrowthKb) {
              gave_up_ = true;
              return;
            }
          }
        }) {}
  ~ChunkedFlood() {
    stop_ = true;
    thread_.join();
  }
  uint64_t sent() const { return sent_; }
  bool gave_up() const { return gave_up_; }

 private:
  std::atomic<uint64_t> sent_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> gave_up_{false};
  std::thread thread_;
};

struct Refusal {
  std::optional<RawResponse> answer;
  milliseconds took{0};
  long peak_growth_kb = 0;
  bool closed = false;
  uint64_t sent = 0;
  bool gave_up = false;
};

// Sends `head` (which says the body is chunked), then floods `total` bytes
// of chunks while waiting for the answer; then waits for the close.
Refusal FloodAfterHead(const SlotdProcess& server, const std::string& head, uint64_t total) {
  Refusal refusal;
  const long peak_before_kb = StatusKilobytes(server.pid(), "VmHWM:");
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  REQUIRE(connection.send_all(head));
  const auto start = Clock::now();
  {
    ChunkedFlood flood(connection, server.pid(), total);
    refusal.answer = connection.read_response(seconds(15));
    refusal.took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    refusal.closed = connection.closed_by_peer(seconds(10));
    refusal.sent = flood.sent();
    refusal.gave_up = flood.gave_up();
  }
  refusal.peak_growth_kb = StatusKilobytes(server.pid(), "VmHWM:") - peak_before_kb;
  WARN("answered " << (refusal.answer ? refusal.answer->status : 0) << " after "
                   << refusal.took.count() << " ms and " << (refusal.sent >> 20)
                   << " MiB sent; peak RSS grew by " << refusal.peak_growth_kb << " kB");
  return refusal;
}

TEST_CASE("a 2 GiB chunked body answers 413 past the body limit with bounded memory", "[memory]") {
  SlotdProcess server(WithArgs({"--request-timeout-seconds", "60"}));
  auto cli = server.client();
  WarmUp(*cli);
  const Refusal refusal = FloodAfterHead(
      server, std::string(kCreateHead) + "Transfer-Encoding: chunked\r\n\r\n", uint64_t{2} << 30);
  CHECK_FALSE(refusal.gave_up);
  REQUIRE(refusal.answer.has_value());
  CHECK(refusal.answer->status == 413);
  CHECK(refusal.answer->header("Connection") == "close");
  CHECK(refusal.took < seconds(10));
  CHECK(refusal.closed);
  CHECK(refusal.peak_growth_kb < kAllowedGrowthKb);
  CHECK(AllLimits(*cli) == "[]");
}

TEST_CASE("with an auth string a huge chunked body without credentials answers 401 unread",
          "[memory][auth]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  auto cli = server.client();
  WarmUp(*cli);
  const Refusal refusal = FloodAfterHead(
      server, std::string(kCreateHead) + "Transfer-Encoding: chunked\r\n\r\n", uint64_t{1} << 30);
  CHECK_FALSE(refusal.gave_up);
  REQUIRE(refusal.answer.has_value());
  CHECK(refusal.answer->status == 401);
  CHECK(Canonical(refusal.answer->body) == R"({"exception_message":"Unauthorized"})");
  CHECK(refusal.answer->header("Connection") == "close");
  CHECK(refusal.took < seconds(10));
  CHECK(refusal.closed);
  CHECK(refusal.peak_growth_kb < kAllowedGrowthKb);
  cli->set_basic_auth("admin", "pass");
  CHECK(AllLimits(*cli) == "[]");
}

TEST_CASE("with an auth string a body without credentials is refused before it is sent",
          "[memory][auth]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  for (const char* framing : {"Transfer-Encoding: chunked", "Content-Length: 1000000"}) {
    INFO(framing);
    RawConnection connection(server.port());
    REQUIRE(connection.connected());
    REQUIRE(connection.send_all(std::string(kCreateHead) + framing + "\r\n\r\n"));
    const std::optional<RawResponse> answer = connection.read_response(seconds(10));
    REQUIRE(answer.has_value());
    CHECK(answer->status == 401);
    CHECK(answer->header("Connection") == "close");
    CHECK(connection.closed_by_peer(seconds(10)));
  }
}

TEST_CASE("a request Content-Encoding answers 415 before the body is sent", "[memory]") {
  SlotdProcess server(WithArgs({"--request-timeout-seconds", "60"}));
  auto cli = server.client();
  // The head alone: a server that decoded bodies would wait for this one
  // (a gzip bomb would inflate 1 MB to 1,000 MiB).
  for (const char* coding : {"gzip", "deflate", "br", "GZIP"}) {
    INFO("Content-Encoding: " << coding);
    RawConnection connection(server.port());
    REQUIRE(connection.connected());
    REQUIRE(connection.send_all(std::string(kCreateHead) + "Content-Encoding: " + coding +
                                "\r\nContent-Length: 1000000\r\n\r\n"));
    const std::optional<RawResponse> answer = connection.read_response(seconds(10));
    REQUIRE(answer.has_value());
    CHECK(answer->status == 415);
    CHECK(answer->header("Connection") == "close");
    CHECK(connection.closed_by_peer(seconds(10)));
  }
  // With its (small) body sent too, nothing is created.
  const std::string body = R"({"name":"encoded","limit":1})";
  std::optional<RawResponse> sent_whole =
      RawRequest(server.port(), "POST", "/api/v2/concurrency_limits/",
                 {"Content-Type: application/json", "Content-Encoding: gzip"}, body);
  REQUIRE(sent_whole.has_value());
  CHECK(sent_whole->status == 415);
  CHECK(AllLimits(*cli) == "[]");
}

TEST_CASE("Expect: 100-continue with a Content-Length over the limit answers 413 and no 100",
          "[memory]") {
  SlotdProcess server(WithArgs({"--max-body-bytes", "1000"}));
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  REQUIRE(connection.send_all(std::string(kCreateHead) +
                              "Expect: 100-continue\r\nContent-Length: 1001\r\n\r\n"));
  const std::string first = connection.read_raw(seconds(10), "\r\n\r\n");
  INFO("first answer head: " << first);
  CHECK(first.starts_with("HTTP/1.1 413 "));
  CHECK(first.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(connection.closed_by_peer(seconds(10)));
}

TEST_CASE("an Expect other than 100-continue answers 417 and closes", "[memory]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string body = R"({"name":"expected","limit":1})";
  for (const char* expect : {"200-ok", "100-continue, something", "something"}) {
    INFO("Expect: " << expect);
    const SmuggleResult result =
        Smuggle(server.port(), std::string(kCreateHead) + "Expect: " + expect +
                                   "\r\nContent-Length: " + std::to_string(body.size()) +
                                   "\r\n\r\n" + body);
    REQUIRE(result.answers.size() == 1);
    CHECK(result.answers[0].status == 417);
    CHECK(result.answers[0].header("Connection") == "close");
    CHECK(result.closed);
  }
  CHECK(AllLimits(*cli) == "[]");
}

TEST_CASE("Expect: 100-continue within the limit gets 100 Continue, then the answer", "[memory]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string body = R"({"name":"continued","limit":1})";
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  // The first creates the limit, the second finds it there: both were read.
  for (const auto& [expect, status] :
       std::vector<std::pair<std::string, int>>{{"100-continue", 201}, {"100-Continue", 409}}) {
    INFO("Expect: " << expect);
    REQUIRE(connection.send_all(std::string(kCreateHead) + "Expect: " + expect +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
    CHECK(connection.read_raw(seconds(10), "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
    REQUIRE(connection.send_all(body));
    const std::optional<RawResponse> answer = connection.read_response(seconds(10));
    REQUIRE(answer.has_value());
    CHECK(answer->status == status);
  }
  RequireStatus(cli->Get("/api/v2/concurrency_limits/continued"), 200);
}

TEST_CASE("bodies held at once over every connection are bounded by --max-body-total-bytes",
          "[memory]") {
  SlotdProcess server(WithArgs({"--max-body-bytes", "1000", "--max-body-total-bytes", "1500"}));
  auto cli = server.client();
  const std::string body = R"({"name":"budgeted","limit":1})";
  const std::string padded = body + std::string(1000 - body.size(), ' ');
  const std::string head = std::string(kCreateHead) + "Content-Length: 1000\r\n\r\n";
  // One connection holds 1000 bytes of the budget with a body half sent;
  // its 100 Continue says the server has read its head (and reserved).
  RawConnection holder(server.port());
  REQUIRE(holder.connected());
  REQUIRE(holder.send_all(std::string(kCreateHead) +
                          "Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n"));
  REQUIRE(holder.read_raw(seconds(10), "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  REQUIRE(holder.send_all(padded.substr(0, 500)));
  // A second body of 1000 does not fit beside it: 503 at its head, with
  // Retry-After, closed, and nothing created.
  const SmuggleResult refused = Smuggle(server.port(), head + padded);
  REQUIRE(refused.answers.size() == 1);
  CHECK(refused.answers[0].status == 503);
  CHECK(refused.answers[0].header("Retry-After") == "1");
  CHECK(refused.answers[0].body ==
        R"({"detail":"Server busy: too many request bodies in memory"})");
  CHECK(refused.closed);
  CHECK(AllLimits(*cli) == "[]");
  // The first body completes and is answered; its bytes are free again, so
  // the same request now passes.
  REQUIRE(holder.send_all(padded.substr(500)));
  std::optional<RawResponse> created = holder.read_response(seconds(10));
  REQUIRE(created.has_value());
  CHECK(created->status == 201);
  const SmuggleResult again = Smuggle(server.port(), head + padded, std::chrono::milliseconds(500));
  REQUIRE(again.answers.size() == 1);
  CHECK(again.answers[0].status == 409);
}

}  // namespace
}  // namespace slotd::e2e
