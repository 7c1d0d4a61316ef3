// v1 slot acquisition and release: /api/concurrency_limits/increment and
// /api/concurrency_limits/decrement.
#include <catch2/catch.hpp>
#include <thread>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

TEST_CASE("v1 increment takes a slot and answers Minimal limits named by bare tag", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 2);
  std::string a = NewUuid();
  auto res = V1Increment(*cli, R"(["x"])", a);
  RequireStatus(res, 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(Canonical(res->body) == "[" + Minimal(x, "x", 2) + "]");
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{a});
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
}

TEST_CASE("v1 increment ignores unknown tags", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 2);
  auto res = V1Increment(*cli, R"(["x","nope"])", NewUuid());
  RequireStatus(res, 200);
  CHECK(Canonical(res->body) == "[" + Minimal(x, "x", 2) + "]");
  auto none = V1Increment(*cli, R"(["nope"])", NewUuid());
  RequireStatus(none, 200);
  CHECK(Canonical(none->body) == "[]");
  auto empty = V1Increment(*cli, "[]", NewUuid());
  RequireStatus(empty, 200);
  CHECK(Canonical(empty->body) == "[]");
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
}

TEST_CASE("v1 increment ignores inactive limits", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 2);
  CreateV2Limit(*cli, R"({"name":"tag:off","limit":1,"active":false})");
  std::string a = NewUuid();
  auto off = V1Increment(*cli, R"(["off"])", a);
  RequireStatus(off, 200);
  CHECK(Canonical(off->body) == "[]");
  auto both = V1Increment(*cli, R"(["x","off"])", a);
  RequireStatus(both, 200);
  CHECK(Canonical(both->body) == "[" + Minimal(x, "x", 2) + "]");
  CHECK(ActiveSlots(*cli, "tag:off") == 0);
  CHECK(TagHolders(*cli, "off").empty());
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{a});
}

TEST_CASE("v1 increment on a zero limit answers 423 without Retry-After", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 2);
  CreateTagLimit(*cli, "zero", 0);
  CreateV2Limit(*cli, R"({"name":"tag:zero-off","limit":0,"active":false})");
  const char* message =
      "The concurrency limit on tag \"%s\" is 0 and will deadlock if the task tries to run "
      "again.";
  for (auto [names, tag] : std::vector<std::pair<std::string, std::string>>{
           {R"(["zero"])", "zero"}, {R"(["x","zero"])", "zero"}, {R"(["zero-off"])", "zero-off"}}) {
    INFO("names " << names);
    auto res = V1Increment(*cli, names, NewUuid());
    char expected[256];
    std::snprintf(expected, sizeof expected, message, tag.c_str());
    CheckDetail(res, 423, expected);
    CHECK_FALSE(res->has_header("Retry-After"));
  }
  CHECK(TagHolders(*cli, "x").empty());
  CHECK(ActiveSlots(*cli, "tag:x") == 0);
}

TEST_CASE("v1 increment on a full limit answers 423 with Retry-After 10.0", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x"])", a), 200);
  auto res = V1Increment(*cli, R"(["x"])", NewUuid());
  CheckDetail(res, 423, "Concurrency limit for the x tag has been reached");
  CHECK(res->get_header_value("Retry-After") == "10.0");
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{a});
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
}

TEST_CASE("v1 increment Retry-After follows --tag-wait-seconds", "[v1][slots]") {
  SlotdProcess server(WithArgs({"--tag-wait-seconds", "3"}));
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 200);
  auto res = V1Increment(*cli, R"(["x"])", NewUuid());
  CheckDetail(res, 423, "Concurrency limit for the x tag has been reached");
  CHECK(res->get_header_value("Retry-After") == "3.0");
}

TEST_CASE("v1 increment is all or nothing and names the full tag", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "free", 1);
  CreateTagLimit(*cli, "full", 1);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["full"])", a), 200);
  auto res = V1Increment(*cli, R"(["free","full"])", NewUuid());
  CheckDetail(res, 423, "Concurrency limit for the full tag has been reached");
  CHECK(res->get_header_value("Retry-After") == "10.0");
  CHECK(TagHolders(*cli, "free").empty());
  CHECK(ActiveSlots(*cli, "tag:free") == 0);
  CHECK(TagHolders(*cli, "full") == std::vector<std::string>{a});
}

TEST_CASE("v1 increment by the same task run twice holds one slot", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 1);
  std::string a = NewUuid();
  auto first = V1Increment(*cli, R"(["x"])", a);
  RequireStatus(first, 200);
  auto again = V1Increment(*cli, R"(["x"])", a);
  RequireStatus(again, 200);
  CHECK(Canonical(again->body) == "[" + Minimal(x, "x", 1) + "]");
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{a});
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 423);

  // One release frees it.
  RequireStatus(V1Decrement(*cli, R"(["x"])", a), 200);
  CHECK(ActiveSlots(*cli, "tag:x") == 0);
  CHECK(TagHolders(*cli, "x").empty());
}

