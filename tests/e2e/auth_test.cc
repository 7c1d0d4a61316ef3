// Basic authentication from PREFECT_SERVER_API_AUTH_STRING.
#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

const ServerOptions kWithAuth = WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass");
constexpr const char* kGoodAuthorization = "Basic YWRtaW46cGFzcw==";  // admin:pass
constexpr const char* kUnauthorized = R"({"exception_message":"Unauthorized"})";

TEST_CASE("with an auth string a request without credentials answers 401", "[auth]") {
  SlotdProcess server(kWithAuth);
  auto cli = server.client();
  CheckJson(cli->Get("/api/hello"), 401, kUnauthorized);
  CheckJson(cli->Get("/api/version"), 401, kUnauthorized);
  CheckJson(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"x","limit":1})"), 401,
            kUnauthorized);
  CheckJson(PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"t","concurrency_limit":1})"), 401,
            kUnauthorized);

  // Nothing was created.
  cli->set_basic_auth("admin", "pass");
  CheckDetail(cli->Get("/api/v2/concurrency_limits/x"), 404, "Concurrency Limit not found");
  CheckDetail(cli->Get("/api/v2/concurrency_limits/tag:t"), 404, "Concurrency Limit not found");
}

TEST_CASE("with an auth string wrong credentials answer 401", "[auth]") {
  SlotdProcess server(kWithAuth);
  auto cli = server.client();
  for (const char* authorization :
       {"Basic YWRtaW46d3Jvbmc=",  // admin:wrong
        "Basic YWRtaW46cGFzcyA=",  // "admin:pass "
        "Basic YWRtaW46cGFz",      // admin:pas
        "Basic YWRtaW46cGFzczE=",  // admin:pass1
        "Basic not-base64!", "Bearer YWRtaW46cGFzcw==", "YWRtaW46cGFzcw==", "Basic"}) {
    INFO("Authorization: " << authorization);
    CheckJson(cli->Get("/api/hello", {{"Authorization", authorization}}), 401, kUnauthorized);
  }
}

TEST_CASE("with an auth string correct credentials pass", "[auth]") {
  SlotdProcess server(kWithAuth);
  auto cli = server.client();
  auto hello = cli->Get("/api/hello", {{"Authorization", kGoodAuthorization}});
  RequireAnswer(hello);
  CHECK(hello->status == 200);
  CHECK(hello->body == "\"\xF0\x9F\x91\x8B\"");

  cli->set_basic_auth("admin", "pass");
  CreateV2Limit(*cli, "x", 2);
  CHECK(ActiveSlots(*cli, "x") == 0);
  CheckDetail(cli->Get("/api/concurrency_limits/tag/none"), 404, "Concurrency limit not found");
}

TEST_CASE("with an auth string health and ready stay open on their exact path", "[auth]") {
  SlotdProcess server(kWithAuth);
  auto cli = server.client();
  auto health = cli->Get("/api/health");
  RequireAnswer(health);
  CHECK(health->status == 200);
  CHECK(health->body == "true");
  CheckJson(cli->Get("/api/ready"), 200, R"({"message":"OK"})");
}

TEST_CASE("with an auth string health and ready need credentials on any other form", "[auth]") {
  SlotdProcess server(kWithAuth);
  auto cli = server.client();
  CheckJson(cli->Get("/api/health/"), 401, kUnauthorized);
  CheckJson(cli->Get("/api/ready/"), 401, kUnauthorized);
  CheckJson(cli->Post("/api/health", "", "application/json"), 401, kUnauthorized);
  CheckJson(cli->Delete("/api/ready"), 401, kUnauthorized);

  for (const char* target : {"/api/v2/../health", "/api/./health", "/api/%68ealth", "//api/health",
                             "/api/concurrency_limits/../ready"}) {
    INFO("raw target " << target);
    auto res = RawRequest(server.port(), "GET", target);
    REQUIRE(res.has_value());
    INFO("body: " << res->body);
    CHECK(res->status == 401);
    CHECK(Canonical(res->body) == kUnauthorized);
  }
}

TEST_CASE("with an auth string an unknown path without credentials answers 401", "[auth]") {
  SlotdProcess server(kWithAuth);
  auto cli = server.client();
  CheckJson(cli->Get("/api/no-such-route"), 401, kUnauthorized);
  CheckJson(cli->Get("/elsewhere"), 401, kUnauthorized);
  cli->set_basic_auth("admin", "pass");
  CheckDetail(cli->Get("/api/no-such-route"), 404, "Not Found");
}

}  // namespace
}  // namespace slotd::e2e
