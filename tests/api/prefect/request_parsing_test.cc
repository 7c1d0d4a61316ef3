#include "api/prefect/request_parsing.h"

#include <catch2/catch.hpp>

#include "tests/api/prefect/request_parsing_test_support.h"

namespace slotd::api::test {

TEST_CASE("a v2 create body becomes a NewLimit with Prefect's defaults", "[parsing]") {
  ParsedBody json(R"({"name":"db","limit":3})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE(ParseLimitCreate(json.body(), &spec, &errors));
  CHECK(spec.name == "db");
  CHECK(spec.limit == 3);
  CHECK(spec.active);
  CHECK(spec.active_slots == 0);
  CHECK(spec.slot_decay_per_second == 0);
}

TEST_CASE("integer fields take a float with no fractional part", "[parsing]") {
  ParsedBody json(R"({"name":"db","limit":3.0,"active_slots":2,"slot_decay_per_second":1})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE(ParseLimitCreate(json.body(), &spec, &errors));
  CHECK(spec.limit == 3);
  CHECK(spec.active);
  CHECK(spec.active_slots == 2);
  CHECK(spec.slot_decay_per_second == 1.0);
}

TEST_CASE("a create field with a default refuses an explicit null", "[parsing]") {
  ParsedBody json(R"({"name":"db","limit":1,"active":null,"active_slots":null,)"
                  R"("slot_decay_per_second":null})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(json.body(), &spec, &errors));
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].type == "bool_type");
  CHECK(errors[1].type == "int_type");
  CHECK(errors[2].type == "float_type");
  CHECK(errors[2].input == "null");
}

TEST_CASE("a list of 1,000 bad items reports its first 100 errors, in order", "[parsing]") {
  std::string ids = "[";
  for (int i = 0; i < 1000; ++i) ids += i ? ",1" : "1";
  ParsedBody json(R"({"slot_override":)" + ids + "]}");
  std::vector<Uuid> overrides;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseTagReset(json.body(), &overrides, &errors));
  REQUIRE(errors.size() == kMaxReportedErrors);
  CHECK(errors.front().type == "uuid_type");
  CHECK(std::get<int64_t>(errors.front().loc.back()) == 0);
  CHECK(std::get<int64_t>(errors.back().loc.back()) == 99);
}

TEST_CASE("a body with more than 100 errors over several fields reports exactly 100", "[parsing]") {
  std::string names = "[";
  for (int i = 0; i < 150; ++i) names += i ? ",7" : "7";
  ParsedBody json(R"({"names":)" + names + R"(],"slots":0})");
  SlotsAcquire request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseSlotsAcquire(json.body(), false, &request, &errors));
  CHECK(errors.size() == kMaxReportedErrors);
}

