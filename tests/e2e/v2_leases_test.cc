// v2 leases: increment-with-lease, decrement-with-lease and renew.
#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

const std::string kAcquire = "/api/v2/concurrency_limits/increment-with-lease";
const std::string kRelease = "/api/v2/concurrency_limits/decrement-with-lease";
constexpr const char* kLeaseGone = "Lease not found - it may have expired or been revoked";

std::string Renew(const std::string& lease_id) {
  return "/api/v2/concurrency_limits/leases/" + lease_id + "/renew";
}

std::string ReleaseBody(const std::string& lease_id) {
  return "{\"lease_id\":\"" + lease_id + "\"}";
}

// Acquires and returns the lease id; REQUIREs a 200.
std::string Acquire(httplib::Client& cli, const std::string& body) {
  auto res = PostJson(cli, kAcquire, body);
  RequireStatus(res, 200);
  return Unquoted(Field(res->body, "lease_id"));
}

TEST_CASE("increment-with-lease answers a lease id and every existing named limit",
          "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string a = CreateV2Limit(*cli, "a", 2);
  std::string b = CreateV2Limit(*cli, R"({"name":"b","limit":5,"active":false})");
  auto res = PostJson(*cli, kAcquire, R"({"slots":1,"names":["a","b","nope"]})");
  RequireStatus(res, 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(Keys(Json(res->body).root()) == std::vector<std::string>{"lease_id", "limits"});
  CHECK(IsUuid4(Unquoted(Field(res->body, "lease_id"))));
  CHECK(SortedItems(Field(res->body, "limits")) ==
        Sorted({Minimal(a, "a", 2), Minimal(b, "b", 5)}));
  CHECK(ActiveSlots(*cli, "a") == 1);
  CHECK(ActiveSlots(*cli, "b") == 0);
}

TEST_CASE("increment-with-lease never echoes the holder", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string a = CreateV2Limit(*cli, "a", 5);
  for (const char* type : {"task_run", "flow_run", "deployment"}) {
    std::string holder = NewUuid();
    auto res = PostJson(*cli, kAcquire,
                        std::string(R"({"slots":1,"names":["a"],"holder":{"type":")") + type +
                            "\",\"id\":\"" + holder + "\"}}");
    RequireStatus(res, 200);
    CHECK(Keys(Json(res->body).root()) == std::vector<std::string>{"lease_id", "limits"});
    CHECK(res->body.find(holder) == std::string::npos);
    CHECK(Field(res->body, "limits") == "[" + Minimal(a, "a", 5) + "]");
  }
  CHECK(ActiveSlots(*cli, "a") == 3);
}

TEST_CASE("a task_run lease holder shows in the v1 active_slots of a tag limit", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "t", 5);
  std::string task_run = NewUuid();
  Acquire(*cli,
          R"({"slots":1,"names":["tag:t"],"holder":{"type":"task_run","id":")" + task_run + "\"}}");
  Acquire(*cli, R"({"slots":1,"names":["tag:t"],"holder":{"type":"flow_run","id":")" + NewUuid() +
                    "\"}}");
  Acquire(*cli, R"({"slots":1,"names":["tag:t"]})");
  CHECK(TagHolders(*cli, "t") == std::vector<std::string>{task_run});
  CHECK(ActiveSlots(*cli, "tag:t") == 3);

  // The v1 decrement of that task run releases its lease.
  RequireStatus(V1Decrement(*cli, R"(["t"])", task_run), 200);
  CHECK(TagHolders(*cli, "t").empty());
  CHECK(ActiveSlots(*cli, "tag:t") == 2);
}

TEST_CASE("increment-with-lease validates the holder", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 5);
  std::string id = NewUuid();
  for (auto [holder, loc] : std::vector<std::pair<std::string, std::string>>{
           {R"({"type":"bogus","id":")" + id + "\"}", R"(["body","holder","type"])"},
           {R"({"type":"task_run","id":"nope"})", R"(["body","holder","id"])"},
           {R"({"type":"task_run"})", R"(["body","holder","id"])"},
           {R"({"id":")" + id + "\"}", R"(["body","holder","type"])"},
           {R"({"type":"task_run","id":")" + id + R"(","extra":1})",
            R"(["body","holder","extra"])"},
           {R"("task_run")", R"(["body","holder"])"}}) {
    std::string body = R"({"slots":1,"names":["a"],"holder":)" + holder + "}";
    INFO(body);
    CheckValidationError(PostJson(*cli, kAcquire, body), loc, body);
  }
  CHECK(ActiveSlots(*cli, "a") == 0);
}

TEST_CASE("increment-with-lease takes a lease_duration from 60 to 86400 seconds", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 10);
  for (const char* duration : {"59", "59.9", "86400.5", "86401", "0", "-60", "\"long\""}) {
    std::string body =
        std::string(R"({"slots":1,"names":["a"],"lease_duration":)") + duration + "}";
    INFO(body);
    CheckValidationError(PostJson(*cli, kAcquire, body), R"(["body","lease_duration"])", body);
  }
  CHECK(ActiveSlots(*cli, "a") == 0);
  for (const char* duration : {"60", "60.5", "300", "86400"}) {
    INFO("lease_duration " << duration);
    Acquire(*cli, std::string(R"({"slots":1,"names":["a"],"lease_duration":)") + duration + "}");
  }
  CHECK(ActiveSlots(*cli, "a") == 4);
}

TEST_CASE("increment-with-lease with no existing limit answers a lease holding nothing",
          "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = PostJson(*cli, kAcquire, R"({"slots":1,"names":["nope"]})");
  RequireStatus(res, 200);
  std::string lease = Unquoted(Field(res->body, "lease_id"));
  CHECK(IsUuid4(lease));
  CHECK(Field(res->body, "limits") == "[]");
  CheckNoContent(cli->Post(Renew(lease), "", "application/json"));
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CheckDetail(cli->Post(Renew(lease), "", "application/json"), 410, kLeaseGone);
}

