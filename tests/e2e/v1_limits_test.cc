// v1 tag limits: create/upsert, read by id and tag, filter, reset, delete.
#include <catch2/catch.hpp>
#include <thread>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

TEST_CASE("v1 create answers 201 with a ConcurrencyLimit", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  auto res = PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"alpha","concurrency_limit":3})");
  RequireAnswer(res);
  INFO("body: " << res->body);
  CHECK(res->status == 201);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  Json doc(res->body);
  REQUIRE(doc.valid());
  CHECK(Keys(doc.root()) == kConcurrencyLimitKeys);
  CHECK(IsUuid4(Unquoted(Field(res->body, "id"))));
  CHECK(IsTimestamp(Unquoted(Field(res->body, "created"))));
  CHECK(IsTimestamp(Unquoted(Field(res->body, "updated"))));
  CHECK(Field(res->body, "tag") == "\"alpha\"");
  CHECK(Field(res->body, "concurrency_limit") == "3");
  CHECK(Field(res->body, "active_slots") == "[]");
}

TEST_CASE("v1 create of an existing tag updates it and answers 200 with a later updated",
          "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  auto first =
      PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"alpha","concurrency_limit":3})");
  RequireStatus(first, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto second =
      PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"alpha","concurrency_limit":5})");
  RequireStatus(second, 200);
  INFO("first: " << first->body << "\nsecond: " << second->body);
  CHECK(Keys(Json(second->body).root()) == kConcurrencyLimitKeys);
  CHECK(Field(second->body, "id") == Field(first->body, "id"));
  CHECK(Field(second->body, "created") == Field(first->body, "created"));
  CHECK(Field(second->body, "updated") > Field(first->body, "updated"));
  CHECK(Field(second->body, "concurrency_limit") == "5");

  // One table: the same limit through v2 as tag:alpha.
  auto v2 = cli->Get("/api/v2/concurrency_limits/tag:alpha");
  RequireStatus(v2, 200);
  CHECK(Field(v2->body, "id") == Field(first->body, "id"));
  CHECK(Field(v2->body, "name") == "\"tag:alpha\"");
  CHECK(Field(v2->body, "limit") == "5");
}

TEST_CASE("a limit created through v2 as tag:x is visible through v1", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string id = CreateV2Limit(*cli, "tag:beta", 2);
  auto by_tag = cli->Get("/api/concurrency_limits/tag/beta");
  RequireStatus(by_tag, 200);
  CHECK(Keys(Json(by_tag->body).root()) == kConcurrencyLimitKeys);
  CHECK(Field(by_tag->body, "id") == JsonString(id));
  CHECK(Field(by_tag->body, "tag") == "\"beta\"");
  CHECK(Field(by_tag->body, "concurrency_limit") == "2");
  CHECK(Field(by_tag->body, "active_slots") == "[]");
  auto by_id = cli->Get("/api/concurrency_limits/" + id);
  RequireStatus(by_id, 200);
  CHECK(Canonical(by_id->body) == Canonical(by_tag->body));
}

TEST_CASE("v1 create rejects a negative concurrency_limit with 422", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  const std::string body = R"({"tag":"neg","concurrency_limit":-1})";
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", body),
                       R"(["body","concurrency_limit"])", body);
  CheckDetail(cli->Get("/api/concurrency_limits/tag/neg"), 404, "Concurrency limit not found");

  // An existing limit is left as it was.
  CreateTagLimit(*cli, "kept", 2);
  const std::string update = R"({"tag":"kept","concurrency_limit":-5})";
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", update),
                       R"(["body","concurrency_limit"])", update);
  auto kept = cli->Get("/api/concurrency_limits/tag/kept");
  RequireStatus(kept, 200);
  CHECK(Field(kept->body, "concurrency_limit") == "2");
}

TEST_CASE("v1 create rejects a tag with banned characters with 422", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  for (const char* tag : {"a/b", "a%b", "a&b", "a>b", "a<b", ""}) {
    std::string body = "{\"tag\":" + JsonString(tag) + ",\"concurrency_limit\":1}";
    INFO("body " << body);
    CheckValidationError(PostJson(*cli, "/api/concurrency_limits/", body), R"(["body","tag"])",
                         body);
  }
  auto all = cli->Post("/api/v2/concurrency_limits/filter", "", "application/json");
  RequireStatus(all, 200);
  CHECK(Canonical(all->body) == "[]");
}

