#include "cli.h"

#include <catch2/catch.hpp>

namespace slotd::contend::test {
namespace {

std::vector<std::string> Parse(std::vector<const char*> args, CliOptions* options) {
  args.insert(args.begin(), "slotd-contend");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), options);
}

TEST_CASE("Flags describe a scenario with one group of workers") {
  CliOptions o;
  auto errors = Parse({"--limit", "tag:db=4", "--limit=api=10/0.5", "--workers", "64", "--api",
                       "v1_tag", "--acquire", "tag:db", "--hold", "exponential:50", "--duration",
                       "3", "--seed", "9", "--on-refusal", "fixed:20", "--quiet"},
                      &o);
  REQUIRE(errors.empty());
  const Scenario& s = o.scenario;
  REQUIRE(s.limits.size() == 2);
  CHECK(s.limits[0].name == "tag:db");
  CHECK(s.limits[0].limit == 4);
  CHECK(s.limits[1].slot_decay_per_second == 0.5);
  REQUIRE(s.workers.size() == 1);
  CHECK(s.workers[0].count == 64);
  CHECK(s.workers[0].api == Api::kV1Tag);
  CHECK(s.workers[0].acquire == std::vector<std::string>{"tag:db"});
  CHECK(s.workers[0].hold.kind == Duration::Kind::kExponential);
  CHECK(s.duration_s == 3);
  CHECK(s.seed == 9);
  CHECK(s.on_refusal.kind == RefusalPolicy::Kind::kFixed);
  CHECK(s.on_refusal.interval_ms == 20);
  CHECK(o.quiet);
  CHECK(o.plots);
}

TEST_CASE("Without --acquire the workers take every limit") {
  CliOptions o;
  REQUIRE(Parse({"--limit", "a=1", "--limit", "b=2"}, &o).empty());
  CHECK(o.scenario.workers[0].acquire == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Duration, seed and refusal flags override a scenario file") {
  CliOptions o;
  std::string path = std::string(SLOTD_CONTEND_SCENARIOS) + "/tag-limit-4-herd.json";
  REQUIRE(Parse({path.c_str(), "--duration", "1.5", "--seed", "3", "--on-refusal", "fixed:5",
                 "--url", "http://127.0.0.1:4200/api", "--out", "/tmp/x", "--no-plots"},
                &o)
              .empty());
  CHECK(o.scenario.name == "tag-limit-4-herd");
  CHECK(o.scenario.duration_s == 1.5);
  CHECK(o.scenario.seed == 3);
  CHECK(o.scenario.on_refusal.kind == RefusalPolicy::Kind::kFixed);
  CHECK(o.url == "http://127.0.0.1:4200/api");
  CHECK(o.out_dir == "/tmp/x");
  CHECK_FALSE(o.plots);
}

TEST_CASE("the option --prefer-wait asks every group of a scenario file to wait in the server") {
  CliOptions o;
  std::string path = std::string(SLOTD_CONTEND_SCENARIOS) + "/three-overlapping-limits.json";
  REQUIRE(Parse({path.c_str(), "--prefer-wait", "30"}, &o).empty());
  REQUIRE(o.scenario.workers.size() == 3);
  for (const WorkerGroup& g : o.scenario.workers) CHECK(g.prefer_wait_s == 30);
  CHECK_FALSE(Parse({path.c_str(), "--prefer-wait", "0.5"}, &o).empty());
}

TEST_CASE("A scenario file and describing flags together are refused") {
  CliOptions o;
  auto errors = Parse({"s.json", "--limit", "a=1"}, &o);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("either a scenario file or") != std::string::npos);
}

TEST_CASE("Unknown flags, missing values and bad values are reported") {
  CliOptions o;
  auto errors = Parse({"--limit", "a=x", "--bogus", "--hold", "gamma:3", "--seed"}, &o);
  std::string all;
  for (const std::string& e : errors) all += e + "\n";
  CHECK(all.find("--limit: cannot use \"a=x\"") != std::string::npos);
  CHECK(all.find("unknown argument --bogus") != std::string::npos);
  CHECK(all.find("--hold: cannot use \"gamma:3\"") != std::string::npos);
  CHECK(all.find("--seed needs a value") != std::string::npos);
}

TEST_CASE("Nothing to run is a usage error, but --help is not") {
  CliOptions o;
  CHECK_FALSE(Parse({}, &o).empty());
  CliOptions help;
  CHECK(Parse({"--help"}, &help).empty());
  CHECK(help.help);
}

TEST_CASE("Duration specs read constant, uniform and exponential milliseconds") {
  Duration d;
  REQUIRE(ParseDurationSpec("50", &d));
  CHECK((d.kind == Duration::Kind::kConstant && d.a_ms == 50));
  REQUIRE(ParseDurationSpec("uniform:20:80", &d));
  CHECK((d.kind == Duration::Kind::kUniform && d.a_ms == 20 && d.b_ms == 80));
  REQUIRE(ParseDurationSpec("exponential:12.5", &d));
  CHECK((d.kind == Duration::Kind::kExponential && d.a_ms == 12.5));
  CHECK_FALSE(ParseDurationSpec("uniform:20", &d));
  CHECK_FALSE(ParseDurationSpec("constant:", &d));
  CHECK_FALSE(ParseDurationSpec("", &d));
}

}  // namespace
}  // namespace slotd::contend::test