TEST_CASE("increment-with-lease on a full limit answers 423 Locked and takes nothing",
          "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 1);
  CreateV2Limit(*cli, "b", 1);
  Acquire(*cli, R"({"slots":1,"names":["a"]})");
  auto res = PostJson(*cli, kAcquire, R"({"slots":1,"names":["b","a"]})");
  CheckDetail(res, 423, "Locked");
  RetryAfterSeconds(res);
  CHECK(ActiveSlots(*cli, "a") == 1);
  CHECK(ActiveSlots(*cli, "b") == 0);
}

TEST_CASE("increment-with-lease answers the 422s of increment", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  CheckDetail(PostJson(*cli, kAcquire, R"({"slots":3,"names":["a"]})"), 422,
              "Slots requested is greater than the limit");
  CheckDetail(PostJson(*cli, kAcquire, R"({"slots":1,"names":["a"],"mode":"rate_limit"})"), 422,
              "Only concurrency limits with slot decay can be used for rate limiting. The "
              "following limits do not have a decay configured: 'a'");
  CheckValidationError(PostJson(*cli, kAcquire, R"({"slots":0,"names":["a"]})"),
                       R"(["body","slots"])", R"({"slots":0,"names":["a"]})");
  CHECK(ActiveSlots(*cli, "a") == 0);
}

TEST_CASE("decrement-with-lease releases the lease and answers 204 even when unknown",
          "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 4);
  CreateV2Limit(*cli, "b", 4);
  std::string lease = Acquire(*cli, R"({"slots":2,"names":["a","b"]})");
  CHECK(ActiveSlots(*cli, "a") == 2);
  CHECK(ActiveSlots(*cli, "b") == 2);
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CHECK(ActiveSlots(*cli, "a") == 0);
  CHECK(ActiveSlots(*cli, "b") == 0);
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(NewUuid())));
  CHECK(ActiveSlots(*cli, "a") == 0);
}

TEST_CASE("decrement-with-lease updates the occupancy average", "[v2][leases][retry]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 1);
  // Three short leases (occupancy clamped up to 0.1 s): avg 2 -> 1.05 -> 0.575 -> 0.34.
  for (int i = 0; i < 3; ++i) {
    std::string lease = Acquire(*cli, R"({"slots":1,"names":["a"]})");
    CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  }
  Acquire(*cli, R"({"slots":1,"names":["a"]})");
  auto res = PostJson(*cli, kAcquire, R"({"slots":1,"names":["a"]})");
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 0.3375, 0.6);  // slack for slow (sanitizer) builds
}

TEST_CASE("renew answers 204 and keeps the lease", "[v2][leases][renew]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  std::string lease = Acquire(*cli, R"({"slots":1,"names":["a"],"lease_duration":60})");
  CheckNoContent(cli->Post(Renew(lease), "", "application/json"));
  CheckNoContent(PostJson(*cli, Renew(lease), R"({"lease_duration":120})"));
  CheckNoContent(PostJson(*cli, Renew(lease), "{}"));
  CHECK(ActiveSlots(*cli, "a") == 1);
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CHECK(ActiveSlots(*cli, "a") == 0);
}

TEST_CASE("renew of an unknown or released lease answers 410", "[v2][leases][renew]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  CheckDetail(cli->Post(Renew(NewUuid()), "", "application/json"), 410, kLeaseGone);
  std::string lease = Acquire(*cli, R"({"slots":1,"names":["a"]})");
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CheckDetail(cli->Post(Renew(lease), "", "application/json"), 410, kLeaseGone);
}

TEST_CASE("renew with a non-UUID lease id answers 422 at path lease_id", "[v2][leases][renew]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckValidationError(cli->Post(Renew("not-a-uuid"), "", "application/json"),
                       R"(["path","lease_id"])", "null");
}

TEST_CASE("renew validates lease_duration", "[v2][leases][renew]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  std::string lease = Acquire(*cli, R"({"slots":1,"names":["a"]})");
  for (const char* body : {R"({"lease_duration":59})", R"({"lease_duration":86401})",
                           R"({"lease_duration":"two minutes"})"}) {
    INFO(body);
    CheckValidationError(PostJson(*cli, Renew(lease), body), R"(["body","lease_duration"])", body);
  }
  CheckNoContent(cli->Post(Renew(lease), "", "application/json"));
}

TEST_CASE("deleting a limit keeps its leases renewable and releasable", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  CreateV2Limit(*cli, "b", 2);
  std::string lease = Acquire(*cli, R"({"slots":1,"names":["a","b"]})");
  CheckNoContent(cli->Delete("/api/v2/concurrency_limits/a"));
  CHECK(ActiveSlots(*cli, "b") == 1);
  CheckNoContent(cli->Post(Renew(lease), "", "application/json"));
  CreateV2Limit(*cli, "a", 2);
  CHECK(ActiveSlots(*cli, "a") == 0);
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CHECK(ActiveSlots(*cli, "b") == 0);
  CHECK(ActiveSlots(*cli, "a") == 0);
}

TEST_CASE("a renamed limit keeps its leases", "[v2][leases]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 2);
  std::string lease = Acquire(*cli, R"({"slots":2,"names":["a"]})");
  CheckNoContent(PatchJson(*cli, "/api/v2/concurrency_limits/a", R"({"name":"z"})"));
  CHECK(ActiveSlots(*cli, "z") == 2);
  CheckNoContent(PostJson(*cli, kRelease, ReleaseBody(lease)));
  CHECK(ActiveSlots(*cli, "z") == 0);
}

}  // namespace
}  // namespace slotd::e2e