TEST_CASE("a missing model field reports the whole body as input", "[parsing]") {
  ParsedBody json(R"({"name":"x"})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(json.body(), &spec, &errors));
  CHECK(
      DetailJson(errors) ==
      R"([{"type":"missing","loc":["body","limit"],"msg":"Field required","input":{"name":"x"}}])");
}

TEST_CASE("every bad field of a model is reported, then each unknown key", "[parsing]") {
  ParsedBody json(R"({"zz":1,"name":"a/b","limit":1.5,"active":"maybe","denied_slots":-1,)"
                  R"("slot_decay_per_second":"fast","zz":2})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(json.body(), &spec, &errors));
  REQUIRE(errors.size() == 6);
  CHECK(LocText(errors[0]) == R"(["body","active"])");
  CHECK(errors[0].type == "bool_parsing");
  CHECK(errors[0].msg == "Input should be a valid boolean, unable to interpret input");
  CHECK(errors[1].type == "string_pattern_mismatch");
  CHECK(errors[1].msg == "String should match pattern '^[^/%&><]+$'");
  CHECK(errors[1].ctx == R"({"pattern":"^[^/%&><]+$"})");
  CHECK(errors[2].type == "int_from_float");
  CHECK(errors[2].msg == "Input should be a valid integer, got a number with a fractional part");
  CHECK(errors[2].input == "1.5");
  CHECK(errors[3].type == "greater_than_equal");
  CHECK(errors[3].msg == "Input should be greater than or equal to 0");
  CHECK(errors[3].ctx == R"({"ge":0})");
  CHECK(errors[4].type == "float_parsing");
  CHECK(errors[4].msg == "Input should be a valid number, unable to parse string as a number");
  CHECK(LocText(errors[5]) == R"(["body","zz"])");
  CHECK(errors[5].type == "extra_forbidden");
  CHECK(errors[5].msg == "Extra inputs are not permitted");
  CHECK(errors[5].input == "2");  // a Python dict keeps the last value
}

TEST_CASE("integers take what pydantic's lax mode takes: digit strings and booleans", "[parsing]") {
  const std::pair<const char*, int64_t> taken[] = {
      {R"("10")", 10}, {R"(" 7 ")", 7},   {R"("+3")", 3}, {R"("1_000")", 1000},
      {R"("3.0")", 3}, {R"("0012")", 12}, {"true", 1},    {"false", 0},
  };
  for (const auto& [limit, expected] : taken) {
    INFO(limit);
    ParsedBody json(std::string(R"({"name":"x","limit":)") + limit + "}");
    NewLimit spec;
    ValidationErrors errors;
    REQUIRE(ParseLimitCreate(json.body(), &spec, &errors));
    CHECK(spec.limit == expected);
  }
  for (const char* limit : {R"("1.5")", R"("1e3")", R"("0x10")", R"("")", R"("1__0")", R"("3.")"}) {
    INFO(limit);
    ParsedBody json(std::string(R"({"name":"x","limit":)") + limit + "}");
    NewLimit spec;
    ValidationErrors errors;
    REQUIRE_FALSE(ParseLimitCreate(json.body(), &spec, &errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].type == "int_parsing");
    CHECK(errors[0].msg == "Input should be a valid integer, unable to parse string as an integer");
  }
  ParsedBody list(R"({"name":"x","limit":[1]})");
  NewLimit list_spec;
  ValidationErrors list_errors;
  REQUIRE_FALSE(ParseLimitCreate(list.body(), &list_spec, &list_errors));
  CHECK(list_errors[0].type == "int_type");
}

TEST_CASE("numbers take numeric strings and booleans, and booleans take pydantic's words",
          "[parsing]") {
  ParsedBody json(R"({"name":"x","limit":1,"active":"off","slot_decay_per_second":" 2.5 "})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE(ParseLimitCreate(json.body(), &spec, &errors));
  CHECK_FALSE(spec.active);
  CHECK(spec.slot_decay_per_second == 2.5);
  for (const char* active : {R"("yes")", R"("T")", R"("On")", "1", "1.0"}) {
    INFO(active);
    ParsedBody yes(std::string(R"({"name":"x","limit":1,"active":)") + active + "}");
    NewLimit yes_spec;
    REQUIRE(ParseLimitCreate(yes.body(), &yes_spec, &errors));
    CHECK(yes_spec.active);
  }
  const std::pair<const char*, const char*> refused[] = {
      {R"("maybe")", "bool_parsing"}, {"2", "bool_parsing"}, {R"(" true")", "bool_parsing"},
      {"0.5", "bool_type"},           {"[]", "bool_type"},
  };
  for (const auto& [active, type] : refused) {
    INFO(active);
    ParsedBody bad(std::string(R"({"name":"x","limit":1,"active":)") + active + "}");
    NewLimit bad_spec;
    ValidationErrors bad_errors;
    REQUIRE_FALSE(ParseLimitCreate(bad.body(), &bad_spec, &bad_errors));
    CHECK(bad_errors[0].type == type);
  }
}

TEST_CASE("an infinite number that passes the bounds is refused as not finite", "[parsing]") {
  ParsedBody json(R"({"name":"x","limit":1,"slot_decay_per_second":"inf"})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(json.body(), &spec, &errors));
  CHECK(errors[0].type == "finite_number");
  ParsedBody nan(R"({"name":"x","limit":1,"slot_decay_per_second":"nan"})");
  errors.clear();
  REQUIRE_FALSE(ParseLimitCreate(nan.body(), &spec, &errors));
  CHECK(errors[0].type == "greater_than_equal");
}

TEST_CASE("strings stay strict: a number is no string", "[parsing]") {
  ParsedBody name(R"({"name":5,"limit":1})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(name.body(), &spec, &errors));
  CHECK(errors[0].type == "string_type");
  CHECK(errors[0].msg == "Input should be a valid string");
}

TEST_CASE("integers beyond int64 are out of range, not a crash", "[parsing]") {
  ParsedBody json(R"({"name":"x","limit":18446744073709551615,"active_slots":-1e19})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(json.body(), &spec, &errors));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].type == "less_than_equal");
  CHECK(errors[0].msg == "Input should be less than or equal to 9007199254740991");
  CHECK(errors[1].type == "greater_than_equal");
}

TEST_CASE("counts stop at 2^53 - 1, the engine's largest exact count", "[parsing]") {
  ParsedBody fits(R"({"name":"x","limit":9007199254740991,"denied_slots":9007199254740991})");
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE(ParseLimitCreate(fits.body(), &spec, &errors));
  CHECK(spec.limit == kMaxSlotCount);
  ParsedBody over(R"({"name":"x","limit":9007199254740992,"active_slots":9223372036854775807})");
  REQUIRE_FALSE(ParseLimitCreate(over.body(), &spec, &errors));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].msg == "Input should be less than or equal to 9007199254740991");
  CHECK(errors[0].ctx == R"({"le":9007199254740991})");
  CHECK(LocText(errors[1]) == R"(["body","active_slots"])");
  errors.clear();
  ParsedBody slots(R"({"slots":9007199254740992,"names":["x"]})");
  SlotsAcquire request;
  REQUIRE_FALSE(ParseSlotsAcquire(slots.body(), false, &request, &errors));
  CHECK(errors[0].type == "less_than_equal");
  errors.clear();
  ParsedBody tag(R"({"tag":"t","concurrency_limit":1e16})");
  TagLimitUpsert upsert;
  REQUIRE_FALSE(ParseTagLimitUpsert(tag.body(), &upsert, &errors));
  CHECK(errors[0].type == "less_than_equal");
}

TEST_CASE("a model body that is absent or not an object fails at [body]", "[parsing]") {
  NewLimit spec;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLimitCreate(std::nullopt, &spec, &errors));
  CHECK(DetailJson(errors) ==
        R"([{"type":"missing","loc":["body"],"msg":"Field required","input":null}])");
  errors.clear();
  ParsedBody list("[1,2]");
  REQUIRE_FALSE(ParseLimitCreate(list.body(), &spec, &errors));
  CHECK(
      DetailJson(errors) ==
      R"([{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[1,2]}])");
}

TEST_CASE("an update sets only the fields given, notes a null and forbids unknown ones",
          "[parsing]") {
  ParsedBody json(R"({"limit":4,"name":null,"slot_decay_per_second":0.25})");
  LimitPatch patch;
  bool sets_null = false;
  ValidationErrors errors;
  REQUIRE(ParseLimitUpdate(json.body(), &patch, &sets_null, &errors));
  CHECK(sets_null);
  CHECK(patch.limit == 4);
  CHECK_FALSE(patch.name.has_value());
  CHECK_FALSE(patch.active.has_value());
  CHECK(patch.slot_decay_per_second == 0.25);
  ParsedBody extra(R"({"avg_slot_occupancy_seconds":5.0})");
  LimitPatch ignored;
  REQUIRE_FALSE(ParseLimitUpdate(extra.body(), &ignored, &sets_null, &errors));
  CHECK(
      DetailJson(errors) ==
      R"([{"type":"extra_forbidden","loc":["body","avg_slot_occupancy_seconds"],"msg":"Extra inputs are not permitted","input":5.0}])");
}

TEST_CASE("an increment needs positive slots and at least one name", "[parsing]") {
  ParsedBody json(R"({"slots":0,"names":[],"mode":"x"})");
  SlotsAcquire request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseSlotsAcquire(json.body(), false, &request, &errors));
  CHECK(
      DetailJson(errors) ==
      R"([{"type":"greater_than","loc":["body","slots"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}},{"type":"too_short","loc":["body","names"],"msg":"List should have at least 1 item after validation, not 0","input":[],"ctx":{"field_type":"List","min_length":1,"actual_length":0}},{"type":"literal_error","loc":["body","mode"],"msg":"Input should be 'concurrency' or 'rate_limit'","input":"x","ctx":{"expected":"'concurrency' or 'rate_limit'"}}])");
}

TEST_CASE("a missing Body() parameter reports input null, as FastAPI does", "[parsing]") {
  ParsedBody json(R"({"names":["x"],"slots":null})");
  SlotsAcquire request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseSlotsAcquire(json.body(), false, &request, &errors));
  CHECK(DetailJson(errors) ==
        R"([{"type":"missing","loc":["body","slots"],"msg":"Field required","input":null}])");
}

TEST_CASE("a non-object body of Body() parameters reports every parameter missing", "[parsing]") {
  ParsedBody json("7");
  TaskRunTags request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseTaskRunTags(json.body(), &request, &errors));
  REQUIRE(errors.size() == 2);
  CHECK(LocText(errors[0]) == R"(["body","names"])");
  CHECK(LocText(errors[1]) == R"(["body","task_run_id"])");
}

