// The breach detectors, checked against a server that lies: it grants every
// request whatever the limit, forgets every plain release and every lease.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <thread>

#include "run_support.h"

namespace slotd::contend::test {
namespace {

class LyingServer {
 public:
  LyingServer() {
    const char* granted = R"([{"id": "00000000-0000-4000-8000-000000000000", "name": "only",
                              "limit": 1}])";
    server_.Delete(R"(/api/v2/concurrency_limits/.*)", [](auto&, auto& res) { res.status = 404; });
    server_.Post("/api/v2/concurrency_limits/", [](auto&, auto& res) {
      res.status = 201;
      res.set_content("{}", "application/json");
    });
    server_.Post("/api/v2/concurrency_limits/increment",
                 [=](auto&, auto& res) { res.set_content(granted, "application/json"); });
    server_.Post("/api/v2/concurrency_limits/increment-with-lease", [=](auto&, auto& res) {
      res.set_content(std::string(R"({"lease_id": "11111111-1111-4111-8111-111111111111",)") +
                          R"( "limits": )" + granted + "}",
                      "application/json");
    });
    server_.Post("/api/v2/concurrency_limits/decrement",
                 [](auto&, auto& res) { res.set_content("[]", "application/json"); });
    server_.Post("/api/v2/concurrency_limits/decrement-with-lease",
                 [](auto&, auto& res) { res.status = 204; });
    server_.Post(R"(/api/v2/concurrency_limits/leases/[^/]+/renew)",
                 [](auto&, auto& res) { res.status = 410; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~LyingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api"; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

int64_t CountKind(const Summary& s, Breach::Kind kind) {
  int64_t n = 0;
  for (const Breach& b : s.breaches) n += b.kind == kind;
  return n;
}

TEST_CASE("A server that grants more holders than the limit is caught") {
  LyingServer server;
  Scenario s = ShortScenario({{"only", 1, 0}}, {Workers(3, Api::kV2Increment, {"only"}, 20)}, 0.5);
  Summary summary = RunAndSummarize(s, server.url(), false);
  CHECK(summary.breach_count > 0);
  CHECK(CountKind(summary, Breach::Kind::kOverLimit) > 0);
  CHECK(summary.limits[0].peak_held == 3);
}

TEST_CASE("A release answer that leaves out the limit is caught as an unknown release") {
  LyingServer server;
  Scenario s = ShortScenario({{"only", 1, 0}}, {Workers(1, Api::kV2Increment, {"only"}, 20)}, 0.5);
  Summary summary = RunAndSummarize(s, server.url(), false);
  REQUIRE(summary.acquisitions > 0);
  CHECK(CountKind(summary, Breach::Kind::kUnknownRelease) > 0);
  CHECK(CountKind(summary, Breach::Kind::kOverLimit) == 0);
}

TEST_CASE("A lease the server lost is caught before release when holds are verified") {
  LyingServer server;
  Scenario s = ShortScenario({{"only", 1, 0}}, {Workers(1, Api::kV2Lease, {"only"}, 20)}, 0.5);
  Summary summary = RunAndSummarize(s, server.url(), true);
  REQUIRE(summary.acquisitions > 0);
  CHECK(CountKind(summary, Breach::Kind::kUnknownRelease) > 0);
  REQUIRE_FALSE(summary.breaches.empty());
  CHECK(summary.breaches[0].detail.find("410") != std::string::npos);
}

TEST_CASE("Without verification a lease release proves nothing either way") {
  LyingServer server;
  Scenario s = ShortScenario({{"only", 1, 0}}, {Workers(1, Api::kV2Lease, {"only"}, 20)}, 0.5);
  Summary summary = RunAndSummarize(s, server.url(), false);
  CHECK(summary.breach_count == 0);
  CHECK(summary.acquisitions > 0);
}

TEST_CASE("Limits that decay are exempt from the holder count") {
  LyingServer server;
  Scenario s = ShortScenario({{"only", 1, 5}}, {Workers(3, Api::kV2Increment, {"only"}, 20)}, 0.5);
  Summary summary = RunAndSummarize(s, server.url(), false);
  CHECK(CountKind(summary, Breach::Kind::kOverLimit) == 0);
}

}  // namespace
}  // namespace slotd::contend::test
