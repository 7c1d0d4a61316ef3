// v2 slot acquisition without a lease (/increment), release (/decrement),
// denial and the Retry-After a denied client is given.
#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

const std::string kIncrement = "/api/v2/concurrency_limits/increment";
const std::string kDecrement = "/api/v2/concurrency_limits/decrement";

std::string Slots(int slots, const std::string& names_json, const std::string& extra = "") {
  return "{\"slots\":" + std::to_string(slots) + ",\"names\":" + names_json + extra + "}";
}

TEST_CASE("v2 increment takes slots and lists every existing named limit", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string a = CreateV2Limit(*cli, "a", 3);
  std::string b = CreateV2Limit(*cli, R"({"name":"b","limit":5,"active":false})");
  auto res = PostJson(*cli, kIncrement, Slots(2, R"(["a","b","nope"])"));
  RequireStatus(res, 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(SortedItems(res->body) == Sorted({Minimal(a, "a", 3), Minimal(b, "b", 5)}));
  Json doc(res->body);
  for (auto item : doc.root().get_array()) CHECK(Keys(item) == kMinimalKeys);
  CHECK(ActiveSlots(*cli, "a") == 2);
  CHECK(ActiveSlots(*cli, "b") == 0);

  auto unknown = PostJson(*cli, kIncrement, Slots(1, R"(["nope"])"));
  RequireStatus(unknown, 200);
  CHECK(Canonical(unknown->body) == "[]");
}

TEST_CASE("v2 increment on a full limit answers 423 Locked and changes nothing", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "full", 2);
  CreateV2Limit(*cli, "free", 2);
  RequireStatus(PostJson(*cli, kIncrement, Slots(2, R"(["full"])")), 200);
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["full"])"));
  CheckDetail(res, 423, "Locked");
  RetryAfterSeconds(res);
  CHECK(ActiveSlots(*cli, "full") == 2);

  auto both = PostJson(*cli, kIncrement, Slots(1, R"(["free","full"])"));
  CheckDetail(both, 423, "Locked");
  RetryAfterSeconds(both);
  CHECK(ActiveSlots(*cli, "free") == 0);
  CHECK(ActiveSlots(*cli, "full") == 2);

  // Enough room on both: all or nothing the other way.
  RequireStatus(PostJson(*cli, kIncrement, Slots(2, R"(["free"])")), 200);
  CHECK(ActiveSlots(*cli, "free") == 2);
}

TEST_CASE("v2 Retry-After is drawn around the average occupancy", "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "one", 1);
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["one"])")), 200);
  // blocking = (1 slot + 0 denied) / limit 1; mean = min(2.0 * 1, 30) = 2 s.
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["one"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 2.0, 2.0);
}

TEST_CASE("v2 denials raise the next Retry-After", "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "one", 1);
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["one"])")), 200);
  for (int i = 0; i < 5; ++i)
    RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["one"])")), 423);
  // Five denials decaying at 1/2.0 per second leave 4 to 5: mean = 2.0 * (1 + denied).
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["one"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 10.0, 12.0);
}

TEST_CASE("v2 create denied_slots counts toward Retry-After", "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, R"({"name":"d","limit":1,"denied_slots":10})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["d"])")), 200);
  // denied 9..10 after decay: mean = min(2.0 * (1 + denied), 30) in [20, 22].
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["d"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 20.0, 22.0);
}

TEST_CASE("v2 Retry-After is capped by --max-slot-wait-seconds", "[v2][slots][retry]") {
  SlotdProcess server(WithArgs({"--max-slot-wait-seconds", "5"}));
  auto cli = server.client();
  CreateV2Limit(*cli, R"({"name":"d","limit":1,"denied_slots":10})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["d"])")), 200);
  // mean = min(min(2.0, 5) * 11, 5) = 5.
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["d"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 5.0, 5.0);
}

TEST_CASE("v2 Retry-After on a decaying limit is blocking slots over the decay rate",
          "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, R"({"name":"r","limit":1,"slot_decay_per_second":0.25})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["r"])")), 200);
  // The slot decays for 4 s; blocking = 1 slot + 0 denied; mean = 1 / 0.25 = 4 s.
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["r"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 4.0, 4.0);
}

TEST_CASE("v2 increment of more slots than an active limit answers 422", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  std::string off = CreateV2Limit(*cli, R"({"name":"off","limit":1,"active":false})");
  CheckDetail(PostJson(*cli, kIncrement, Slots(3, R"(["a"])")), 422,
              "Slots requested is greater than the limit");
  CheckDetail(PostJson(*cli, kIncrement, Slots(3, R"(["off","a"])")), 422,
              "Slots requested is greater than the limit");
  CHECK(ActiveSlots(*cli, "a") == 0);
  // Only active limits count.
  auto inactive = PostJson(*cli, kIncrement, Slots(3, R"(["off"])"));
  RequireStatus(inactive, 200);
  CHECK(Canonical(inactive->body) == "[" + Minimal(off, "off", 1) + "]");
  CHECK(ActiveSlots(*cli, "off") == 0);
}