TEST_CASE("v1 read by id answers the ConcurrencyLimit", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  auto created =
      PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"alpha","concurrency_limit":3})");
  RequireStatus(created, 201);
  std::string id = Unquoted(Field(created->body, "id"));
  auto read = cli->Get("/api/concurrency_limits/" + id);
  RequireStatus(read, 200);
  CHECK(read->get_header_value("Content-Type") == "application/json");
  CHECK(Canonical(read->body) == Canonical(created->body));
}

TEST_CASE("v1 routes by id do not match a non-UUID id", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "alpha", 1);
  CheckDetail(cli->Get("/api/concurrency_limits/not-a-uuid"), 404, "Not Found");
  CheckDetail(cli->Get("/api/concurrency_limits/alpha"), 404, "Not Found");
  CheckDetail(cli->Delete("/api/concurrency_limits/not-a-uuid"), 404, "Not Found");
  CheckDetail(cli->Get("/api/concurrency_limits/123e4567-e89b-12d3-a456-42661417400"), 404,
              "Not Found");
}

TEST_CASE("v1 read by id of an unknown or non-tag limit answers 404", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckDetail(cli->Get("/api/concurrency_limits/" + NewUuid()), 404, "Concurrency limit not found");
  std::string plain = CreateV2Limit(*cli, "plain", 1);
  CheckDetail(cli->Get("/api/concurrency_limits/" + plain), 404, "Concurrency limit not found");
}

TEST_CASE("v1 read by tag answers the limit or 404", "[v1][limits]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string id = CreateTagLimit(*cli, "alpha", 4);
  auto read = cli->Get("/api/concurrency_limits/tag/alpha");
  RequireStatus(read, 200);
  CHECK(read->get_header_value("Content-Type") == "application/json");
  CHECK(Keys(Json(read->body).root()) == kConcurrencyLimitKeys);
  CHECK(Field(read->body, "id") == JsonString(id));
  CHECK(Field(read->body, "concurrency_limit") == "4");
  CheckDetail(cli->Get("/api/concurrency_limits/tag/none"), 404, "Concurrency limit not found");
  CreateV2Limit(*cli, "plain", 1);
  CheckDetail(cli->Get("/api/concurrency_limits/tag/plain"), 404, "Concurrency limit not found");
}

TEST_CASE("v1 filter lists only tag limits ordered by name", "[v1][filter]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "c", 1);
  CreateTagLimit(*cli, "a", 2);
  CreateTagLimit(*cli, "b", 3);
  CreateV2Limit(*cli, "tag:d", 4);
  CreateV2Limit(*cli, "zeta", 5);
  CreateV2Limit(*cli, "alpha-global", 6);

  auto tags_of = [](const std::string& body) {
    std::vector<std::string> tags;
    Json doc(body);
    simdjson::dom::array items;
    if (!doc.valid() || doc.root().get_array().get(items) != simdjson::SUCCESS) {
      return std::vector<std::string>{"<not an array>"};
    }
    for (auto item : items) {
      CHECK(Keys(item) == kConcurrencyLimitKeys);
      tags.emplace_back(std::string_view(item["tag"].get_string()));
    }
    return tags;
  };

  auto no_body = cli->Post("/api/concurrency_limits/filter", "", "application/json");
  RequireStatus(no_body, 200);
  CHECK(no_body->get_header_value("Content-Type") == "application/json");
  CHECK(tags_of(no_body->body) == std::vector<std::string>{"a", "b", "c", "d"});
  auto empty = PostJson(*cli, "/api/concurrency_limits/filter", "{}");
  RequireStatus(empty, 200);
  CHECK(tags_of(empty->body) == std::vector<std::string>{"a", "b", "c", "d"});
  auto page = PostJson(*cli, "/api/concurrency_limits/filter", R"({"limit":2,"offset":1})");
  RequireStatus(page, 200);
  CHECK(tags_of(page->body) == std::vector<std::string>{"b", "c"});
  auto past_end = PostJson(*cli, "/api/concurrency_limits/filter", R"({"offset":10})");
  RequireStatus(past_end, 200);
  CHECK(Canonical(past_end->body) == "[]");
  auto zero = PostJson(*cli, "/api/concurrency_limits/filter", R"({"limit":0})");
  RequireStatus(zero, 200);
  CHECK(Canonical(zero->body) == "[]");
}