TEST_CASE("unknown keys in a Body() parameter body are ignored", "[parsing]") {
  ParsedBody json(R"({"slots":2,"names":["a","b"],"whatever":1,"create_if_missing":true})");
  SlotsAcquire request;
  ValidationErrors errors;
  REQUIRE(ParseSlotsAcquire(json.body(), false, &request, &errors));
  CHECK(request.slots == 2);
  CHECK(request.names == std::vector<std::string_view>{"a", "b"});
  CHECK(request.mode == AcquireMode::kConcurrency);
}

TEST_CASE("a lease holder is a strict object of a known type and a UUID", "[parsing]") {
  ParsedBody good(R"({"slots":1,"names":["a"],"mode":"rate_limit","lease_duration":60,)"
                  R"("holder":{"type":"flow_run","id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f"}})");
  SlotsAcquire request;
  ValidationErrors errors;
  REQUIRE(ParseSlotsAcquire(good.body(), true, &request, &errors));
  CHECK(request.mode == AcquireMode::kRateLimit);
  CHECK(request.lease_duration_seconds == 60);
  REQUIRE(request.holder.has_value());
  CHECK(request.holder->type == HolderType::kFlowRun);

  ParsedBody bad(R"({"slots":1,"names":["a"],"holder":{"type":"job","extra":1}})");
  REQUIRE_FALSE(ParseSlotsAcquire(bad.body(), true, &request, &errors));
  REQUIRE(errors.size() == 3);
  CHECK(LocText(errors[0]) == R"(["body","holder","type"])");
  CHECK(errors[0].msg == "Input should be 'flow_run', 'task_run' or 'deployment'");
  CHECK(LocText(errors[1]) == R"(["body","holder","id"])");
  CHECK(errors[1].type == "missing");
  CHECK(errors[1].input == R"({"type":"job","extra":1})");
  CHECK(LocText(errors[2]) == R"(["body","holder","extra"])");
}

