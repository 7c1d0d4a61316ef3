#include "scenario.h"

#include <catch2/catch.hpp>

#include "scenario_json.h"

namespace slotd::contend::test {
namespace {

bool Mentions(const std::vector<std::string>& errors, const std::string& text) {
  for (const std::string& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

const char* kMinimal = R"({
  "limits": [{"name": "tag:db", "limit": 2}],
  "workers": [{"api": "v1_tag", "acquire": ["tag:db"],
               "hold": {"distribution": "constant", "ms": 5}}]
})";

Scenario Parsed(const std::string& json) {
  Scenario s;
  std::vector<std::string> errors = ParseScenarioJson(json, &s);
  INFO(errors.size() << " errors, first: " << (errors.empty() ? "" : errors[0]));
  REQUIRE(errors.empty());
  return s;
}

TEST_CASE("The example scenarios parse and validate") {
  for (const char* name : {"tag-limit-4-herd.json", "three-overlapping-limits.json"}) {
    Scenario s;
    std::string path = std::string(SLOTD_CONTEND_SCENARIOS) + "/" + name;
    INFO(path);
    CHECK(LoadScenarioFile(path, &s).empty());
    CHECK(ValidateScenario(s).empty());
  }
}

TEST_CASE("The herd example is a tag limit of 4 with 64 workers holding about 50 ms") {
  Scenario s;
  REQUIRE(LoadScenarioFile(std::string(SLOTD_CONTEND_SCENARIOS) + "/tag-limit-4-herd.json", &s)
              .empty());
  REQUIRE(s.limits.size() == 1);
  CHECK(s.limits[0].limit == 4);
  CHECK(TotalWorkers(s) == 64);
  CHECK(s.workers[0].hold.kind == Duration::Kind::kExponential);
  CHECK(s.workers[0].hold.a_ms == 50);
}

TEST_CASE("A minimal scenario takes the documented defaults") {
  Scenario s = Parsed(kMinimal);
  CHECK(s.duration_s == 10);
  CHECK(s.seed == 1);
  CHECK(s.on_refusal.kind == RefusalPolicy::Kind::kRetryAfter);
  REQUIRE(s.workers.size() == 1);
  CHECK(s.workers[0].count == 1);
  CHECK(s.workers[0].slots == 1);
  CHECK(s.workers[0].pause.a_ms == 0);
  CHECK(s.limits[0].slot_decay_per_second == 0);
  CHECK(ValidateScenario(s).empty());
}

TEST_CASE("Every field of the format is read") {
  Scenario s = Parsed(R"({
    "name": "n", "description": "d", "duration_seconds": 2.5, "seed": 18446744073709551615,
    "on_refusal": {"policy": "fixed", "interval_ms": 25},
    "limits": [{"name": "a", "limit": 3, "slot_decay_per_second": 0.5}],
    "workers": [{"name": "g", "count": 4, "api": "v2_increment", "acquire": ["a"], "slots": 2,
                 "hold": {"distribution": "uniform", "min_ms": 1, "max_ms": 2},
                 "pause": {"distribution": "exponential", "mean_ms": 3},
                 "start_spread_ms": 7, "lease_duration_seconds": 90}]})");
  CHECK(s.name == "n");
  CHECK(s.duration_s == 2.5);
  CHECK(s.seed == 18446744073709551615ULL);
  CHECK(s.on_refusal.kind == RefusalPolicy::Kind::kFixed);
  CHECK(s.on_refusal.interval_ms == 25);
  CHECK(s.limits[0].slot_decay_per_second == 0.5);
  const WorkerGroup& g = s.workers[0];
  CHECK(g.api == Api::kV2Increment);
  CHECK(g.slots == 2);
  CHECK(g.hold.kind == Duration::Kind::kUniform);
  CHECK(g.hold.b_ms == 2);
  CHECK(g.pause.kind == Duration::Kind::kExponential);
  CHECK(g.start_spread_ms == 7);
  CHECK(g.lease_duration_s == 90);
}

TEST_CASE("A group may ask for server-side waiting, in whole seconds") {
  Scenario s = Parsed(R"({
    "limits": [{"name": "tag:db", "limit": 2}],
    "workers": [{"api": "v1_tag", "acquire": ["tag:db"], "prefer_wait_seconds": 30,
                 "hold": {"distribution": "constant", "ms": 5}}]
  })");
  CHECK(s.workers[0].prefer_wait_s == 30);
  CHECK(Parsed(kMinimal).workers[0].prefer_wait_s == 0);
  Scenario bad;
  CHECK(Mentions(ParseScenarioJson(R"({
    "limits": [{"name": "tag:db", "limit": 2}],
    "workers": [{"api": "v1_tag", "acquire": ["tag:db"], "prefer_wait_seconds": 1.5}]
  })",
                                   &bad),
                 "prefer_wait_seconds"));
  s.workers[0].prefer_wait_s = -1;
  CHECK(Mentions(ValidateScenario(s), "prefer_wait_seconds"));
}

