// POST /api/logs/ and /api/logs/filter on a real slotd: what is sent is read
// back, and --log-ring keeps only the newest logs.
#include <catch2/catch.hpp>
#include <string>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

std::string LogJson(std::string_view message, std::string_view timestamp) {
  return R"({"name":"prefect.task_runs","level":20,"message":)" + JsonString(message) +
         R"(,"timestamp":)" + JsonString(timestamp) + "}";
}

std::vector<std::string> Messages(const httplib::Result& res) {
  RequireStatus(res, 200);
  Json doc(res->body);
  REQUIRE(doc.root().is_array());
  std::vector<std::string> out;
  const simdjson::dom::array logs = doc.root().get_array().value_unsafe();
  for (auto log : logs) {
    out.emplace_back(log["message"].get_string().value_unsafe());
  }
  return out;
}

TEST_CASE("logs sent are read back newest first and in UTC", "[logs]") {
  SlotdProcess server;
  auto cli = server.client();
  auto created = PostJson(*cli, "/api/logs/",
                          "[" + LogJson("a", "2026-12-01T10:00:00+02:00") + "," +
                              LogJson("b", "2026-12-01 09:00:00.5") + "]");
  RequireStatus(created, 201);
  CHECK(created->body == "null");
  auto read = PostJson(*cli, "/api/logs/filter", R"({"sort":"TIMESTAMP_DESC"})");
  CHECK(Messages(read) == std::vector<std::string>{"b", "a"});
  Json doc(read->body);
  CHECK(Canonical(doc.root().at(1)["timestamp"].value()) == R"("2026-12-01T08:00:00Z")");
  CHECK(Canonical(doc.root().at(0)["timestamp"].value()) == R"("2026-12-01T09:00:00.500000Z")");
}

TEST_CASE("a ring of --log-ring 2 keeps the two newest logs only", "[logs]") {
  SlotdProcess server(WithArgs({"--log-ring", "2"}));
  auto cli = server.client();
  RequireStatus(PostJson(*cli, "/api/logs/",
                         "[" + LogJson("1", "2026-12-01T10:00:01Z") + "," +
                             LogJson("2", "2026-12-01T10:00:02Z") + "]"),
                201);
  RequireStatus(PostJson(*cli, "/api/logs/", "[" + LogJson("3", "2026-12-01T10:00:03Z") + "]"),
                201);
  CHECK(Messages(cli->Post("/api/logs/filter")) == std::vector<std::string>{"2", "3"});
}

}  // namespace
}  // namespace slotd::e2e
