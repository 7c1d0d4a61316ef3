#include "report.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <cstdio>

namespace slotd::contend::test {
namespace {

Summary SampleSummary() {
  Summary s;
  s.scenario_name = "sample";
  s.seed = 5;
  s.server = "http://127.0.0.1:1/api";
  s.window_s = 2;
  s.workers = 3;
  s.acquisitions = 10;
  s.acquisitions_per_second = 5;
  s.wait = {10, 1.5, 0.25, 2, 12.5, 40};
  s.refusals = 4;
  s.refusals_per_acquisition = 0.4;
  s.jain_index = 0.9;
  s.limits.push_back({"tag:\"db\"", 2, 0, 1.5, 0.75, 2, {}});
  s.breach_count = 1;
  s.breaches.push_back({Breach::Kind::kOverLimit, 1.25, "tag:\"db\"", "3 slots held"});
  return s;
}

Scenario SampleScenario() {
  Scenario s;
  s.name = "sample";
  s.seed = 5;
  return s;
}

TEST_CASE("The JSON report is valid JSON carrying every headline number") {
  std::string json = JsonReport(SampleScenario(), SampleSummary());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE_FALSE(parser.parse(json).get(doc));
  CHECK(doc["acquisitions"].get_int64().value() == 10);
  CHECK(doc["acquisitions_per_second"].get_double().value() == 5);
  CHECK(doc["wait_ms"]["p99"].get_double().value() == 12.5);
  CHECK(doc["refusals_per_acquisition"].get_double().value() == 0.4);
  CHECK(doc["limits"].at(0)["utilisation"].get_double().value() == 0.75);
  CHECK(std::string(doc["limits"].at(0)["name"].get_string().value()) == "tag:\"db\"");
  CHECK(doc["fairness"]["jain_index"].get_double().value() == 0.9);
  CHECK(doc["breaches"]["count"].get_int64().value() == 1);
  CHECK(std::string(doc["breaches"]["first"].at(0)["kind"].get_string().value()) == "over_limit");
  CHECK(doc["errors"]["cleanup"].is_null());
}

TEST_CASE("An infinite refusal ratio is written as null") {
  Summary s = SampleSummary();
  s.refusals_per_acquisition = INFINITY;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE_FALSE(parser.parse(JsonReport(SampleScenario(), s)).get(doc));
  CHECK(doc["refusals_per_acquisition"].is_null());
}

TEST_CASE("The text report shows the numbers and shouts about breaches") {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  WriteTextReport(SampleScenario(), SampleSummary(), out);
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  CHECK(text.find("10 in 2.0 s = 5.0/s") != std::string::npos);
  CHECK(text.find("p50 0.25 ms  p90 2.00 ms  p99 12.5 ms  max 40.0 ms") != std::string::npos);
  CHECK(text.find("0.750  (mean 1.50 of 2 held, peak 2)") != std::string::npos);
  CHECK(text.find("INVARIANT BREACHES") != std::string::npos);
  CHECK(text.find("over_limit on tag:\"db\" at 1.250 s: 3 slots held") != std::string::npos);
}

TEST_CASE("Milliseconds are shown with precision to match their size") {
  CHECK(FormatMs(0.213) == "0.21 ms");
  CHECK(FormatMs(48.26) == "48.3 ms");
  CHECK(FormatMs(10003.4) == "10003 ms");
}

}  // namespace
}  // namespace slotd::contend::test