TEST_CASE("v1 filter returns at most 200 by default", "[v1][filter]") {
  SlotdProcess server;
  auto cli = server.client();
  cli->set_keep_alive(true);
  for (int i = 0; i <= 200; ++i) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "t%03d", i);
    CreateTagLimit(*cli, tag, 1);
  }
  auto all = cli->Post("/api/concurrency_limits/filter", "", "application/json");
  RequireStatus(all, 200);
  Json doc(all->body);
  simdjson::dom::array items;
  REQUIRE(doc.root().get_array().get(items) == simdjson::SUCCESS);
  CHECK(items.size() == 200);
  CHECK(Canonical(items.at(0)["tag"].value()) == "\"t000\"");
  auto last = PostJson(*cli, "/api/concurrency_limits/filter", R"({"offset":200})");
  RequireStatus(last, 200);
  Json last_doc(last->body);
  simdjson::dom::array rest;
  REQUIRE(last_doc.root().get_array().get(rest) == simdjson::SUCCESS);
  REQUIRE(rest.size() == 1);
  CHECK(Canonical(rest.at(0)["tag"].value()) == "\"t200\"");
}

TEST_CASE("v1 filter rejects a limit outside 0..200 and a negative offset", "[v1][filter]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckDetail(PostJson(*cli, "/api/concurrency_limits/filter", R"({"limit":-1})"), 422,
              "Invalid limit: must be greater than or equal to 0.");
  CheckDetail(PostJson(*cli, "/api/concurrency_limits/filter", R"({"limit":201})"), 422,
              "Invalid limit: must be less than or equal to 200.");
  CheckValidationError(PostJson(*cli, "/api/concurrency_limits/filter", R"({"offset":-1})"),
                       R"(["body","offset"])", R"({"offset":-1})");
  auto max = PostJson(*cli, "/api/concurrency_limits/filter", R"({"limit":200})");
  RequireStatus(max, 200);
  CHECK(Canonical(max->body) == "[]");
}

TEST_CASE("v1 reset without a body releases every slot", "[v1][reset]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 2);
  std::string a = NewUuid(), b = NewUuid(), c = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x"])", a), 200);
  RequireStatus(V1Increment(*cli, R"(["x"])", b), 200);
  CHECK(Sorted(TagHolders(*cli, "x")) == Sorted({a, b}));

  auto reset = cli->Post("/api/concurrency_limits/tag/x/reset", "", "application/json");
  RequireStatus(reset, 200);
  CHECK(reset->get_header_value("Content-Type") == "application/json");
  CHECK(reset->body == "null");
  CHECK(TagHolders(*cli, "x").empty());
  CHECK(ActiveSlots(*cli, "tag:x") == 0);

  RequireStatus(V1Increment(*cli, R"(["x"])", a), 200);
  RequireStatus(V1Increment(*cli, R"(["x"])", b), 200);
  RequireStatus(V1Increment(*cli, R"(["x"])", c), 423);

  auto null_override =
      PostJson(*cli, "/api/concurrency_limits/tag/x/reset", R"({"slot_override":null})");
  RequireStatus(null_override, 200);
  CHECK(null_override->body == "null");
  CHECK(ActiveSlots(*cli, "tag:x") == 0);
}

TEST_CASE("v1 reset with slot_override sets the holders and the counter exactly", "[v1][reset]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 3);
  std::string a = NewUuid(), x = NewUuid(), y = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x"])", a), 200);

  auto reset = PostJson(*cli, "/api/concurrency_limits/tag/x/reset",
                        "{\"slot_override\":[\"" + x + "\",\"" + y + "\",\"" + x + "\"]}");
  RequireStatus(reset, 200);
  CHECK(reset->body == "null");
  CHECK(Sorted(TagHolders(*cli, "x")) == Sorted({x, y}));
  CHECK(ActiveSlots(*cli, "tag:x") == 2);

  // An override holder is a task run holding one slot: a repeat is the same
  // acquisition, and it can release its slot.
  RequireStatus(V1Increment(*cli, R"(["x"])", x), 200);
  CHECK(ActiveSlots(*cli, "tag:x") == 2);
  RequireStatus(V1Decrement(*cli, R"(["x"])", x), 200);
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{y});
  CHECK(ActiveSlots(*cli, "tag:x") == 1);

  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 200);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 200);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 423);
}

