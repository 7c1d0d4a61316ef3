#include "api/options.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace slotd::api::test {

namespace {

struct Parse {
  OptionsOutcome outcome;
  Options options;
  std::string error;
};

Parse Run(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "slotd");
  Parse result;
  auto lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  result.outcome = ParseOptions(static_cast<int>(args.size()), args.data(), lookup, &result.options,
                                &result.error);
  return result;
}

}  // namespace

TEST_CASE("defaults match a stock Prefect server", "[options]") {
  const Parse parse = Run({});
  REQUIRE(parse.outcome == OptionsOutcome::kRun);
  CHECK(parse.options.host == "127.0.0.1");
  CHECK(parse.options.port == 4200);
  CHECK(parse.options.prefect_version == "3.9.1");
  CHECK(parse.options.tag_wait_seconds == 10);
  CHECK(parse.options.max_slot_wait_seconds == 30);
  CHECK(parse.options.lease_sweep_seconds == 1);
  CHECK(parse.options.max_body_bytes == 1 << 20);
  CHECK(parse.options.max_limits == 1'000'000);
  CHECK(parse.options.max_leases == 4'000'000);
  CHECK(parse.options.max_connections == 10000);
  CHECK(parse.options.io_threads == std::max(1u, std::thread::hardware_concurrency() / 2));
  CHECK_FALSE(parse.options.quiet);
  CHECK_FALSE(parse.options.auth_string.has_value());
}

TEST_CASE("flags set every option, with a space or an equals sign", "[options]") {
  const Parse parse =
      Run({"--host", "0.0.0.0", "--port=0", "--prefect-version", "3.9.0", "--tag-wait-seconds",
           "2.5", "--max-slot-wait-seconds=7", "--lease-sweep-seconds", "0.25", "--max-body-bytes",
           "128", "--max-connections", "64", "--io-threads=3", "--max-limits=10", "--max-leases",
           "20", "--quiet"});
  REQUIRE(parse.outcome == OptionsOutcome::kRun);
  CHECK(parse.options.host == "0.0.0.0");
  CHECK(parse.options.port == 0);
  CHECK(parse.options.prefect_version == "3.9.0");
  CHECK(parse.options.tag_wait_seconds == 2.5);
  CHECK(parse.options.max_slot_wait_seconds == 7);
  CHECK(parse.options.lease_sweep_seconds == 0.25);
  CHECK(parse.options.max_body_bytes == 128);
  CHECK(parse.options.max_connections == 64);
  CHECK(parse.options.io_threads == 3);
  CHECK(parse.options.max_limits == 10);
  CHECK(parse.options.max_leases == 20);
  CHECK(parse.options.quiet);
}

TEST_CASE("The option --threads is the old name of --max-connections, and the last one given wins",
          "[options]") {
  CHECK(Run({"--threads", "64"}).options.max_connections == 64);
  CHECK(Run({"--threads=64", "--max-connections", "5"}).options.max_connections == 5);
  CHECK(Run({"--max-connections", "5", "--threads", "64"}).options.max_connections == 64);
  const std::string help = HelpText();
  CHECK(help.find("--threads N                the old name of --max-connections") !=
        std::string::npos);
}

TEST_CASE("Prefect's environment variables apply and flags override them", "[options]") {
  const std::map<std::string, std::string> env = {
      {"PREFECT_SERVER_API_PORT", "4300"},
      {"PREFECT_SERVER_API_HOST", "::1"},
      {"PREFECT_SERVER_API_AUTH_STRING", "admin:pass"},
      {"PREFECT_TASK_RUN_TAG_CONCURRENCY_SLOT_WAIT_SECONDS", "3"},
      {"PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS", "12"},
      {"PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS", "15"},
      {"PREFECT_SERVER_API_DEFAULT_LIMIT", "50"}};
  Parse parse = Run({}, env);
  REQUIRE(parse.outcome == OptionsOutcome::kRun);
  CHECK(parse.options.port == 4300);
  CHECK(parse.options.host == "::1");
  CHECK(parse.options.auth_string == "admin:pass");
  CHECK(parse.options.tag_wait_seconds == 3);
  CHECK(parse.options.max_slot_wait_seconds == 12);
  CHECK(parse.options.lease_sweep_seconds == 15);
  CHECK(parse.options.default_limit == 50);
  parse = Run({"--port", "0", "--tag-wait-seconds", "4"}, env);
  CHECK(parse.options.port == 0);
  CHECK(parse.options.tag_wait_seconds == 4);
}

