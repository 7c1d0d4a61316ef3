// Request validation: 413 for oversized bodies, the 422 shape, strict types,
// and that a rejected request changes nothing.
#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

// `json` padded with trailing spaces to exactly `size` bytes.
std::string Padded(std::string json, size_t size) {
  json.resize(size, ' ');
  return json;
}

TEST_CASE("a body over --max-body-bytes answers 413 and changes nothing", "[validation]") {
  SlotdProcess server(WithArgs({"--max-body-bytes", "128"}));
  auto cli = server.client();
  CheckDetail(
      PostJson(*cli, "/api/v2/concurrency_limits/", Padded(R"({"name":"big","limit":1})", 129)),
      413, "Request body too large");
  CheckDetail(cli->Get("/api/v2/concurrency_limits/big"), 404, "Concurrency Limit not found");

  auto at_limit =
      PostJson(*cli, "/api/v2/concurrency_limits/", Padded(R"({"name":"fits","limit":1})", 128));
  RequireAnswer(at_limit);
  CHECK(at_limit->status == 201);
}

TEST_CASE("the default body limit is 1 MiB", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  auto at_limit = PostJson(*cli, "/api/v2/concurrency_limits/",
                           Padded(R"({"name":"fits","limit":1})", 1 << 20));
  RequireAnswer(at_limit);
  CHECK(at_limit->status == 201);

  // Sent over a raw socket: the server may answer before reading the body.
  std::string body = Padded(R"({"name":"big","limit":1})", (1 << 20) + 1);
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  connection.send_all(
      "POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  connection.send_all(body);  // may fail once the server has answered
  auto res = connection.read_response(std::chrono::seconds(10));
  REQUIRE(res.has_value());
  INFO("body: " << res->body);
  CHECK(res->status == 413);
  CHECK(res->header("Content-Type") == "application/json");
  CHECK(Canonical(res->body) == R"({"detail":"Request body too large"})");
  CheckDetail(cli->Get("/api/v2/concurrency_limits/big"), 404, "Concurrency Limit not found");
}

TEST_CASE("malformed JSON answers 422 with the raw text as request_body", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string broken = R"({"name": "x", )";
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", broken), "",
                       JsonString(broken));
  const std::string trailing = R"({"tag":"t","concurrency_limit":1} x)";
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", trailing), "",
                       JsonString(trailing));
  const std::string not_json = "slots=1";
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/increment", not_json), "",
                       JsonString(not_json));
  CheckDetail(cli->Get("/api/v2/concurrency_limits/x"), 404, "Concurrency Limit not found");
  CheckDetail(cli->Get("/api/concurrency_limits/tag/t"), 404, "Concurrency limit not found");
}

TEST_CASE("a JSON body that is not an object answers 422 with the parsed body", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", "[1, 2]"), "", "[1,2]");
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", "\"text\""), "", "\"text\"");
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/increment", "7"), "", "7");
}

TEST_CASE("a missing required body answers 422 with request_body null", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckValidationError(cli->Post("/api/v2/concurrency_limits/", "", "application/json"), "",
                       "null");
  CheckValidationError(cli->Post("/api/concurrency_limits/", "", "application/json"), "", "null");
  CheckValidationError(cli->Post("/api/v2/concurrency_limits/increment", "", "application/json"),
                       "", "null");
}

TEST_CASE("a missing required field answers 422 at its loc", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"x"})"),
                       R"(["body","limit"])", R"({"name":"x"})");
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"x"})"),
                       R"(["body","concurrency_limit"])", R"({"tag":"x"})");
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"names":["x"]})"),
                       R"(["body","slots"])", R"({"names":["x"]})");
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/decrement-with-lease", "{}"),
                       R"(["body","lease_id"])", "{}");
  CheckValidationError(
      PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"x","limit":null})"),
      R"(["body","limit"])", R"({"name":"x","limit":null})");
}

TEST_CASE("unknown fields on v2 create and v1 create answer 422", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string v2 = R"({"name":"x","limit":1,"bogus":true})";
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", v2), R"(["body","bogus"])",
                       v2);
  const std::string v1 = R"({"tag":"t","concurrency_limit":1,"extra":1})";
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", v1), R"(["body","extra"])", v1);
  CreateV2Limit(*cli, "y", 1);
  const std::string patch = R"({"limit":2,"avg_slot_occupancy_seconds":5.0})";
  CheckValidationError(PatchJson(*cli, "/api/v2/concurrency_limits/y", patch),
                       R"(["body","avg_slot_occupancy_seconds"])", patch);
  CheckDetail(cli->Get("/api/v2/concurrency_limits/x"), 404, "Concurrency Limit not found");
  CheckDetail(cli->Get("/api/concurrency_limits/tag/t"), 404, "Concurrency limit not found");
}