TEST_CASE("A misspelt key is reported with its path instead of ignored") {
  Scenario s;
  auto errors = ParseScenarioJson(R"({"limits": [{"name": "a", "limit": 1, "decay": 1}],
      "workers": [{"api": "v2_lease", "acquire": ["a"],
                   "hold": {"distribution": "constant", "ms": 1}}]})",
                                  &s);
  CHECK(Mentions(errors, "limits[0].decay: unknown key"));
}

TEST_CASE("A wrong type or a missing field names the key") {
  Scenario s;
  auto errors = ParseScenarioJson(R"({"duration_seconds": "10", "limits": [{"limit": 1.5}],
      "workers": [{"api": "v3", "acquire": "a", "hold": {"distribution": "normal"}}]})",
                                  &s);
  CHECK(Mentions(errors, "duration_seconds: expected a number"));
  CHECK(Mentions(errors, "limits[0].name: missing"));
  CHECK(Mentions(errors, "limits[0].limit: expected an integer"));
  CHECK(Mentions(errors, "workers[0].api: expected v1_tag, v2_lease or v2_increment"));
  CHECK(Mentions(errors, "workers[0].acquire: expected an array"));
  CHECK(Mentions(errors, "workers[0].hold.distribution: expected constant, uniform or"));
}

TEST_CASE("Text that is not JSON is reported as such") {
  Scenario s;
  auto errors = ParseScenarioJson("{\"limits\": [", &s);
  REQUIRE(errors.size() == 1);
  CHECK(Mentions(errors, "not valid JSON"));
  CHECK(Mentions(ParseScenarioJson("[1]", &s), "scenario: expected an object"));
}

TEST_CASE("An unreadable scenario file is one clear error") {
  Scenario s;
  auto errors = LoadScenarioFile("/nonexistent/scenario.json", &s);
  REQUIRE(errors.size() == 1);
  CHECK(Mentions(errors, "cannot read scenario file /nonexistent/scenario.json"));
}

TEST_CASE("Validation names limits the workers need but the scenario lacks") {
  Scenario s = Parsed(kMinimal);
  s.workers[0].acquire = {"tag:db", "tag:missing"};
  CHECK(Mentions(ValidateScenario(s), "workers[0].acquire: unknown limit \"tag:missing\""));
}

TEST_CASE("Validation keeps v1 workers to tag limits and one slot") {
  Scenario s = Parsed(kMinimal);
  s.limits.push_back({"plain", 5, 0});
  s.workers[0].acquire = {"plain"};
  s.workers[0].slots = 2;
  auto errors = ValidateScenario(s);
  CHECK(Mentions(errors, "v1_tag workers need tag limits"));
  CHECK(Mentions(errors, "v1_tag takes exactly one slot per tag"));
}

TEST_CASE("Validation refuses numbers the server would refuse or that cannot run") {
  Scenario s = Parsed(kMinimal);
  s.duration_s = 0;
  s.limits[0].limit = 0;
  s.workers[0].api = Api::kV2Lease;
  s.workers[0].slots = 3;
  s.workers[0].lease_duration_s = 30;
  s.workers[0].hold = {Duration::Kind::kUniform, 9, 3};
  auto errors = ValidateScenario(s);
  CHECK(Mentions(errors, "duration_seconds: must be > 0"));
  CHECK(Mentions(errors, "limits[0].limit: must be >= 1"));
  CHECK(Mentions(errors, "workers[0].slots: 3 exceeds the limit of \"tag:db\""));
  CHECK(Mentions(errors, "lease_duration_seconds: must be within 60..86400"));
  CHECK(Mentions(errors, "workers[0].hold: uniform needs min_ms <= max_ms"));
}

TEST_CASE("Validation refuses duplicate and unusable limit names") {
  Scenario s = Parsed(kMinimal);
  s.limits.push_back({"tag:db", 1, 0});
  s.limits.push_back({"a/b", 1, 0});
  auto errors = ValidateScenario(s);
  CHECK(Mentions(errors, "limits[1].name: \"tag:db\" twice"));
  CHECK(Mentions(errors, "limits[2].name: must be non-empty and contain none of"));
}

}  // namespace
}  // namespace slotd::contend::test