TEST_CASE("v1 reset with slot_override may exceed the limit", "[v1][reset]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  std::string x = NewUuid(), y = NewUuid(), z = NewUuid();
  auto reset = PostJson(*cli, "/api/concurrency_limits/tag/x/reset",
                        "{\"slot_override\":[\"" + x + "\",\"" + y + "\",\"" + z + "\"]}");
  RequireStatus(reset, 200);
  CHECK(Sorted(TagHolders(*cli, "x")) == Sorted({x, y, z}));
  CHECK(ActiveSlots(*cli, "tag:x") == 3);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 423);
}

TEST_CASE("v1 reset keeps the other limits of a lease", "[v1][reset]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 2);
  CreateTagLimit(*cli, "y", 2);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x","y"])", a), 200);
  RequireStatus(cli->Post("/api/concurrency_limits/tag/x/reset", "", "application/json"), 200);
  CHECK(TagHolders(*cli, "x").empty());
  CHECK(ActiveSlots(*cli, "tag:x") == 0);
  CHECK(TagHolders(*cli, "y") == std::vector<std::string>{a});
  CHECK(ActiveSlots(*cli, "tag:y") == 1);
}

TEST_CASE("v1 reset of an unknown tag answers 404", "[v1][reset]") {
  SlotdProcess server;
  auto cli = server.client();
  CheckDetail(cli->Post("/api/concurrency_limits/tag/none/reset", "", "application/json"), 404,
              "Concurrency limit not found");
}

TEST_CASE("v1 delete by id answers 200 null and then 404", "[v1][delete]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string id = CreateTagLimit(*cli, "x", 1);
  auto deleted = cli->Delete("/api/concurrency_limits/" + id);
  RequireStatus(deleted, 200);
  CHECK(deleted->get_header_value("Content-Type") == "application/json");
  CHECK(deleted->body == "null");
  CheckDetail(cli->Get("/api/concurrency_limits/" + id), 404, "Concurrency limit not found");
  CheckDetail(cli->Get("/api/v2/concurrency_limits/tag:x"), 404, "Concurrency Limit not found");
  CheckDetail(cli->Delete("/api/concurrency_limits/" + id), 404, "Concurrency limit not found");
  CheckDetail(cli->Delete("/api/concurrency_limits/" + NewUuid()), 404,
              "Concurrency limit not found");
}

TEST_CASE("v1 delete by tag answers 200 null and then 404", "[v1][delete]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  auto deleted = cli->Delete("/api/concurrency_limits/tag/x");
  RequireStatus(deleted, 200);
  CHECK(deleted->get_header_value("Content-Type") == "application/json");
  CHECK(deleted->body == "null");
  CheckDetail(cli->Get("/api/concurrency_limits/tag/x"), 404, "Concurrency limit not found");
  CheckDetail(cli->Delete("/api/concurrency_limits/tag/x"), 404, "Concurrency limit not found");
}

TEST_CASE("deleting a tag limit revokes the leases holding it and frees their other limits",
          "[v1][delete]") {
  // Prefect 3.9.1 revokes the leases (a holder's renew then gets 410); it
  // leaves their slots on other limits counted, where slotd gives them back
  // (API.md's Deviation).
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  CreateTagLimit(*cli, "y", 1);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x","y"])", a), 200);
  RequireStatus(cli->Delete("/api/concurrency_limits/tag/x"), 200);
  CHECK(TagHolders(*cli, "y").empty());
  CHECK(ActiveSlots(*cli, "tag:y") == 0);

  CreateTagLimit(*cli, "x", 1);
  CHECK(TagHolders(*cli, "x").empty());
  CHECK(ActiveSlots(*cli, "tag:x") == 0);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 200);

  RequireStatus(V1Decrement(*cli, R"(["y"])", a), 200);
  CHECK(TagHolders(*cli, "y").empty());
  CHECK(ActiveSlots(*cli, "tag:y") == 0);
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
}

}  // namespace
}  // namespace slotd::e2e