TEST_CASE("a string that is no number or boolean answers 422", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  for (auto [body, loc] : std::vector<std::pair<std::string, std::string>>{
           {R"({"name":"x","limit":"ten"})", R"(["body","limit"])"},
           {R"({"name":"x","limit":1,"active":"maybe"})", R"(["body","active"])"},
           {R"({"name":"x","limit":1,"active":2})", R"(["body","active"])"},
           {R"({"name":"x","limit":1,"slot_decay_per_second":"fast"})",
            R"(["body","slot_decay_per_second"])"},
           {R"({"name":5,"limit":1})", R"(["body","name"])"}}) {
    INFO("body " << body);
    CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", body), loc, body);
  }
  const std::string v1 = R"({"tag":"t","concurrency_limit":"1.5"})";
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", v1),
                       R"(["body","concurrency_limit"])", v1);
}

TEST_CASE("numbers and booleans given as Prefect's lax mode takes them are accepted",
          "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  auto created =
      PostJson(*cli, "/api/v2/concurrency_limits/",
               R"({"name":"x","limit":"10","active":"off","slot_decay_per_second":"0.5"})");
  RequireAnswer(created);
  INFO("body: " << created->body);
  CHECK(created->status == 201);
  Json doc(created->body);
  CHECK(Canonical(doc.root()["limit"].value()) == "10");
  CHECK(Canonical(doc.root()["active"].value()) == "false");
  CHECK(Canonical(doc.root()["slot_decay_per_second"].value()) == "0.5");
  auto v1 = PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"t","concurrency_limit":true})");
  RequireAnswer(v1);
  CHECK(v1->status == 201);
}

TEST_CASE("nulls are what Prefect makes of them: 422 on create, 409 on PATCH, absent elsewhere",
          "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string nulls = R"({"name":"x","limit":3,"active":null})";
  CheckValidationError(PostJson(*cli, "/api/v2/concurrency_limits/", nulls), R"(["body","active"])",
                       nulls);
  CreateV2Limit(*cli, "x", 3);
  // Prefect writes the null into a NOT NULL column: a conflict, nothing changed.
  CheckDetail(PatchJson(*cli, "/api/v2/concurrency_limits/x", R"({"limit":null,"name":"y"})"), 409,
              "Data integrity conflict. This usually means a unique or foreign key constraint was "
              "violated. See server logs for details.");
  CheckDetail(PatchJson(*cli, "/api/v2/concurrency_limits/none", R"({"limit":null})"), 404,
              "Concurrency Limit not found");
  auto read = cli->Get("/api/v2/concurrency_limits/x");
  RequireAnswer(read);
  Json after(read->body);
  CHECK(Canonical(after.root()["limit"].value()) == "3");
  CHECK(Canonical(after.root()["name"].value()) == "\"x\"");

  auto increment = PostJson(*cli, "/api/v2/concurrency_limits/increment-with-lease",
                            R"({"slots":1,"names":["x"],"holder":null,"create_if_missing":null})");
  RequireAnswer(increment);
  CHECK(increment->status == 200);
  CHECK(ActiveSlots(*cli, "x") == 1);
}

TEST_CASE("a 422 on PATCH leaves the limit unchanged", "[validation]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "x", 3);
  const std::string patch = R"({"limit":5,"active":"maybe"})";
  CheckValidationError(PatchJson(*cli, "/api/v2/concurrency_limits/x", patch),
                       R"(["body","active"])", patch);
  const std::string rename = R"({"name":"a/b","limit":7})";
  CheckValidationError(PatchJson(*cli, "/api/v2/concurrency_limits/x", rename),
                       R"(["body","name"])", rename);
  auto read = cli->Get("/api/v2/concurrency_limits/x");
  RequireAnswer(read);
  REQUIRE(read->status == 200);
  Json doc(read->body);
  CHECK(Canonical(doc.root()["limit"].value()) == "3");
  CHECK(Canonical(doc.root()["active"].value()) == "true");
}

TEST_CASE("a chunked request body is read and bounded like any other", "[validation]") {
  SlotdProcess server(WithArgs({"--max-body-bytes", "128"}));
  std::string body = R"({"name":"chunked","limit":2})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  RawConnection connection(server.port());
  REQUIRE(connection.connected());
  connection.send_all(
      "POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  auto created = connection.read_response(std::chrono::seconds(10));
  REQUIRE(created.has_value());
  INFO("body: " << created->body);
  CHECK(created->status == 201);
  CHECK(Field(created->body, "name") == "\"chunked\"");

  std::string big = Padded(R"({"name":"big","limit":1})", 200);
  std::snprintf(size, sizeof size, "%zx", big.size());
  RawConnection second(server.port());
  REQUIRE(second.connected());
  second.send_all(
      "POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
      std::string(size) + "\r\n" + big + "\r\n0\r\n\r\n");
  auto rejected = second.read_response(std::chrono::seconds(10));
  REQUIRE(rejected.has_value());
  INFO("body: " << rejected->body);
  CHECK(rejected->status == 413);
  CHECK(Canonical(rejected->body) == R"({"detail":"Request body too large"})");
  auto cli = server.client();
  CheckDetail(cli->Get("/api/v2/concurrency_limits/big"), 404, "Concurrency Limit not found");
}

}  // namespace
}  // namespace slotd::e2e
