// Root routes, routing misses, trailing slashes and the API version header.
#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

TEST_CASE("health answers true", "[root]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = cli->Get("/api/health");
  RequireAnswer(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(res->body == "true");
}

TEST_CASE("ready answers message OK", "[root]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckJson(cli->Get("/api/ready"), 200, R"({"message":"OK"})");
}

TEST_CASE("version answers the server API version 0.8.4", "[root]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = cli->Get("/api/version");
  RequireAnswer(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(res->body == "\"0.8.4\"");
}

TEST_CASE("admin version answers Prefect 3.9.1 by default, the release the differential tests pin",
          "[root]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = cli->Get("/api/admin/version");
  RequireAnswer(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(res->body == "\"3.9.1\"");
}

TEST_CASE("admin version answers the release given with --prefect-version", "[root]") {
  SlotdProcess server(WithArgs({"--prefect-version", "3.10.0"}));
  auto cli = server.client();
  auto res = cli->Get("/api/admin/version");
  RequireAnswer(res);
  CHECK(res->status == 200);
  CHECK(res->body == "\"3.10.0\"");
}

TEST_CASE("hello answers a waving hand in UTF-8", "[root]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = cli->Get("/api/hello");
  RequireAnswer(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(res->body == "\"\xF0\x9F\x91\x8B\"");
}

TEST_CASE("csrf-token answers 422 CSRF protection is disabled", "[root]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckDetail(cli->Get("/api/csrf-token?client=abc"), 422, "CSRF protection is disabled.");
}

TEST_CASE("an unknown route answers 404 Not Found", "[root][routing]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckDetail(cli->Get("/api/nope"), 404, "Not Found");
  CheckDetail(cli->Post("/api/nope", "{}", "application/json"), 404, "Not Found");
  CheckDetail(cli->Get("/api/v3/concurrency_limits/x"), 404, "Not Found");
  CheckDetail(cli->Get("/api/concurrency_limits/tag"), 404, "Not Found");
  CheckDetail(cli->Get("/health"), 404, "Not Found");
  CheckDetail(cli->Get("/index.html"), 404, "Not Found");
}

TEST_CASE("a known path with a wrong method answers 405 Method Not Allowed", "[root][routing]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckDetail(cli->Delete("/api/health"), 405, "Method Not Allowed");
  CheckDetail(cli->Post("/api/version", "", "application/json"), 405, "Method Not Allowed");
  CheckDetail(cli->Get("/api/concurrency_limits/increment"), 405, "Method Not Allowed");
  CheckDetail(cli->Get("/api/concurrency_limits/filter"), 405, "Method Not Allowed");
  CheckDetail(cli->Patch("/api/concurrency_limits/", "{}", "application/json"), 405,
              "Method Not Allowed");
  CheckDetail(cli->Put("/api/v2/concurrency_limits/some-name", "{}", "application/json"), 405,
              "Method Not Allowed");
}

TEST_CASE("a route asked for in its other slash form answers 307 to the route", "[root][routing]") {
  SlotdProcess server;
  auto health = RawRequest(server.port(), "GET", "/api/health/?a=1&b=%20x");
  REQUIRE(health);
  CHECK(health->status == 307);
  CHECK(health->header("Location") == "http://127.0.0.1/api/health?a=1&b=%20x");
  CHECK(health->header("Content-Length") == "0");
  CHECK_FALSE(health->header("Content-Type"));
  CHECK(health->body.empty());
  // Under any method, to the form the route has (the create routes end in '/').
  auto create = RawRequest(server.port(), "POST", "/api/v2/concurrency_limits",
                           {"Content-Type: application/json"}, R"({"name":"b","limit":1})");
  REQUIRE(create);
  CHECK(create->status == 307);
  CHECK(create->header("Location") == "http://127.0.0.1/api/v2/concurrency_limits/");
  auto by_name = RawRequest(server.port(), "DELETE", "/api/v2/concurrency_limits/a%20b/");
  REQUIRE(by_name);
  CHECK(by_name->header("Location") == "http://127.0.0.1/api/v2/concurrency_limits/a%20b");
  // Nothing was served: no limit was created.
  auto cli = server.client();
  auto filter = cli->Post("/api/v2/concurrency_limits/filter", "", "application/json");
  RequireAnswer(filter);
  CHECK(filter->body == "[]");
  // A path with no route in either form stays a 404.
  auto missing = RawRequest(server.port(), "GET", "/api/concurrency_limits/not-a-uuid/");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("a redirect without a Host header names the address the server listens on",
          "[root][routing]") {
  SlotdProcess server;
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  REQUIRE(connection.send_all("GET /api/ready/ HTTP/1.0\r\n\r\n"));
  auto ready = connection.read_response(std::chrono::seconds(10));
  REQUIRE(ready);
  CHECK(ready->status == 307);
  CHECK(ready->header("Location") ==
        "http://127.0.0.1:" + std::to_string(server.port()) + "/api/ready");
}

TEST_CASE("a body whose Content-Type is not JSON is read as text, as FastAPI reads it",
          "[root][body]") {
  SlotdProcess server;
  auto form = RawRequest(server.port(), "POST", "/api/v2/concurrency_limits/",
                         {"Content-Type: application/x-www-form-urlencoded"}, "name=a");
  REQUIRE(form);
  CHECK(form->status == 422);
  CHECK(form->body.find(R"("type":"model_attributes_type","loc":["body"])") != std::string::npos);
  CHECK(form->body.find(R"("request_body":"name=a")") != std::string::npos);
  auto merge = RawRequest(server.port(), "POST", "/api/v2/concurrency_limits/",
                          {"Content-Type: application/merge-patch+json; charset=utf-8"},
                          R"({"name":"a","limit":1})");
  REQUIRE(merge);
  CHECK(merge->status == 201);
  // A chunked body without a Content-Type is not taken for JSON.
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  REQUIRE(connection.send_all(
      "POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n16\r\n{\"name\":\"b\",\"limit\":1}\r\n0\r\n\r\n"));
  auto chunked = connection.read_response(std::chrono::seconds(10));
  REQUIRE(chunked);
  CHECK(chunked->status == 422);
}

TEST_CASE("an api version header in x.y.z form at or above 0.8.0 is accepted",
          "[root][api-version]") {
  SlotdProcess server;
  auto cli = server.client();
  for (const char* version : {"0.8.0", "0.8.4", "0.9.0", "3.0.0"}) {
    INFO("x-prefect-api-version: " << version);
    auto res = cli->Get("/api/hello", {{"x-prefect-api-version", version}});
    RequireAnswer(res);
    CHECK(res->status == 200);
  }
  auto res = cli->Post("/api/v2/concurrency_limits/filter", {{"X-PREFECT-API-VERSION", "0.8.4"}},
                       "", "application/json");
  RequireAnswer(res);
  CHECK(res->status == 200);
}

TEST_CASE("a malformed api version header answers 400", "[root][api-version]") {
  SlotdProcess server;
  auto cli = server.client();
  for (const char* version : {"abc", "0.8", "1.2.3.4", "a.b.c", "0.8.x"}) {
    INFO("x-prefect-api-version: " << version);
    CheckDetail(cli->Get("/api/hello", {{"x-prefect-api-version", version}}), 400,
                std::string("Invalid X-PREFECT-API-VERSION header format.Expected header "
                            "in format 'x.y.z' but received ") +
                    version);
  }
}

TEST_CASE("an api version below 0.8.0 answers 400", "[root][api-version]") {
  SlotdProcess server;
  auto cli = server.client();
  for (const char* version : {"0.7.9", "0.0.1"}) {
    INFO("x-prefect-api-version: " << version);
    CheckDetail(cli->Get("/api/hello", {{"x-prefect-api-version", version}}), 400,
                std::string("The request specified API version ") + version +
                    " but this server requires version 0.8.0 or higher.");
  }
}

TEST_CASE("the api version check covers every route but health and version",
          "[root][api-version]") {
  SlotdProcess server;
  auto cli = server.client();
  httplib::Headers bad = {{"x-prefect-api-version", "bad"}};
  const std::string message =
      "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' "
      "but received bad";

  auto health = cli->Get("/api/health", bad);
  RequireAnswer(health);
  CHECK(health->status == 200);
  CHECK(health->body == "true");
  auto version = cli->Get("/api/version", bad);
  RequireAnswer(version);
  CHECK(version->status == 200);
  CHECK(version->body == "\"0.8.4\"");

  CheckDetail(cli->Get("/api/ready", bad), 400, message);
  CheckDetail(cli->Get("/api/admin/version", bad), 400, message);
  CheckDetail(cli->Post("/api/v2/concurrency_limits/", bad, R"({"name":"x","limit":1})",
                        "application/json"),
              400, message);
  // The rejected create changed nothing.
  CheckDetail(cli->Get("/api/v2/concurrency_limits/x"), 404, "Concurrency Limit not found");
}

}  // namespace
}  // namespace slotd::e2e