TEST_CASE("the newer Prefect variable name wins over its old alias", "[options]") {
  const Parse parse = Run({}, {{"PREFECT_SERVER_TASKS_TAG_CONCURRENCY_SLOT_WAIT_SECONDS", "1"},
                               {"PREFECT_TASK_RUN_TAG_CONCURRENCY_SLOT_WAIT_SECONDS", "2"}});
  CHECK(parse.options.tag_wait_seconds == 1);
}

TEST_CASE("bad values and unknown options are errors", "[options]") {
  for (std::vector<const char*> args :
       std::vector<std::vector<const char*>>{{"--port", "70000"},
                                             {"--port", "x"},
                                             {"--bogus"},
                                             {"--port"},
                                             {"--lease-sweep-seconds", "0"},
                                             {"--tag-wait-seconds", "-1"},
                                             {"--max-body-bytes", "0"},
                                             {"--threads", "0"},
                                             {"--max-connections", "0"},
                                             {"--max-connections", "-1"},
                                             {"--io-threads", "0"},
                                             {"--io-threads", "two"},
                                             {"--max-limits", "0"},
                                             {"--max-leases", "-5"},
                                             {"--max-leases", "1e6"}}) {
    const Parse parse = Run(args);
    INFO(args[0]);
    CHECK(parse.outcome == OptionsOutcome::kError);
    CHECK_FALSE(parse.error.empty());
  }
  CHECK(Run({}, {{"PREFECT_SERVER_API_PORT", "nope"}}).outcome == OptionsOutcome::kError);
}

TEST_CASE("names are bounded at 4096 bytes by default and --max-name-bytes takes 5 or more",
          "[options]") {
  CHECK(Run({}).options.max_name_bytes == 4096);
  const Parse parse = Run({"--max-name-bytes", "5"});
  REQUIRE(parse.outcome == OptionsOutcome::kRun);
  CHECK(parse.options.max_name_bytes == 5);
  CHECK(Run({"--max-name-bytes=65536"}).options.max_name_bytes == 65536);
  for (const char* bad : {"4", "0", "-1", "4k"}) {
    INFO(bad);
    CHECK(Run({"--max-name-bytes", bad}).outcome == OptionsOutcome::kError);
  }
  CHECK(HelpText().find("--max-name-bytes") != std::string::npos);
}

TEST_CASE("request bodies held at once are bounded at 256 MiB by default, and never below one body",
          "[options]") {
  CHECK(Run({}).options.max_body_total_bytes == 256u << 20);
  CHECK(Run({"--max-body-total-bytes", "4096", "--max-body-bytes", "4096"})
            .options.max_body_total_bytes == 4096);
  const Parse below = Run({"--max-body-total-bytes", "100", "--max-body-bytes", "200"});
  CHECK(below.outcome == OptionsOutcome::kError);
  CHECK(below.error == "--max-body-total-bytes must be at least --max-body-bytes");
  CHECK(Run({"--max-body-total-bytes", "0"}).outcome == OptionsOutcome::kError);
  CHECK(HelpText().find("--max-body-total-bytes") != std::string::npos);
}

