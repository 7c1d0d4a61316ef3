// GET /metrics, GET /api/slotd/limits/{name}/holders and --log-format json
// on a real slotd: the figures after a scripted workload, the cap on limits
// shown one by one, authentication, and hostile names.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

constexpr const char* kIncrement = "/api/v2/concurrency_limits/increment";
constexpr const char* kIncrementWithLease = "/api/v2/concurrency_limits/increment-with-lease";
constexpr const char* kDecrement = "/api/v2/concurrency_limits/decrement";
constexpr const char* kFlowRun = "0b6f8a3e-8c1d-4f7a-9e2b-5d4c3b2a1f00";

// Each sample line of an exposition, by what precedes its value (the name
// and labels exactly as slotd prints them).
using Samples = std::map<std::string, double>;

Samples Scrape(httplib::Client& cli) {
  auto res = cli.Get("/metrics");
  RequireStatus(res, 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  Samples samples;
  std::istringstream lines(res->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double Sample(const Samples& samples, const std::string& key) {
  INFO(key);
  const auto it = samples.find(key);
  REQUIRE(it != samples.end());
  return it->second;
}

std::string Limit(const std::string& family, const std::string& name, bool tag = false) {
  return family + "{name=\"" + name + "\",tag=\"" + (tag ? "true" : "false") + "\"}";
}

std::string Requests(const std::string& route, const std::string& status_class) {
  return "slotd_http_request_duration_seconds_count{route=\"" + route + "\",status_class=\"" +
         status_class + "\"}";
}

std::string LeaseIdOf(const httplib::Result& res) {
  RequireStatus(res, 200);
  return Unquoted(Field(res->body, "lease_id"));
}

TEST_CASE("after a scripted workload /metrics shows what the engine holds and has done",
          "[metrics]") {
  SlotdProcess server;
  auto cli = server.client();
  // A decay this slow keeps the levels where the workload left them.
  CreateV2Limit(*cli, R"({"name":"db","limit":3,"slot_decay_per_second":1e-06})");
  CreateV2Limit(*cli, R"({"name":"web","limit":1,"slot_decay_per_second":1e-06})");
  CreateV2Limit(*cli, R"({"name":"off","limit":5,"active":false})");
  CreateTagLimit(*cli, "t", 2);

  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["db"],"slots":2})"), 200);
  const std::string held = LeaseIdOf(
      PostJson(*cli, kIncrementWithLease,
               std::string(R"({"names":["db"],"slots":1,"holder":{"type":"flow_run","id":")") +
                   kFlowRun + R"("}})"));
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["db"],"slots":1})"), 423);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["web"],"slots":1})"), 200);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["web"],"slots":1})"), 423);
  RequireStatus(PostJson(*cli, kDecrement, R"({"names":["db"],"slots":2})"), 200);
  const std::string released =
      LeaseIdOf(PostJson(*cli, kIncrementWithLease, R"({"names":["db"],"slots":1})"));
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/decrement-with-lease",
                         R"({"lease_id":")" + released + R"("})"),
                204);
  const std::string r1 = NewUuid(), r2 = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["t"])", r1), 200);
  RequireStatus(V1Increment(*cli, R"(["t"])", r2), 200);
  RequireStatus(V1Increment(*cli, R"(["t"])", NewUuid()), 423);
  RequireStatus(V1Decrement(*cli, R"(["t"])", r2), 200);
  // The reset revokes r1's lease and gives the two overrides leases of
  // their own; the delete revokes those.
  RequireStatus(PostJson(*cli, "/api/concurrency_limits/tag/t/reset",
                         R"({"slot_override":[")" + NewUuid() + R"(",")" + NewUuid() + R"("]})"),
                200);
  RequireStatus(cli->Delete("/api/concurrency_limits/tag/t"), 200);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":"db","slots":"x"})"), 422);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["db"],"slots":5})"), 422);

  const Samples samples = Scrape(*cli);
  CHECK(Sample(samples, Limit("slotd_limit_limit", "db")) == 3);
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "db")) == ActiveSlots(*cli, "db"));
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "db")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_denied_slots", "db")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_holders", "db")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_active", "db")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "web")) == ActiveSlots(*cli, "web"));
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "web")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_denied_slots", "web")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_holders", "web")) == 0);
  CHECK(Sample(samples, Limit("slotd_limit_limit", "off")) == 5);
  CHECK(Sample(samples, Limit("slotd_limit_active", "off")) == 0);
  CHECK(samples.count(Limit("slotd_limit_limit", "tag:t", true)) == 0);  // deleted

  CHECK(Sample(samples, "slotd_acquisitions_total") == 6);
  CHECK(Sample(samples, "slotd_refusals_total") == 3);
  CHECK(Sample(samples, "slotd_releases_total") == 3);
  CHECK(Sample(samples, "slotd_leases_revoked_total") == 3);
  CHECK(Sample(samples, "slotd_leases_expired_total") == 0);
  CHECK(Sample(samples, "slotd_validation_errors_total") == 2);
  CHECK(Sample(samples, "slotd_limits") == 3);
  CHECK(Sample(samples, "slotd_leases") == 1);
  CHECK(Sample(samples, "slotd_limits_summed{tag=\"false\"}") == 0);

  // Every request so far, by family and class (the scrape counts itself
  // only once answered).
  CHECK(Sample(samples, Requests("v2_limits", "2xx")) == 3);
  CHECK(Sample(samples, Requests("v2_slots", "2xx")) == 6);
  CHECK(Sample(samples, Requests("v2_slots", "4xx")) == 4);
  CHECK(Sample(samples, Requests("v1", "2xx")) == 6);
  CHECK(Sample(samples, Requests("v1", "4xx")) == 1);
  CHECK(samples.count(Requests("metrics", "2xx")) == 0);
  CHECK(Sample(samples,
               "slotd_http_request_duration_seconds_bucket{route=\"v1\",status_class="
               "\"2xx\",le=\"+Inf\"}") == 6);
  // This client's connection, and perhaps one it gave up that the server
  // has not yet seen close.
  CHECK(Sample(samples, "slotd_http_connections_open") >= 1);
  CHECK(Sample(samples, "slotd_http_connections_refused_total") == 0);
  CHECK(Sample(samples, "process_threads") >= 2);
  CHECK(Sample(samples, "process_open_fds") >= 4);
  CHECK(Sample(samples, "process_resident_memory_bytes") > 1e6);
  const double started = Sample(samples, "process_start_time_seconds");
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(started <= now + 1);
  CHECK(started > now - 600);

  CHECK(Sample(Scrape(*cli), Requests("metrics", "2xx")) == 1);

  auto holders = cli->Get("/api/slotd/limits/db/holders");
  RequireStatus(holders, 200);
  Json doc(holders->body);
  REQUIRE(doc.valid());
  CHECK(Keys(doc.root()) == std::vector<std::string>{"holders", "waiting", "waiters"});
  CHECK(Canonical(doc.root()["waiting"].value()) == "0");
  CHECK(Canonical(doc.root()["waiters"].value()) == "[]");
  REQUIRE(doc.root()["holders"].get_array().size() == 1);
  const simdjson::dom::element lease = doc.root()["holders"].at(0).value();
  CHECK(Keys(lease) == std::vector<std::string>{"lease_id", "holder", "slots", "created",
                                                "expiration", "renewals"});
  CHECK(Canonical(lease["lease_id"].value()) == JsonString(held));
  CHECK(Canonical(lease["holder"].value()) ==
        std::string(R"({"type":"flow_run","id":")") + kFlowRun + R"("})");
  CHECK(Canonical(lease["slots"].value()) == "1");
  CHECK(IsTimestamp(lease["created"].get_string().value()));
  CHECK(IsTimestamp(lease["expiration"].get_string().value()));
  CHECK(Canonical(lease["renewals"].value()) == "0");
  CHECK(Sample(samples, Limit("slotd_limit_waiters", "db")) == 0);
}