TEST_CASE("v2 increment in rate_limit mode needs decay on every active limit", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 5);
  CreateV2Limit(*cli, "b", 5);
  CreateV2Limit(*cli, R"({"name":"r","limit":5,"slot_decay_per_second":1.0})");
  CreateV2Limit(*cli, R"({"name":"off","limit":5,"active":false})");
  const std::string prefix =
      "Only concurrency limits with slot decay can be used for rate limiting. The following "
      "limits do not have a decay configured: ";
  const std::string rate = R"(,"mode":"rate_limit")";
  CheckDetail(PostJson(*cli, kIncrement, Slots(1, R"(["r","a"])", rate)), 422, prefix + "'a'");
  auto two = PostJson(*cli, kIncrement, Slots(1, R"(["a","b","r"])", rate));
  RequireAnswer(two);
  INFO("body: " << two->body);
  CHECK(two->status == 422);
  std::string detail = Unquoted(Field(two->body, "detail"));
  CHECK((detail == prefix + "'a,b'" || detail == prefix + "'b,a'"));
  CHECK(ActiveSlots(*cli, "r") == 0);

  auto ok = PostJson(*cli, kIncrement, Slots(1, R"(["r","off"])", rate));
  RequireStatus(ok, 200);
  CHECK(ActiveSlots(*cli, "r") == 1);
  auto concurrency = PostJson(*cli, kIncrement, Slots(1, R"(["a"])", R"(,"mode":"concurrency")"));
  RequireStatus(concurrency, 200);
  CHECK(ActiveSlots(*cli, "a") == 1);
}

TEST_CASE("v2 increment accepts and ignores create_if_missing", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["new"])", R"(,"create_if_missing":true)"));
  RequireStatus(res, 200);
  CHECK(Canonical(res->body) == "[]");
  CheckDetail(cli->Get("/api/v2/concurrency_limits/new"), 404, "Concurrency Limit not found");
}

TEST_CASE("v2 increment and decrement validate their body", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 5);
  for (const std::string& route : {kIncrement, kDecrement}) {
    for (auto [body, loc] : std::vector<std::pair<std::string, std::string>>{
             {Slots(0, R"(["a"])"), R"(["body","slots"])"},
             {Slots(-1, R"(["a"])"), R"(["body","slots"])"},
             {Slots(1, "[]"), R"(["body","names"])"},
             {R"({"slots":1})", R"(["body","names"])"}}) {
      INFO(route << " " << body);
      CheckValidationError(PostJson(*cli, route, body), loc, body);
    }
  }
  const std::string bad_mode = Slots(1, R"(["a"])", R"(,"mode":"bogus")");
  CheckValidationError(PostJson(*cli, kIncrement, bad_mode), R"(["body","mode"])", bad_mode);
  for (const char* occupancy : {"0", "-1", "\"five\""}) {
    std::string body = Slots(1, R"(["a"])", std::string(R"(,"occupancy_seconds":)") + occupancy);
    INFO(body);
    CheckValidationError(PostJson(*cli, kDecrement, body), R"(["body","occupancy_seconds"])", body);
  }
  CHECK(ActiveSlots(*cli, "a") == 0);
}

TEST_CASE("v2 decrement takes slots off active limits and never below zero", "[v2][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string a = CreateV2Limit(*cli, "a", 5);
  std::string off =
      CreateV2Limit(*cli, R"({"name":"off","limit":5,"active":false,"active_slots":2})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(3, R"(["a"])")), 200);
  auto res = PostJson(*cli, kDecrement, Slots(2, R"(["a","off","nope"])"));
  RequireStatus(res, 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(SortedItems(res->body) == Sorted({Minimal(a, "a", 5), Minimal(off, "off", 5)}));
  CHECK(ActiveSlots(*cli, "a") == 1);
  CHECK(ActiveSlots(*cli, "off") == 2);
  RequireStatus(PostJson(*cli, kDecrement, Slots(5, R"(["a"])")), 200);
  CHECK(ActiveSlots(*cli, "a") == 0);
  auto unknown = PostJson(*cli, kDecrement, Slots(1, R"(["nope"])"));
  RequireStatus(unknown, 200);
  CHECK(Canonical(unknown->body) == "[]");
}

TEST_CASE("v2 decrement with occupancy_seconds updates the occupancy average",
          "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 1);
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["a"])")), 200);
  // avg = 2 + 20 / 2 - 2 / 2 = 11.
  RequireStatus(PostJson(*cli, kDecrement, Slots(1, R"(["a"])", R"(,"occupancy_seconds":20)")),
                200);
  CHECK(ActiveSlots(*cli, "a") == 0);
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["a"])")), 200);
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["a"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 11.0, 11.0);
}

