// Names bounded in bytes (--max-name-bytes, default 4096): a name that would
// be stored longer is a 422 shaped as pydantic's string_too_long and changes
// nothing; a longer name in a path cannot exist, so it is a 404.
#include <catch2/catch.hpp>
#include <string>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

// The 422 body for `field` holding `name`, over `max_length`.
std::string TooLongBody(std::string_view field, const std::string& name, size_t max_length,
                        const std::string& request_body) {
  const std::string bound = std::to_string(max_length);
  return R"({"exception_message":"Invalid request received.","exception_detail":)"
         R"([{"type":"string_too_long","loc":["body",")" +
         std::string(field) + R"("],"msg":"String should have at most )" + bound +
         R"( characters","input":)" + JsonString(name) + R"(,"ctx":{"max_length":)" + bound +
         R"(}}],"request_body":)" + request_body + "}";
}

std::string CreateBody(const std::string& name) {
  return R"({"name":)" + JsonString(name) + R"(,"limit":1})";
}

std::string TagBody(const std::string& tag) {
  return R"({"tag":)" + JsonString(tag) + R"(,"concurrency_limit":1})";
}

size_t LimitCount(httplib::Client& cli) {
  auto res = cli.Post("/api/v2/concurrency_limits/filter");
  RequireStatus(res, 200);
  Json doc(res->body);
  REQUIRE(doc.root().is_array());
  return doc.root().get_array().value_unsafe().size();
}

TEST_CASE("by default a v2 name of 4096 bytes is created and one of 4097 is a 422",
          "[validation][names]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string fits(4096, 'n');
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/", CreateBody(fits)), 201);
  RequireStatus(cli->Get("/api/v2/concurrency_limits/" + fits), 200);

  const std::string too_long(4097, 'n');
  CheckJson(PostJson(*cli, "/api/v2/concurrency_limits/", CreateBody(too_long)), 422,
            TooLongBody("name", too_long, 4096, CreateBody(too_long)));
  CHECK(LimitCount(*cli) == 1);
}

TEST_CASE("a rename past --max-name-bytes is a 422 and the limit keeps its name",
          "[validation][names]") {
  SlotdProcess server(WithArgs({"--max-name-bytes", "16"}));
  auto cli = server.client();
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/", CreateBody("db")), 201);
  // Eight two-byte characters fit; nine do not: the bound counts bytes.
  const std::string nine = "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9";
  const std::string body = R"({"name":)" + JsonString(nine) + "}";
  CheckJson(PatchJson(*cli, "/api/v2/concurrency_limits/db", body), 422,
            TooLongBody("name", nine, 16, body));
  RequireStatus(cli->Get("/api/v2/concurrency_limits/db"), 200);
  const std::string eight = nine.substr(2);
  CheckNoContent(
      PatchJson(*cli, "/api/v2/concurrency_limits/db", R"({"name":)" + JsonString(eight) + "}"));
  RequireStatus(cli->Get("/api/v2/concurrency_limits/" + eight), 200);
}

TEST_CASE("a v1 tag may be --max-name-bytes less the tag: prefix long", "[validation][names]") {
  SlotdProcess server(WithArgs({"--max-name-bytes", "16"}));
  auto cli = server.client();
  const std::string fits(12, 't');
  RequireStatus(PostJson(*cli, "/api/concurrency_limits/", TagBody(fits)), 201);
  const std::string too_long(13, 't');
  CheckJson(PostJson(*cli, "/api/concurrency_limits/", TagBody(too_long)), 422,
            TooLongBody("tag", too_long, 12, TagBody(too_long)));
  CHECK(LimitCount(*cli) == 1);
}

TEST_CASE("a name past the bound in a path answers 404 on every route", "[validation][names]") {
  SlotdProcess server(WithArgs({"--max-name-bytes", "16"}));
  auto cli = server.client();
  const std::string too_long(17, 'x');
  CheckDetail(cli->Get("/api/v2/concurrency_limits/" + too_long), 404,
              "Concurrency Limit not found");
  CheckDetail(PatchJson(*cli, "/api/v2/concurrency_limits/" + too_long, R"({"limit":2})"), 404,
              "Concurrency Limit not found");
  CheckDetail(cli->Delete("/api/v2/concurrency_limits/" + too_long), 404,
              "Concurrency Limit not found");
  CheckDetail(cli->Get("/api/concurrency_limits/tag/" + too_long), 404,
              "Concurrency limit not found");
  CheckDetail(cli->Post("/api/concurrency_limits/tag/" + too_long + "/reset"), 404,
              "Concurrency limit not found");
}

TEST_CASE("an increment naming a name past the bound ignores it as an unknown limit",
          "[validation][names]") {
  SlotdProcess server(WithArgs({"--max-name-bytes", "16"}));
  auto cli = server.client();
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/", CreateBody("db")), 201);
  const std::string too_long(17, 'x');
  auto res = PostJson(*cli, "/api/v2/concurrency_limits/increment",
                      R"({"slots":1,"names":["db",)" + JsonString(too_long) + "]}");
  RequireStatus(res, 200);
  Json doc(res->body);
  REQUIRE(doc.root().is_array());
  CHECK(doc.root().get_array().value_unsafe().size() == 1);
}

}  // namespace
}  // namespace slotd::e2e