// A v2 increment of one slot of `name` that asks to wait up to 10 s.
std::string WaitingIncrement(const std::string& path, const std::string& name) {
  const std::string body = R"({"slots":1,"names":[")" + name + R"("]})";
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         "Prefer: wait=10\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_CASE("the holders route counts renewals and lists the requests waiting in line",
          "[metrics][wait]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "db", 1);
  CreateV2Limit(*cli, "other", 5);
  const std::string held =
      LeaseIdOf(PostJson(*cli, kIncrementWithLease, R"({"names":["db"],"slots":1})"));
  const std::string renew = "/api/v2/concurrency_limits/leases/" + held + "/renew";
  CheckNoContent(cli->Post(renew, "", "application/json"));
  CheckNoContent(cli->Post(renew, "", "application/json"));
  RawConnection with_lease(server.port());
  REQUIRE(with_lease.send_all(WaitingIncrement(kIncrementWithLease, "db")));
  RawConnection without(server.port());
  REQUIRE(without.send_all(WaitingIncrement(kIncrement, "db")));
  CHECK_FALSE(without.read_response(std::chrono::milliseconds(300)));  // both wait now

  auto res = cli->Get("/api/slotd/limits/db/holders");
  RequireStatus(res, 200);
  Json doc(res->body);
  REQUIRE(doc.valid());
  CHECK(Canonical(doc.root()["holders"].at(0)["renewals"].value()) == "2");
  CHECK(Canonical(doc.root()["waiting"].value()) == "2");
  simdjson::dom::array waiters = doc.root()["waiters"].get_array().value();
  REQUIRE(waiters.size() == 2);
  std::vector<std::string> modes;
  for (simdjson::dom::element waiter : waiters) {
    CHECK(Keys(waiter) == std::vector<std::string>{"slots", "since", "mode", "limits"});
    CHECK(Canonical(waiter["slots"].value()) == "1");
    CHECK(IsTimestamp(waiter["since"].get_string().value()));
    CHECK(Canonical(waiter["limits"].value()) == R"(["db"])");
    modes.emplace_back(std::string_view(waiter["mode"].get_string().value()));
  }
  CHECK(modes == std::vector<std::string>{"lease", "no_lease"});  // arrival order
  // Nobody waits for the other limit.
  auto other = cli->Get("/api/slotd/limits/other/holders");
  RequireStatus(other, 200);
  CHECK(Canonical(other->body).find(R"("waiting":0,"waiters":[])") != std::string::npos);

  Samples samples = Scrape(*cli);
  CHECK(Sample(samples, Limit("slotd_limit_waiters", "db")) == 2);
  CHECK(Sample(samples, Limit("slotd_limit_waiters", "other")) == 0);

  // Released: the first in line gets the slot and leaves the line.
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/decrement-with-lease",
                         R"({"lease_id":")" + held + R"("})"),
                204);
  auto granted = with_lease.read_response(std::chrono::milliseconds(5000));
  REQUIRE(granted);
  CHECK(granted->status == 200);
  CHECK(Sample(Scrape(*cli), Limit("slotd_limit_waiters", "db")) == 1);
}