TEST_CASE("v2 Retry-After comes from the named limit with the largest backlog",
          "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "one", 1);
  CreateV2Limit(*cli, "four", 4);
  CreateV2Limit(*cli, R"({"name":"backlog","limit":1,"denied_slots":10})");
  CreateV2Limit(*cli, R"({"name":"decaying","limit":2,"slot_decay_per_second":0.1})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["one"])")), 200);
  RequireStatus(PostJson(*cli, kIncrement, Slots(4, R"(["four"])")), 200);
  RequireStatus(PostJson(*cli, kIncrement, Slots(2, R"(["decaying"])")), 200);

  SECTION("per slot of limit: one (1/1) outweighs four (1/4): mean 2.0 * 1") {
    auto res = PostJson(*cli, kIncrement, Slots(1, R"(["four","one"])"));
    CheckDetail(res, 423, "Locked");
    CheckRetryAfterAround(res, 2.0, 2.0);
  }
  SECTION("a free limit with denials can be the blocking one: (1 + 10) / 1") {
    auto res = PostJson(*cli, kIncrement, Slots(1, R"(["one","backlog"])"));
    CheckDetail(res, 423, "Locked");
    CheckRetryAfterAround(res, 20.0, 22.0);
    CHECK(ActiveSlots(*cli, "backlog") == 0);
  }
  SECTION("a decaying limit weighs slots + denied: 1 > 1/4, mean 1 / 0.1") {
    auto res = PostJson(*cli, kIncrement, Slots(1, R"(["four","decaying"])"));
    CheckDetail(res, 423, "Locked");
    CheckRetryAfterAround(res, 10.0, 10.0);
  }
}

TEST_CASE("v2 Retry-After on a tag limit is capped by --tag-wait-seconds", "[v2][slots][retry]") {
  SlotdProcess server(WithArgs({"--tag-wait-seconds", "3"}));
  auto cli = server.client();
  CreateV2Limit(*cli, R"({"name":"tag:t","limit":1,"denied_slots":10})");
  CreateV2Limit(*cli, R"({"name":"plain","limit":1,"denied_slots":10})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["tag:t"])")), 200);
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["plain"])")), 200);
  // tag: mean = min(min(2.0, 3) * 11, 3) = 3; plain: min(2.0 * 11, 30) = 22.
  auto tag = PostJson(*cli, kIncrement, Slots(1, R"(["tag:t"])"));
  CheckDetail(tag, 423, "Locked");
  CheckRetryAfterAround(tag, 3.0, 3.0);
  auto plain = PostJson(*cli, kIncrement, Slots(1, R"(["plain"])"));
  CheckDetail(plain, 423, "Locked");
  CheckRetryAfterAround(plain, 20.0, 22.0);
}

TEST_CASE("v2 decrement with occupancy on a zero limit leaves the average alone",
          "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "z", 0);
  RequireStatus(PostJson(*cli, kDecrement, Slots(1, R"(["z"])", R"(,"occupancy_seconds":50)")),
                200);
  CheckNoContent(PatchJson(*cli, "/api/v2/concurrency_limits/z", R"({"limit":1})"));
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["z"])")), 200);
  auto res = PostJson(*cli, kIncrement, Slots(1, R"(["z"])"));
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 2.0, 2.0);
}

TEST_CASE("v2 slots that decayed away admit new requests", "[v2][slots][decay]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, R"({"name":"r","limit":2,"slot_decay_per_second":1.0})");
  RequireStatus(PostJson(*cli, kIncrement, Slots(2, R"(["r"])")), 200);
  auto filled = std::chrono::steady_clock::now();
  // Level 2 - t, reported rounded up: still 2 for t < 1 s.
  CheckDetail(PostJson(*cli, kIncrement, Slots(1, R"(["r"])")), 423, "Locked");
  std::this_thread::sleep_until(filled + std::chrono::milliseconds(1300));
  // Level below 0.7: reported at most 1, so one more slot fits.
  RequireStatus(PostJson(*cli, kIncrement, Slots(1, R"(["r"])")), 200);
  int64_t active = ActiveSlots(*cli, "r");
  CHECK(active >= 1);
  CHECK(active <= 2);
}

TEST_CASE("v2 Retry-After is jittered so denied clients do not retry in lock-step",
          "[v2][slots][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  constexpr int kLimits = 12;
  std::vector<double> draws;
  for (int i = 0; i < kLimits; ++i) {
    std::string name = "j" + std::to_string(i);
    CreateV2Limit(*cli, name, 1);
    RequireStatus(PostJson(*cli, kIncrement, Slots(1, "[\"" + name + "\"]")), 200);
    // Each limit's first denial has the same mean, 2 s.
    auto res = PostJson(*cli, kIncrement, Slots(1, "[\"" + name + "\"]"));
    CheckDetail(res, 423, "Locked");
    draws.push_back(RetryAfterSeconds(res));
  }
  double lowest = *std::min_element(draws.begin(), draws.end());
  double highest = *std::max_element(draws.begin(), draws.end());
  INFO("draws from " << lowest << " to " << highest);
  CHECK(lowest >= RetryAfterLow(2.0));
  CHECK(highest <= RetryAfterHigh(2.0));
  CHECK(highest - lowest > 0.01);
}

}  // namespace
}  // namespace slotd::e2e
