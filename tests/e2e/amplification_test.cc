// Amplification (issue 12): small requests that once earned huge answers or
// odd ones. A list of a million bad items is answered with its first 100
// errors (a README deviation: Prefect echoes every one), alone or eight at
// once; a Retry-After stays finite for a decay near zero; and a path with a
// decoded newline is refused for its credentials before routing.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

// The number of errors a 422 lists (api/json/validation_error.h).
constexpr size_t kReportedErrors = 100;
// The issue's payloads: 1 MiB of names or ids, under this body limit.
const ServerOptions kTwoMiBBodies = WithArgs({"--max-body-bytes", "2097152"});

// A JSON array of `count` copies of `item`.
std::string Repeated(std::string_view item, size_t count) {
  std::string list = "[";
  list.reserve(count * (item.size() + 1) + 2);
  for (size_t i = 0; i < count; ++i) {
    if (i) list += ',';
    list += item;
  }
  return list + "]";
}

// 524,288 integers where names must be strings: 1 MiB of names.
std::string IntegerNames() { return R"({"slots":1,"names":)" + Repeated("0", 524288) + "}"; }
// 262,144 ids that are not UUIDs: 1 MiB of slot_override.
std::string BadOverrides() { return R"({"slot_override":)" + Repeated(R"("x")", 262144) + "}"; }

// Checks a 422 that lists the first kReportedErrors errors, the first at
// `first_loc`, and the body echoed once: not an answer per item.
void CheckCappedErrors(const httplib::Result& res, const std::string& body,
                       const std::string& first_loc) {
  RequireStatus(res, 422);
  Json doc(res->body);
  REQUIRE(doc.valid());
  simdjson::dom::array errors;
  REQUIRE(doc.root()["exception_detail"].get_array().get(errors) == simdjson::SUCCESS);
  CHECK(errors.size() == kReportedErrors);
  CHECK(Canonical(errors.at(0)["loc"].value()) == first_loc);
  CHECK(res->body.size() < body.size() + 64 * 1024);
}

TEST_CASE("an increment naming 524k integers answers 422 with the first 100 errors",
          "[amplification]") {
  SlotdProcess server(kTwoMiBBodies);
  auto cli = server.client();
  const std::string body = IntegerNames();
  CheckCappedErrors(PostJson(*cli, "/api/v2/concurrency_limits/increment", body), body,
                    R"(["body","names",0])");
  const std::string names = Repeated("0", 524288);
  CheckCappedErrors(V1Increment(*cli, names, NewUuid()), names, R"(["body","names",0])");
}

TEST_CASE("a reset with 262k bad slot_override ids answers 422 with the first 100 errors",
          "[amplification]") {
  SlotdProcess server(kTwoMiBBodies);
  auto cli = server.client();
  CreateTagLimit(*cli, "t", 1);
  const std::string body = BadOverrides();
  CheckCappedErrors(PostJson(*cli, "/api/concurrency_limits/tag/t/reset", body), body,
                    R"(["body","slot_override",0])");
  CHECK(TagHolders(*cli, "t").empty());
}

TEST_CASE("eight such requests at once are answered with bounded memory",
          "[amplification][memory]") {
  SlotdProcess server(kTwoMiBBodies);
  auto cli = server.client();
  CreateTagLimit(*cli, "t", 1);
  for (int i = 0; i < 20; ++i) RequireStatus(cli->Get("/api/health"), 200);
  const std::string names = IntegerNames();
  const std::string overrides = BadOverrides();
  const long peak_before_kb = StatusKilobytes(server.pid(), "VmHWM:");
  std::vector<int> statuses(8);
  std::vector<size_t> sizes(8);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      auto own = server.client();
      own->set_read_timeout(60, 0);
      auto res = i % 2 ? PostJson(*own, "/api/concurrency_limits/tag/t/reset", overrides)
                       : PostJson(*own, "/api/v2/concurrency_limits/increment", names);
      statuses[i] = res ? res->status : 0;
      sizes[i] = res ? res->body.size() : 0;
    });
  }
  for (std::thread& client : clients) client.join();
  const long growth_kb = StatusKilobytes(server.pid(), "VmHWM:") - peak_before_kb;
  WARN("eight 1 MiB requests of bad items at once: peak RSS grew by " << growth_kb << " kB");
  CHECK(statuses == std::vector<int>(8, 422));
  for (size_t size : sizes) CHECK(size < overrides.size() + 64 * 1024);
  // Each request holds its 1 MiB body, its parse and a 1 MiB echo: about
  // 16 MiB at most. Echoing every item's error took 2.2 GB.
  CHECK(growth_kb < (kSanitized ? 512 : 128) * 1024);
}

TEST_CASE("Retry-After stays finite for a decay near zero in concurrency mode and with a lease",
          "[amplification]") {
  // numeric_edges_test covers rate_limit mode on the plain increment.
  SlotdProcess server;
  auto cli = server.client();
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/",
                         R"({"name":"glacial","limit":1,"slot_decay_per_second":1e-310})"),
                201);
  RequireStatus(
      PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["glacial"]})"),
      200);
  for (const char* path : {"/api/v2/concurrency_limits/increment",
                           "/api/v2/concurrency_limits/increment-with-lease"}) {
    INFO(path);
    auto res = PostJson(*cli, path, R"({"slots":1,"names":["glacial"],"mode":"concurrency"})");
    CheckDetail(res, 423, "Locked");
    CheckRetryAfterAround(res, 1e9, 1e9);
  }
}

TEST_CASE("a path with an encoded newline and a body answers 401 without credentials",
          "[amplification][auth]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  const std::string body = R"({"names":["a"],"slots":1})";
  for (const char* target :
       {"/api%0A/health", "/api/health%0A", "/api/v2/%0D%0Aconcurrency_limits/",
        "/api/v2/concurrency_limits/x%0Ay"}) {
    INFO(target);
    std::optional<RawResponse> refused =
        RawRequest(server.port(), "POST", target, {"Content-Type: application/json"}, body);
    REQUIRE(refused.has_value());
    CHECK(refused->status == 401);
    CHECK(Canonical(refused->body) == R"({"exception_message":"Unauthorized"})");
  }
  for (const char* target :
       {"/api%0A/health", "/api/health%0A", "/api/v2/%0D%0Aconcurrency_limits/"}) {
    INFO(target);
    std::optional<RawResponse> routed = RawRequest(
        server.port(), "POST", target,
        {"Content-Type: application/json", "Authorization: Basic YWRtaW46cGFzcw=="}, body);
    REQUIRE(routed.has_value());
    CHECK(routed->status == 404);
    CHECK(Canonical(routed->body) == R"({"detail":"Not Found"})");
  }
}

}  // namespace
}  // namespace slotd::e2e