TEST_CASE("the waiters gauge of limits past --metrics-max-limits is summed", "[metrics][wait]") {
  SlotdProcess server(WithArgs({"--metrics-max-limits", "1"}));
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 5);
  for (const char* full : {"b", "c"}) {
    CreateV2Limit(*cli, full, 1);
    RequireStatus(
        PostJson(*cli, kIncrement, std::string(R"({"names":[")") + full + R"("],"slots":1})"), 200);
  }
  RawConnection first(server.port());
  REQUIRE(first.send_all(WaitingIncrement(kIncrement, "b")));
  RawConnection second(server.port());
  REQUIRE(second.send_all(WaitingIncrement(kIncrement, "c")));
  CHECK_FALSE(second.read_response(std::chrono::milliseconds(300)));
  const Samples samples = Scrape(*cli);
  CHECK(Sample(samples, Limit("slotd_limit_waiters", "a")) == 0);
  CHECK(samples.count(Limit("slotd_limit_waiters", "b")) == 0);
  CHECK(Sample(samples, Limit("slotd_limit_waiters", "")) == 2);
}

TEST_CASE(
    "the option --metrics-max-limits shows that many limits by name and sums the rest per kind",
    "[metrics]") {
  SlotdProcess server(WithArgs({"--metrics-max-limits", "3"}));
  auto cli = server.client();
  for (int i = 0; i < 10; ++i) CreateV2Limit(*cli, "n0" + std::to_string(i), i + 1);
  CreateTagLimit(*cli, "x", 4);
  CreateTagLimit(*cli, "y", 5);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["n01","n05","n09","tag:y"],"slots":2})"),
                200);
  const Samples samples = Scrape(*cli);
  int named = 0;
  for (const auto& [key, value] : samples) {
    if (key.starts_with("slotd_limit_limit{name=\"") &&
        !key.starts_with("slotd_limit_limit{name=\"\"")) {
      ++named;
    }
  }
  CHECK(named == 3);
  CHECK(Sample(samples, Limit("slotd_limit_limit", "n00")) == 1);
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "n01")) == 2);
  CHECK(Sample(samples, Limit("slotd_limit_limit", "n02")) == 3);
  CHECK(samples.count(Limit("slotd_limit_limit", "n03")) == 0);
  CHECK(Sample(samples, Limit("slotd_limit_limit", "")) == 4 + 5 + 6 + 7 + 8 + 9 + 10);
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "")) == 4);
  CHECK(Sample(samples, Limit("slotd_limit_limit", "", true)) == 9);
  CHECK(Sample(samples, Limit("slotd_limit_active_slots", "", true)) == 2);
  CHECK(Sample(samples, Limit("slotd_limit_active", "")) == 7);
  CHECK(Sample(samples, "slotd_limits_summed{tag=\"false\"}") == 7);
  CHECK(Sample(samples, "slotd_limits_summed{tag=\"true\"}") == 2);
  CHECK(Sample(samples, "slotd_limits") == 12);
}