TEST_CASE("lease durations are bounded to a minute and a day", "[parsing]") {
  ParsedBody short_lease(R"({"lease_duration":59.5})");
  double seconds = 0;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLeaseRenewal(short_lease.body(), &seconds, &errors));
  CHECK(errors[0].msg == "Input should be greater than or equal to 60");
  CHECK(errors[0].ctx == R"({"ge":60})");
  errors.clear();
  ParsedBody long_lease(R"({"lease_duration":86401})");
  REQUIRE_FALSE(ParseLeaseRenewal(long_lease.body(), &seconds, &errors));
  CHECK(errors[0].msg == "Input should be less than or equal to 86400");
  errors.clear();
  REQUIRE(ParseLeaseRenewal(std::nullopt, &seconds, &errors));
  CHECK(seconds == 300);
}

TEST_CASE("occupancy must be positive and is optional", "[parsing]") {
  ParsedBody json(R"({"slots":1,"names":["a"],"occupancy_seconds":0})");
  SlotsRelease request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseSlotsRelease(json.body(), &request, &errors));
  CHECK(errors[0].msg == "Input should be greater than 0");
  CHECK(errors[0].ctx == R"({"gt":0.0})");
  ParsedBody none(R"({"slots":1,"names":["a"],"occupancy_seconds":null})");
  errors.clear();
  REQUIRE(ParseSlotsRelease(none.body(), &request, &errors));
  CHECK_FALSE(request.occupancy_seconds.has_value());
}

