#include "api/prefect/responses.h"

#include <catch2/catch.hpp>

#include "api/json/writer.h"

namespace slotd::api::test {

namespace {
const Uuid kId = *ParseUuid("6F1C1C36-0F2C-4A53-9D5E-1A1B2C3D4E5F");
// 2026-11-24T06:31:33.123456Z
const TimePoint kWhen = TimePoint(Micros(1795501893123456));
}  // namespace

TEST_CASE("a v2 limit serialises every field in the spec's order", "[responses]") {
  LimitSnapshot limit;
  limit.id = kId;
  limit.created = kWhen;
  limit.updated = kWhen;
  limit.name = "db \"main\"";
  limit.limit = 3;
  limit.active_slots = 1;
  limit.denied_slots = 2;
  limit.slot_decay_per_second = 0.5;
  CHECK(LimitV2Json(limit) ==
        R"({"id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","created":"2026-11-24T06:31:33.123456Z",)"
        R"("updated":"2026-11-24T06:31:33.123456Z","active":true,"name":"db \"main\"","limit":3,)"
        R"("active_slots":1,"denied_slots":2,"slot_decay_per_second":0.5,)"
        R"("avg_slot_occupancy_seconds":2.0})");
  CHECK(GlobalLimitJson(limit) ==
        R"({"id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","created":"2026-11-24T06:31:33.123456Z",)"
        R"("updated":"2026-11-24T06:31:33.123456Z","active":true,"name":"db \"main\"","limit":3,)"
        R"("active_slots":1,"slot_decay_per_second":0.5})");
}

TEST_CASE("a v1 limit shows the bare tag and its task-run holders", "[responses]") {
  LimitSnapshot limit;
  limit.id = kId;
  limit.created = kWhen;
  limit.updated = kWhen;
  limit.name = "tag:db";
  limit.limit = 2;
  limit.task_run_holders = {kId};
  CHECK(ConcurrencyLimitJson(limit) ==
        R"({"id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","created":"2026-11-24T06:31:33.123456Z",)"
        R"("updated":"2026-11-24T06:31:33.123456Z","tag":"db","concurrency_limit":2,)"
        R"("active_slots":["6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f"]})");
  CHECK(ConcurrencyLimitListJson({}) == "[]");
}

TEST_CASE("minimal limits and lease answers list id, name and limit", "[responses]") {
  const std::vector<LimitRef> refs = {{kId, "a", 1}, {kId, "b", 2}};
  CHECK(MinimalLimitListJson(refs) ==
        R"([{"id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","name":"a","limit":1},)"
        R"({"id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","name":"b","limit":2}])");
  CHECK(LeaseResponseJson(kId, {}) ==
        R"({"lease_id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f","limits":[]})");
}

TEST_CASE("error answers carry a detail message", "[responses]") {
  ApiResponse out;
  RespondDetail(&out, 404, "Concurrency limit not found");
  CHECK(out.status == 404);
  CHECK(out.body == R"({"detail":"Concurrency limit not found"})");
  RespondNull(&out);
  CHECK(out.body == "null");
  RespondNoContent(&out);
  CHECK(out.status == 204);
  CHECK(out.body.empty());
}

}  // namespace slotd::api::test
