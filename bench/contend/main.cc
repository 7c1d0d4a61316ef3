// slotd-contend: the contention lab. Simulates Prefect workers fighting over
// concurrency slots on any server that speaks Prefect's concurrency-limit
// API (by default a slotd it starts itself) and reports what a limit of N
// does to them. See kUsage in cli.cc and the README's "Benchmarking slot
// contention".
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli.h"
#include "plots.h"
#include "report.h"
#include "run.h"
#include "slotd_launcher.h"
#include "summary.h"

namespace slotd::contend {
namespace {

enum ExitCode { kExitClean = 0, kExitRunFailed = 1, kExitUsage = 2, kExitBreach = 3 };

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "slotd-contend: %s\n", message.c_str());
  return code;
}

// Where to run: --url, or a slotd started here. Returns "" or the problem.
std::string ChooseServer(const CliOptions& o, LocalSlotd& local, Endpoint* endpoint) {
  std::string url = o.url;
  if (url.empty()) {
    std::string binary = o.slotd_binary.empty() ? SlotdBesideThisProgram() : o.slotd_binary;
    if (binary.empty()) return "no slotd beside this program: give --slotd PATH or --url URL";
    if (std::string error = local.Start(binary); !error.empty()) return error;
    url = local.url();
  }
  std::string error;
  if (!ParseApiUrl(url, endpoint, &error)) return error;
  endpoint->auth = o.auth;
  return "";
}

std::string WriteOutputs(const CliOptions& o, const Summary& summary) {
  std::ofstream json(o.out_dir + "/report.json");
  json << JsonReport(o.scenario, summary);
  if (!json) return "cannot write " + o.out_dir + "/report.json";
  PlotOutcome plots = WritePlots(o.scenario, summary, o.out_dir, o.plots);
  std::printf("\n  %-22s %s/report.json\n  %-22s %s\n", "report", o.out_dir.c_str(), "plots",
              plots.message.c_str());
  return "";
}

int Run(const CliOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return Fail("cannot create " + o.out_dir + ": " + ec.message(), kExitRunFailed);
  LocalSlotd local;
  RunOptions run;
  if (std::string error = ChooseServer(o, local, &run.endpoint); !error.empty()) {
    return Fail(error, kExitRunFailed);
  }
  run.verify_holds = o.verify_holds;
  run.keep_limits = o.keep_limits;
  run.progress = o.quiet ? nullptr : stderr;
  std::string url = run.endpoint.origin + run.endpoint.prefix;
  RunResult result;
  if (std::string error = RunScenario(o.scenario, run, &result); !error.empty()) {
    return Fail("cannot run against " + url + ": " + error, kExitRunFailed);
  }
  Summary summary = Summarize(o.scenario, result, url);
  WriteTextReport(o.scenario, summary, stdout);
  if (std::string error = WriteOutputs(o, summary); !error.empty())
    return Fail(error, kExitRunFailed);
  std::string server_end = local.Stop();
  if (!server_end.empty()) Fail(server_end, kExitRunFailed);
  if (summary.breach_count > 0) return kExitBreach;
  bool failed =
      !summary.errors.fatal.empty() || summary.errors.release_failures > 0 || !server_end.empty();
  return failed ? kExitRunFailed : kExitClean;
}

}  // namespace
}  // namespace slotd::contend

int main(int argc, char** argv) {
  using namespace slotd::contend;
  // A server closing a connection must be an error on that request, not the end of the tool.
  std::signal(SIGPIPE, SIG_IGN);
  CliOptions options;
  std::vector<std::string> errors = ParseCommandLine(argc, argv, &options);
  if (options.help) {
    std::fputs(kUsage, stdout);
    return kExitClean;
  }
  if (errors.empty()) errors = ValidateScenario(options.scenario);
  Endpoint endpoint;
  std::string url_error;
  if (!options.url.empty() && !ParseApiUrl(options.url, &endpoint, &url_error)) {
    errors.push_back(url_error);
  }
  for (const std::string& error : errors) Fail(error, kExitUsage);
  if (!errors.empty()) return Fail("see slotd-contend --help", kExitUsage);
  return Run(options);
}