TEST_CASE("with an auth string /metrics and the holders route need credentials", "[metrics]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  auto cli = server.client();
  CheckJson(cli->Get("/metrics"), 401, R"({"exception_message":"Unauthorized"})");
  CheckJson(cli->Get("/api/slotd/limits/x/holders"), 401,
            R"({"exception_message":"Unauthorized"})");
  RequireStatus(cli->Get("/api/health"), 200);
  cli->set_basic_auth("admin", "pass");
  const Samples samples = Scrape(*cli);
  // The two refusals were answered by the transport.
  CHECK(Sample(samples, Requests("transport", "4xx")) == 2);
  CheckDetail(cli->Get("/api/slotd/limits/x/holders"), 404, "Concurrency Limit not found");
}

TEST_CASE("hostile names in the holders path are answered as a v2 read answers them",
          "[metrics][hostile]") {
  SlotdProcess server(WithArgs({"--max-name-bytes", "64"}));
  auto cli = server.client();
  CreateV2Limit(*cli, std::string(64, 'k'), 1);
  for (const std::string& name :
       {std::string(64, 'k'), std::string(65, 'k'), std::string(5000, 'q'),
        std::string(100000, 'q'), std::string("a%2Fb"), std::string("%FF%FE"), std::string("%00"),
        std::string("..%2F..%2Fetc"), std::string("%E2%9C%93")}) {
    INFO("name of " << name.size() << " bytes: " << name.substr(0, 20));
    const auto raw_read = RawRequest(server.port(), "GET", "/api/v2/concurrency_limits/" + name);
    const auto raw_holders =
        RawRequest(server.port(), "GET", "/api/slotd/limits/" + name + "/holders");
    REQUIRE(raw_read);
    REQUIRE(raw_holders);
    CHECK(raw_holders->status == raw_read->status);
    if (raw_read->status != 200) CHECK(raw_holders->body == raw_read->body);
  }
  RequireStatus(cli->Get("/api/health"), 200);
}

TEST_CASE("connections refused over --max-connections are counted", "[metrics]") {
  SlotdProcess server(WithArgs({"--max-connections", "1"}));
  {
    RawConnection holding(server.port());
    REQUIRE(holding.connected());
    REQUIRE(holding.send_all("GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(holding.read_response(std::chrono::seconds(10)));
    const auto refused = RawRequest(server.port(), "GET", "/api/health");
    REQUIRE(refused);
    CHECK(refused->status == 503);
  }
  // The held connection's place comes back once the server sees it close.
  std::optional<RawResponse> scrape;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    scrape = RawRequest(server.port(), "GET", "/metrics");
    if (scrape && scrape->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(scrape);
  REQUIRE(scrape->status == 200);
  CHECK(scrape->body.find("\nslotd_http_connections_open 1\n") != std::string::npos);
  CHECK(scrape->body.find("\nslotd_http_connections_refused_total 0\n") == std::string::npos);
}

TEST_CASE("the option --log-format json writes each access-log line as one JSON object",
          "[metrics]") {
  ServerOptions options = WithArgs({"--log-format", "json"});
  options.quiet = false;
  SlotdProcess server(options);
  auto cli = server.client();
  RequireStatus(cli->Get("/api/health"), 200);
  const auto odd = RawRequest(server.port(), "GET", "/api/x\\y\"z");
  REQUIRE(odd);
  REQUIRE(server.stop().clean());
  std::istringstream lines(server.stderr_text());
  std::string line;
  std::vector<std::string> seen;
  while (std::getline(lines, line)) {
    INFO(line);
    Json doc(line);
    REQUIRE(doc.valid());
    CHECK(Keys(doc.root()) == std::vector<std::string>{"method", "target", "status", "micros"});
    CHECK(doc.root()["micros"].is_int64());
    seen.push_back(Canonical(doc.root()["method"].value()) + " " +
                   Canonical(doc.root()["target"].value()) + " " +
                   Canonical(doc.root()["status"].value()));
  }
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == R"("GET" "/api/health" 200)");
  CHECK(seen[1] == "\"GET\" \"/api/x\\\\y\\\"z\" " + std::to_string(odd->status));
}

}  // namespace
}  // namespace slotd::e2e
