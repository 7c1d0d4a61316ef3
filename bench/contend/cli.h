// The command line of slotd-contend: a scenario file or flags that describe
// one, flags that override the file (duration, seed, refusal policy), and
// where to run it and put the results. kUsage is the --help text.
#pragma once

#include <string>
#include <vector>

#include "scenario.h"

namespace slotd::contend {

extern const char* const kUsage;

struct CliOptions {
  Scenario scenario;         // from the file or the flags, overrides applied
  std::string url;           // the API root; empty: start our own slotd
  std::string slotd_binary;  // which slotd to start; empty: the one beside this program
  std::string out_dir = "contend-out";
  std::string auth;  // "user:password"; default $PREFECT_API_AUTH_STRING
  bool verify_holds = false;
  bool keep_limits = false;
  bool quiet = false;
  bool plots = true;
  bool help = false;
};

// Parses argv; returns the usage problems found (empty when fine). The
// scenario is not validated here: see ValidateScenario.
std::vector<std::string> ParseCommandLine(int argc, const char* const* argv, CliOptions* options);

// "constant:50", "uniform:20:80", "exponential:50" or a bare "50" (constant),
// all in milliseconds. False when malformed.
bool ParseDurationSpec(const std::string& text, Duration* duration);

}  // namespace slotd::contend
