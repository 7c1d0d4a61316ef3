// Counts at the edges of a JSON integer the server accepts. A server may bound
// these fields with a 422; a value it accepts must read back exactly and
// never make the slot arithmetic wrap.
#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

const std::string kMax = "9223372036854775807";  // 2^63 - 1
const std::string kOdd53 = "9007199254740993";   // 2^53 + 1: not a double

// Creates a v2 limit; returns false when the server bounds the values (422).
bool CreateOrBounded(httplib::Client& cli, const std::string& body, std::string* answer) {
  auto res = PostJson(cli, "/api/v2/concurrency_limits/", body);
  RequireAnswer(res);
  INFO("create " << body << ": " << res->status << " " << res->body);
  if (res->status == 422) {
    WARN("the server bounds these values: " << res->body);
    return false;
  }
  REQUIRE(res->status == 201);
  *answer = res->body;
  return true;
}

TEST_CASE("large accepted counts read back exactly", "[numbers]") {
  SlotdProcess server;
  auto cli = server.client();
  for (const std::string& value : {kOdd53, kMax}) {
    std::string name = "n" + value;
    std::string created;
    std::string body = "{\"name\":\"" + name + "\",\"limit\":" + value +
                       ",\"active_slots\":" + value + ",\"denied_slots\":" + value + "}";
    if (!CreateOrBounded(*cli, body, &created)) continue;
    INFO("created: " << created);
    CHECK(Field(created, "limit") == value);
    CHECK(Field(created, "active_slots") == value);
    CHECK(Field(created, "denied_slots") == value);
    auto read = cli->Get("/api/v2/concurrency_limits/" + name);
    RequireStatus(read, 200);
    CHECK(Field(read->body, "active_slots") == value);
  }
}

TEST_CASE("an increment past the int64 maximum is denied", "[numbers]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string created;
  if (!CreateOrBounded(*cli, "{\"name\":\"big\",\"limit\":" + kMax + "}", &created)) return;
  std::string all = "{\"slots\":" + kMax + ",\"names\":[\"big\"]}";
  auto fill = PostJson(*cli, "/api/v2/concurrency_limits/increment", all);
  RequireAnswer(fill);
  if (fill->status == 422) return;  // slots bounded too
  RequireStatus(fill, 200);
  CheckDetail(
      PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["big"]})"), 423,
      "Locked");
  CheckDetail(PostJson(*cli, "/api/v2/concurrency_limits/increment", all), 423, "Locked");
  auto read = cli->Get("/api/v2/concurrency_limits/big");
  RequireStatus(read, 200);
  CHECK(Field(read->body, "active_slots") == kMax);
}

TEST_CASE("a v1 increment on a tag limit holding the int64 maximum is denied", "[numbers]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string created;
  if (!CreateOrBounded(
          *cli, "{\"name\":\"tag:big\",\"limit\":" + kMax + ",\"active_slots\":" + kMax + "}",
          &created)) {
    return;
  }
  auto res = V1Increment(*cli, R"(["big"])", NewUuid());
  CheckDetail(res, 423, "Concurrency limit for the big tag has been reached");
  CHECK(TagHolders(*cli, "big").empty());
  auto read = cli->Get("/api/v2/concurrency_limits/tag:big");
  RequireStatus(read, 200);
  CHECK(Field(read->body, "active_slots") == kMax);
}

TEST_CASE("Retry-After stays near the maximum wait with a huge denied_slots", "[numbers]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string created;
  if (!CreateOrBounded(*cli, "{\"name\":\"d\",\"limit\":1,\"denied_slots\":" + kMax + "}",
                       &created)) {
    return;
  }
  RequireStatus(
      PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["d"]})"), 200);
  // mean = min(2.0 * (1 + denied) / 1, max wait 30) = 30, for every denial.
  for (int i = 0; i < 2; ++i) {
    auto res =
        PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["d"]})");
    CheckDetail(res, 423, "Locked");
    CheckRetryAfterAround(res, 30.0, 30.0);
  }
}

TEST_CASE("Retry-After stays a finite number of seconds for a decay rate near zero", "[numbers]") {
  SlotdProcess server;
  auto cli = server.client();
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/",
                         R"({"name":"glacial","limit":1,"slot_decay_per_second":1e-310})"),
                201);
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/increment",
                         R"({"slots":1,"names":["glacial"],"mode":"rate_limit"})"),
                200);
  auto res = PostJson(*cli, "/api/v2/concurrency_limits/increment",
                      R"({"slots":1,"names":["glacial"],"mode":"rate_limit"})");
  CheckDetail(res, 423, "Locked");
  // backlog / 1e-310 overflows; the wait is capped at 1e9 s, then jittered.
  CheckRetryAfterAround(res, 1e9, 1e9);
}

}  // namespace
}  // namespace slotd::e2e
