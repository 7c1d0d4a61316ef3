#include "api/prefect/router.h"

#include <catch2/catch.hpp>

namespace slotd::api::test {

using Outcome = RouteMatch::Outcome;

namespace {
const char* kUuid = "6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f";

Route RouteOf(Method method, const std::string& path) {
  const RouteMatch match = MatchRoute(method, path);
  INFO(path);
  REQUIRE(match.outcome == Outcome::kFound);
  return match.route;
}
}  // namespace

TEST_CASE("slotd's own routes: GET /metrics and GET /api/slotd/limits/{name}/holders", "[router]") {
  CHECK(RouteOf(Method::kGet, "/metrics") == Route::kMetrics);
  const RouteMatch holders = MatchRoute(Method::kGet, "/api/slotd/limits/db/holders");
  CHECK(holders.outcome == Outcome::kFound);
  CHECK(holders.route == Route::kSlotdLimitHolders);
  CHECK(holders.param == "db");
  CHECK(MatchRoute(Method::kPost, "/metrics").outcome == Outcome::kMethodNotAllowed);
  CHECK(MatchRoute(Method::kGet, "/metrics/").outcome == Outcome::kRedirect);
  CHECK(MatchRoute(Method::kGet, "/api/metrics").outcome == Outcome::kNotFound);
  CHECK(MatchRoute(Method::kGet, "/metricsx").outcome == Outcome::kNotFound);
  CHECK(MatchRoute(Method::kGet, "/api/slotd/limits/db/other").outcome == Outcome::kNotFound);
  CHECK(MatchRoute(Method::kGet, "/api/slotd/limits//holders").outcome == Outcome::kNotFound);
  CHECK(FamilyOf(Route::kMetrics) == RouteFamily::kMetrics);
  CHECK(FamilyOf(Route::kSlotdLimitHolders) == RouteFamily::kSlotd);
}

TEST_CASE("the live page is GET of /, /ui and anything under /ui/", "[router]") {
  for (const char* path : {"/", "/ui", "/ui/", "/ui/app.js", "/ui/no-such-file"}) {
    INFO(path);
    CHECK(RouteOf(Method::kGet, path) == Route::kUi);
  }
  const RouteMatch post = MatchRoute(Method::kPost, "/");
  CHECK(post.outcome == Outcome::kMethodNotAllowed);
  CHECK(post.allow == "GET");
  CHECK(MatchRoute(Method::kDelete, "/ui/app.js").outcome == Outcome::kMethodNotAllowed);
  CHECK(MatchRoute(Method::kGet, "/uix").outcome == Outcome::kNotFound);
  CHECK(MatchRoute(Method::kGet, "/api/ui").outcome == Outcome::kNotFound);
  CHECK(MatchRoute(Method::kGet, "//").outcome == Outcome::kNotFound);
  CHECK(FamilyOf(Route::kUi) == RouteFamily::kSlotd);
}

TEST_CASE("the event stream is GET /api/slotd/events", "[router]") {
  CHECK(RouteOf(Method::kGet, "/api/slotd/events") == Route::kSlotdEvents);
  CHECK(MatchRoute(Method::kPost, "/api/slotd/events").outcome == Outcome::kMethodNotAllowed);
  CHECK(MatchRoute(Method::kGet, "/api/slotd/events/").outcome == Outcome::kRedirect);
  CHECK(MatchRoute(Method::kGet, "/api/slotd/eventsx").outcome == Outcome::kNotFound);
  CHECK(FamilyOf(Route::kSlotdEvents) == RouteFamily::kSlotd);
}

TEST_CASE("every route of the spec is found under /api", "[router]") {
  const std::string v1 = "/api/concurrency_limits";
  const std::string v2 = "/api/v2/concurrency_limits";
  CHECK(RouteOf(Method::kGet, "/api/health") == Route::kHealth);
  CHECK(RouteOf(Method::kGet, "/api/ready") == Route::kReady);
  CHECK(RouteOf(Method::kGet, "/api/version") == Route::kVersion);
  CHECK(RouteOf(Method::kGet, "/api/admin/version") == Route::kAdminVersion);
  CHECK(RouteOf(Method::kGet, "/api/admin/storage") == Route::kAdminStorage);
  CHECK(RouteOf(Method::kGet, "/api/hello") == Route::kHello);
  CHECK(RouteOf(Method::kGet, "/api/csrf-token") == Route::kCsrfToken);
  CHECK(RouteOf(Method::kPost, v1 + "/") == Route::kV1Create);
  CHECK(RouteOf(Method::kGet, v1 + "/" + kUuid) == Route::kV1ReadById);
  CHECK(RouteOf(Method::kDelete, v1 + "/" + kUuid) == Route::kV1DeleteById);
  CHECK(RouteOf(Method::kGet, v1 + "/tag/db") == Route::kV1ReadByTag);
  CHECK(RouteOf(Method::kDelete, v1 + "/tag/db") == Route::kV1DeleteByTag);
  CHECK(RouteOf(Method::kPost, v1 + "/filter") == Route::kV1Filter);
  CHECK(RouteOf(Method::kPost, v1 + "/tag/db/reset") == Route::kV1ResetByTag);
  CHECK(RouteOf(Method::kPost, v1 + "/increment") == Route::kV1Increment);
  CHECK(RouteOf(Method::kPost, v1 + "/decrement") == Route::kV1Decrement);
  CHECK(RouteOf(Method::kPost, v2 + "/") == Route::kV2Create);
  CHECK(RouteOf(Method::kGet, v2 + "/db") == Route::kV2Read);
  CHECK(RouteOf(Method::kPatch, v2 + "/db") == Route::kV2Update);
  CHECK(RouteOf(Method::kDelete, v2 + "/db") == Route::kV2Delete);
  CHECK(RouteOf(Method::kPost, v2 + "/filter") == Route::kV2Filter);
  CHECK(RouteOf(Method::kPost, v2 + "/increment") == Route::kV2Increment);
  CHECK(RouteOf(Method::kPost, v2 + "/increment-with-lease") == Route::kV2IncrementWithLease);
  CHECK(RouteOf(Method::kPost, v2 + "/decrement") == Route::kV2Decrement);
  CHECK(RouteOf(Method::kPost, v2 + "/decrement-with-lease") == Route::kV2DecrementWithLease);
  CHECK(RouteOf(Method::kPost, v2 + "/leases/" + kUuid + "/renew") == Route::kV2RenewLease);
}

TEST_CASE("a path in the other slash form of a route redirects to the route's form", "[router]") {
  struct Case {
    Method method;
    const char* path;
    const char* redirect_path;
  };
  for (const Case& c : {
           Case{Method::kGet, "/api/health/", "/api/health"},
           Case{Method::kGet, "/api/health///", "/api/health"},  // every slash goes
           Case{Method::kPost, "/api/concurrency_limits", "/api/concurrency_limits/"},
           Case{Method::kPost, "/api/v2/concurrency_limits", "/api/v2/concurrency_limits/"},
           Case{Method::kPost, "/api/v2/concurrency_limits/increment/",
                "/api/v2/concurrency_limits/increment"},
           Case{Method::kGet, "/api/v2/concurrency_limits/a b/", "/api/v2/concurrency_limits/a b"},
           // The other form matching under another method is enough.
           Case{Method::kDelete, "/api/health/", "/api/health"},
           Case{Method::kGet, "/api/v2/concurrency_limits", "/api/v2/concurrency_limits/"},
           Case{Method::kOther, "/api/admin/version/", "/api/admin/version"},
       }) {
    INFO(c.path);
    const RouteMatch match = MatchRoute(c.method, c.path);
    CHECK(match.outcome == Outcome::kRedirect);
    CHECK(match.redirect_path == c.redirect_path);
  }
}

TEST_CASE("a path that matches no route in either slash form is not found", "[router]") {
  for (const char* path : {"/api/no/such/", "/api/concurrency_limits/not-a-uuid/",
                           "/api/concurrency_limits//", "/api//", "/api/"}) {
    INFO(path);
    CHECK(MatchRoute(Method::kGet, path).outcome == Outcome::kNotFound);
  }
}

TEST_CASE("path parameters are taken from their segment", "[router]") {
  RouteMatch match = MatchRoute(Method::kPost, "/api/concurrency_limits/tag/my tag/reset");
  CHECK(match.param == "my tag");
  const std::string by_id = std::string("/api/concurrency_limits/") + kUuid;  // param views it
  match = MatchRoute(Method::kGet, by_id);
  CHECK(match.param == kUuid);
  CHECK(slotd::FormatUuid(match.id) == kUuid);
  match = MatchRoute(Method::kPost, "/api/v2/concurrency_limits/leases/not-a-uuid/renew");
  CHECK(match.outcome == Outcome::kFound);
  CHECK(match.param == "not-a-uuid");
}

TEST_CASE("unknown paths are 404", "[router]") {
  for (const char* path : {"/index.html", "/api", "/api/", "/health", "/api/nope", "/api//health",
                           "/api/concurrency_limits/not-a-uuid", "/api/concurrency_limits/tag",
                           "/api/concurrency_limits/tag/", "/api/v2/concurrency_limits/a/b",
                           "/api/v2/concurrency_limits/leases/x/renew/more", "/API/health"}) {
    INFO(path);
    CHECK(MatchRoute(Method::kGet, path).outcome == Outcome::kNotFound);
  }
}

TEST_CASE("the v1 {id} routes match only a canonical UUID", "[router]") {
  CHECK(MatchRoute(Method::kGet, "/api/concurrency_limits/6f1c1c360f2c4a539d5e1a1b2c3d4e5f")
            .outcome == Outcome::kNotFound);
  CHECK(MatchRoute(Method::kGet, "/api/concurrency_limits/6F1C1C36-0F2C-4A53-9D5E-1A1B2C3D4E5F")
            .outcome == Outcome::kFound);
}

TEST_CASE("a known path under another method is 405 with Starlette's Allow", "[router]") {
  struct Case {
    Method method;
    const char* path;
    const char* allow;
  };
  for (const Case& c :
       {Case{Method::kPost, "/api/health", "GET"}, Case{Method::kOther, "/api/health", "GET"},
        Case{Method::kPost, "/api/admin/storage", "GET"},
        Case{Method::kGet, "/api/concurrency_limits/", "POST"},
        Case{Method::kGet, "/api/concurrency_limits/filter", "POST"},
        Case{Method::kPost, "/api/concurrency_limits/tag/db", "GET"},
        Case{Method::kGet, "/api/concurrency_limits/tag/db/reset", "POST"},
        Case{Method::kGet, "/api/v2/concurrency_limits/", "POST"},
        Case{Method::kPost, "/api/v2/concurrency_limits/db", "GET"},
        Case{Method::kOther, "/api/v2/concurrency_limits/filter", "GET"},
        Case{Method::kGet, "/api/v2/concurrency_limits/leases/x/renew", "POST"}}) {
    INFO(c.path);
    const RouteMatch match = MatchRoute(c.method, c.path);
    CHECK(match.outcome == Outcome::kMethodNotAllowed);
    CHECK(match.allow == c.allow);
  }
}

TEST_CASE("v2 GET, PATCH and DELETE take action names as limit names, as Prefect does",
          "[router]") {
  CHECK(RouteOf(Method::kGet, "/api/v2/concurrency_limits/filter") == Route::kV2Read);
  CHECK(RouteOf(Method::kPatch, "/api/v2/concurrency_limits/increment") == Route::kV2Update);
  CHECK(RouteOf(Method::kDelete, "/api/v2/concurrency_limits/decrement") == Route::kV2Delete);
}

TEST_CASE("methods are matched exactly", "[router]") {
  CHECK(ParseMethod("GET") == Method::kGet);
  CHECK(ParseMethod("PATCH") == Method::kPatch);
  CHECK(ParseMethod("get") == Method::kOther);
  CHECK(ParseMethod("HEAD") == Method::kOther);
  CHECK(ParseMethod("PUT") == Method::kOther);
}

}  // namespace slotd::api::test