TEST_CASE("v1 increment takes only the limits a run does not hold yet", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 1);
  std::string y = CreateTagLimit(*cli, "y", 1);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x"])", a), 200);
  auto both = V1Increment(*cli, R"(["x","y"])", a);
  RequireStatus(both, 200);
  CHECK(SortedItems(both->body) == Sorted({Minimal(x, "x", 1), Minimal(y, "y", 1)}));
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{a});
  CHECK(TagHolders(*cli, "y") == std::vector<std::string>{a});
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
  CHECK(ActiveSlots(*cli, "tag:y") == 1);
}

TEST_CASE("v1 increment records no denial", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 200);
  for (int i = 0; i < 5; ++i) RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 423);

  // A v2 denial now sees no earlier denials: blocking = 1 slot on a limit of 1,
  // mean = min(avg 2.0 * 1, tag wait 10) = 2 s; the header is drawn from
  // [2 * 0.7518, 2 * 1.3]. Five recorded v1 denials would make the mean 10 s.
  auto res =
      PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["tag:x"]})");
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 2.0, 2.0);
}

TEST_CASE("v1 decrement releases the run and lists every existing named limit as tag:x",
          "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 2);
  std::string y = CreateTagLimit(*cli, "y", 3);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x"])", a), 200);
  auto res = V1Decrement(*cli, R"(["x","y","nope"])", a);
  RequireStatus(res, 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(SortedItems(res->body) == Sorted({Minimal(x, "tag:x", 2), Minimal(y, "tag:y", 3)}));
  CHECK(TagHolders(*cli, "x").empty());
  CHECK(ActiveSlots(*cli, "tag:x") == 0);

  auto unknown = V1Decrement(*cli, R"(["nope"])", a);
  RequireStatus(unknown, 200);
  CHECK(Canonical(unknown->body) == "[]");
}

TEST_CASE("v1 decrement releases the whole lease", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 2);
  CreateTagLimit(*cli, "y", 2);
  std::string a = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x","y"])", a), 200);
  RequireStatus(V1Decrement(*cli, R"(["x"])", a), 200);
  CHECK(TagHolders(*cli, "x").empty());
  CHECK(TagHolders(*cli, "y").empty());
  CHECK(ActiveSlots(*cli, "tag:y") == 0);
}

TEST_CASE("v1 decrement by a run holding nothing changes nothing", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  std::string x = CreateTagLimit(*cli, "x", 2);
  std::string b = NewUuid();
  RequireStatus(V1Increment(*cli, R"(["x"])", b), 200);
  auto res = V1Decrement(*cli, R"(["x"])", NewUuid());
  RequireStatus(res, 200);
  CHECK(Canonical(res->body) == "[" + Minimal(x, "tag:x", 2) + "]");
  CHECK(TagHolders(*cli, "x") == std::vector<std::string>{b});
  CHECK(ActiveSlots(*cli, "tag:x") == 1);
}

TEST_CASE("v1 increment and decrement validate their body", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 2);
  for (const char* route :
       {"/api/concurrency_limits/increment", "/api/concurrency_limits/decrement"}) {
    INFO("route " << route);
    CheckValidationError(PostJson(*cli, route, R"({"names":["x"]})"), R"(["body","task_run_id"])",
                         R"({"names":["x"]})");
    std::string run = NewUuid();
    std::string not_list = "{\"names\":\"x\",\"task_run_id\":\"" + run + "\"}";
    CheckValidationError(PostJson(*cli, route, not_list), R"(["body","names"])", not_list);
    std::string not_string = "{\"names\":[1],\"task_run_id\":\"" + run + "\"}";
    CheckValidationError(PostJson(*cli, route, not_string), R"(["body","names",0])", not_string);
  }
  CHECK(TagHolders(*cli, "x").empty());
}

TEST_CASE("v1 decrement releases without an occupancy update", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  for (int i = 0; i < 3; ++i) {
    std::string run = NewUuid();
    RequireStatus(V1Increment(*cli, R"(["x"])", run), 200);
    RequireStatus(V1Decrement(*cli, R"(["x"])", run), 200);
  }
  // The average is still 2.0: a v2 denial's mean is min(2.0 * 1, 10) = 2 s
  // (three short releases with occupancy would have brought it to 0.34).
  RequireStatus(V1Increment(*cli, R"(["x"])", NewUuid()), 200);
  auto res =
      PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["tag:x"]})");
  CheckDetail(res, 423, "Locked");
  CheckRetryAfterAround(res, 2.0, 2.0);
}

TEST_CASE("v1 increment and decrement move updated", "[v1][slots]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateTagLimit(*cli, "x", 1);
  auto updated = [&] {
    auto res = cli->Get("/api/concurrency_limits/tag/x");
    RequireStatus(res, 200);
    return Field(res->body, "updated");
  };
  std::string before = updated();
  std::string run = NewUuid();
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  RequireStatus(V1Increment(*cli, R"(["x"])", run), 200);
  std::string taken = updated();
  CHECK(taken > before);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  RequireStatus(V1Decrement(*cli, R"(["x"])", run), 200);
  CHECK(updated() > taken);
}

}  // namespace
}  // namespace slotd::e2e