TEST_CASE("bad UUIDs are explained as pydantic 2.14 quotes the uuid crate", "[parsing]") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"lease_id":"nope"})", "invalid character: found `n` at 0"},
      {R"({"lease_id":"urn:uuid:x"})", "invalid character: found `x` at 9"},
      {R"({"lease_id":"abc"})", "invalid length: found 3"},
      {R"({"lease_id":"6f1c1c36-0f2c"})", "invalid group count: expected 5, found 2"},
      {R"({"lease_id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5"})",
       "invalid group length in group 4: expected 12, found 11"},
  };
  for (const auto& [body, reason] : cases) {
    INFO(body);
    ParsedBody json(body);
    Uuid id{};
    ValidationErrors errors;
    REQUIRE_FALSE(ParseLeaseRelease(json.body(), &id, &errors));
    CHECK(errors[0].type == "uuid_parsing");
    std::string expected = "Input should be a valid UUID, ";
    expected += reason;
    CHECK(errors[0].msg == expected);
  }
  ParsedBody number(R"({"lease_id":5})");
  Uuid id{};
  ValidationErrors errors;
  REQUIRE_FALSE(ParseLeaseRelease(number.body(), &id, &errors));
  CHECK(errors[0].type == "uuid_type");
  CHECK(errors[0].msg == "UUID input should be a string, bytes or UUID object");
}

TEST_CASE("list items are checked one by one with their index in loc", "[parsing]") {
  ParsedBody json(
      R"({"names":["a",2,"c",null],"task_run_id":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f"})");
  TaskRunTags request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseTaskRunTags(json.body(), &request, &errors));
  REQUIRE(errors.size() == 2);
  CHECK(LocText(errors[0]) == R"(["body","names",1])");
  CHECK(LocText(errors[1]) == R"(["body","names",3])");
  ParsedBody not_list(R"({"slot_override":"6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f"})");
  std::vector<Uuid> ids;
  errors.clear();
  REQUIRE_FALSE(ParseTagReset(not_list.body(), &ids, &errors));
  CHECK(errors[0].type == "list_type");
  CHECK(errors[0].msg == "Input should be a valid list");
}

TEST_CASE("the v1 create forbids a negative limit and banned tag characters", "[parsing]") {
  ParsedBody json(R"({"tag":"a&b","concurrency_limit":-1})");
  TagLimitUpsert request;
  ValidationErrors errors;
  REQUIRE_FALSE(ParseTagLimitUpsert(json.body(), &request, &errors));
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].type == "string_pattern_mismatch");
  CHECK(errors[1].type == "greater_than_equal");
}

TEST_CASE("a filter page defaults to the server limit and bounds it", "[parsing]") {
  Page page;
  ValidationErrors errors;
  CHECK(ParsePage(std::nullopt, 200, &page, &errors) == PageOutcome::kOk);
  CHECK(page.limit == 200);
  CHECK(page.offset == 0);
  ParsedBody big(R"({"limit":201})");
  CHECK(ParsePage(big.body(), 200, &page, &errors) == PageOutcome::kLimitTooLarge);
  ParsedBody negative(R"({"limit":-1,"offset":-5})");
  CHECK(ParsePage(negative.body(), 200, &page, &errors) == PageOutcome::kLimitNegative);
  ParsedBody offset(R"({"offset":-5})");
  CHECK(ParsePage(offset.body(), 200, &page, &errors) == PageOutcome::kInvalid);
  CHECK(errors.at(0).msg == "Input should be greater than or equal to 0");
}

}  // namespace slotd::api::test