TEST_CASE("the log ring keeps 10000 logs by default and --log-ring takes 1 or more", "[options]") {
  CHECK(Run({}).options.log_ring == 10'000);
  CHECK(Run({"--log-ring", "1"}).options.log_ring == 1);
  CHECK(Run({"--log-ring", "0"}).outcome == OptionsOutcome::kError);
  CHECK(HelpText().find("--log-ring") != std::string::npos);
}

TEST_CASE("the event ring keeps 10000 events by default and --event-ring takes 1 or more",
          "[options]") {
  CHECK(Run({}).options.event_ring == 10'000);
  CHECK(Run({"--event-ring", "1"}).options.event_ring == 1);
  CHECK(Run({"--event-ring", "0"}).outcome == OptionsOutcome::kError);
  CHECK(HelpText().find("--event-ring") != std::string::npos);
}

TEST_CASE("The option --help asks for the help text, which names the environment variables",
          "[options]") {
  CHECK(Run({"--port", "1", "--help"}).outcome == OptionsOutcome::kHelp);
  const std::string help = HelpText();
  for (const char* name :
       {"PREFECT_SERVER_API_HOST", "PREFECT_SERVER_API_PORT", "PREFECT_SERVER_API_AUTH_STRING",
        "PREFECT_SERVER_TASKS_TAG_CONCURRENCY_SLOT_WAIT_SECONDS"}) {
    CHECK(help.find(name) != std::string::npos);
  }
}

TEST_CASE("loopback hosts are 127.0.0.0/8, ::1 and localhost", "[options]") {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    INFO(host);
    CHECK(IsLoopbackHost(host));
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.10", "example.com", "128.0.0.1", ""}) {
    INFO(host);
    CHECK_FALSE(IsLoopbackHost(host));
  }
}

TEST_CASE("fair waiting is off by default and its settings are read", "[options]") {
  const Options defaults = Run({}).options;
  CHECK(defaults.wait_seconds == 0);
  CHECK(defaults.max_wait_seconds == 60);
  CHECK(defaults.max_waiters == 10'000);
  CHECK(defaults.max_overtakes == 4);
  CHECK_FALSE(defaults.strict_wait_order);
  const Parse parse = Run({"--wait-seconds", "2.5", "--max-wait-seconds", "30", "--max-waiters",
                           "100", "--max-overtakes", "0", "--wait-order", "strict"});
  REQUIRE(parse.outcome == OptionsOutcome::kRun);
  CHECK(parse.options.wait_seconds == 2.5);
  CHECK(parse.options.max_wait_seconds == 30);
  CHECK(parse.options.max_waiters == 100);
  CHECK(parse.options.max_overtakes == 0);
  CHECK(parse.options.strict_wait_order);
  for (const char* bad : {"-1", "x"})
    CHECK(Run({"--wait-seconds", bad}).outcome == OptionsOutcome::kError);
  CHECK(Run({"--wait-order", "lifo"}).outcome == OptionsOutcome::kError);
  CHECK(Run({"--max-overtakes", "-1"}).outcome == OptionsOutcome::kError);
  CHECK(HelpText().find("--wait-seconds") != std::string::npos);
}

TEST_CASE(
    "the option --metrics-max-limits sets how many limits /metrics shows one by one, 0 included",
    "[options]") {
  CHECK(Run({}).options.metrics_max_limits == 1000);
  CHECK(Run({"--metrics-max-limits", "0"}).options.metrics_max_limits == 0);
  CHECK(Run({"--metrics-max-limits=25"}).options.metrics_max_limits == 25);
  CHECK(Run({"--metrics-max-limits", "-1"}).outcome == OptionsOutcome::kError);
  CHECK(Run({"--metrics-max-limits", "x"}).outcome == OptionsOutcome::kError);
}

TEST_CASE("the option --log-format takes text or json and nothing else", "[options]") {
  CHECK_FALSE(Run({}).options.log_json);
  CHECK(Run({"--log-format", "json"}).options.log_json);
  CHECK_FALSE(Run({"--log-format=json", "--log-format=text"}).options.log_json);
  const Parse bad = Run({"--log-format", "JSON"});
  CHECK(bad.outcome == OptionsOutcome::kError);
  CHECK(bad.error == "invalid value for --log-format: 'JSON'");
}

}  // namespace slotd::api::test
