#include "run_support.h"

#include <catch2/catch.hpp>

#include "run.h"

namespace slotd::contend::test {

WorkerGroup Workers(int count, Api api, std::vector<std::string> acquire, double hold_ms) {
  WorkerGroup g;
  g.name = std::string(ApiName(api)) + "-workers";
  g.count = count;
  g.api = api;
  g.acquire = std::move(acquire);
  g.hold = {Duration::Kind::kConstant, hold_ms, 0};
  return g;
}

Scenario ShortScenario(std::vector<LimitSpec> limits, std::vector<WorkerGroup> groups,
                       double seconds) {
  Scenario s;
  s.name = "test";
  s.duration_s = seconds;
  s.on_refusal = {RefusalPolicy::Kind::kFixed, 5};
  s.limits = std::move(limits);
  s.workers = std::move(groups);
  return s;
}

Endpoint EndpointFor(const std::string& url) {
  Endpoint endpoint;
  std::string error;
  INFO(url);
  REQUIRE(ParseApiUrl(url, &endpoint, &error));
  return endpoint;
}

Summary RunAndSummarize(const Scenario& scenario, const std::string& url, bool verify_holds) {
  std::vector<std::string> problems = ValidateScenario(scenario);
  INFO((problems.empty() ? "" : problems[0]));
  REQUIRE(problems.empty());
  RunOptions options;
  options.endpoint = EndpointFor(url);
  options.verify_holds = verify_holds;
  RunResult result;
  REQUIRE(RunScenario(scenario, options, &result) == "");
  return Summarize(scenario, result, url);
}

}  // namespace slotd::contend::test
