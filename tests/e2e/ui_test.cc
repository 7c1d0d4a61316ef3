// The live page on a real slotd: its files at /, /ui and /ui/<file> with
// their types and headers, revalidation with If-None-Match, and the Basic
// authentication a browser is asked for. (Its behaviour in a browser is
// tests/browser's.)
#include <catch2/catch.hpp>
#include <string>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

constexpr const char* kPolicy =
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'";
constexpr const char* kChallenge = "Basic realm=\"slotd\"";

void CheckPageHeaders(const httplib::Result& res) {
  CHECK(res->get_header_value("Cache-Control") == "no-cache");
  CHECK(res->get_header_value("Content-Security-Policy") == kPolicy);
  CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(res->get_header_value("ETag").starts_with("W/\""));
}

}  // namespace

TEST_CASE("the live page is served at / and /ui with its script, style and icon", "[ui]") {
  SlotdProcess server;
  auto cli = server.client();
  for (const char* path : {"/", "/ui", "/ui/"}) {
    INFO(path);
    auto res = cli->Get(path);
    RequireStatus(res, 200);
    CHECK(res->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(res->body.starts_with("<!doctype html>"));
    CHECK(res->body.find("<script src=\"/ui/app.js\" defer></script>") != std::string::npos);
    CheckPageHeaders(res);
  }
  const struct {
    const char* path;
    const char* type;
    const char* contains;
  } files[] = {
      {"/ui/app.js", "text/javascript; charset=utf-8", "new EventSource('/api/slotd/events')"},
      {"/ui/app.css", "text/css; charset=utf-8", "prefers-color-scheme: dark"},
      {"/ui/favicon.svg", "image/svg+xml", "<svg"},
  };
  for (const auto& file : files) {
    INFO(file.path);
    auto res = cli->Get(file.path);
    RequireStatus(res, 200);
    CHECK(res->get_header_value("Content-Type") == file.type);
    CHECK(res->body.find(file.contains) != std::string::npos);
    CheckPageHeaders(res);
  }
  CheckDetail(cli->Get("/ui/nothing.js"), 404, "Not Found");
  CheckDetail(cli->Get("/uix"), 404, "Not Found");
  auto post = cli->Post("/", "", "text/plain");
  RequireStatus(post, 405);
  CHECK(post->get_header_value("Allow") == "GET");
}

TEST_CASE("a browser's copy of the page is revalidated with its ETag", "[ui]") {
  SlotdProcess server;
  auto cli = server.client();
  auto first = cli->Get("/ui/app.js");
  RequireStatus(first, 200);
  const std::string etag = first->get_header_value("ETag");
  auto again = cli->Get("/ui/app.js", {{"If-None-Match", etag}});
  RequireStatus(again, 304);
  CHECK(again->body.empty());
  CHECK(again->get_header_value("ETag") == etag);
  CheckPageHeaders(again);
  // Another file's tag does not match.
  auto other = cli->Get("/ui/app.css", {{"If-None-Match", etag}});
  RequireStatus(other, 200);
}

TEST_CASE("with an auth string the page's 401 asks for Basic credentials, the API's does not",
          "[ui][auth]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  auto cli = server.client();
  for (const char* path : {"/", "/ui", "/ui/app.js"}) {
    INFO(path);
    auto res = cli->Get(path);
    CheckJson(res, 401, R"({"exception_message":"Unauthorized"})");
    CHECK(res->get_header_value("WWW-Authenticate") == kChallenge);
  }
  auto api = cli->Get("/api/hello");
  CheckJson(api, 401, R"({"exception_message":"Unauthorized"})");
  CHECK_FALSE(api->has_header("WWW-Authenticate"));

  cli->set_basic_auth("admin", "pass");
  auto page = cli->Get("/ui");
  RequireStatus(page, 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
}

}  // namespace slotd::e2e
