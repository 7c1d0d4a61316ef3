#include "cli.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

#include "scenario_json.h"

namespace slotd::contend {

const char* const kUsage = R"(usage: slotd-contend [SCENARIO.json] [options]

Simulates Prefect workers fighting over concurrency slots on a server that
speaks Prefect's concurrency-limit API, and reports throughput, utilisation,
waits, 423s, fairness and any invariant breach it saw.

Where:
  --url URL             API root of the server, e.g. http://127.0.0.1:4200/api
                        (default: start the slotd beside this program on a free port)
  --slotd PATH          the slotd binary to start when no --url is given
  --auth USER:PASS      HTTP basic auth (default: $PREFECT_API_AUTH_STRING)
  --out DIR             report.json, .dat files and PNGs go here (default: contend-out)

Overriding the scenario:
  --duration SECONDS    how long the run lasts
  --seed N              the seed of every random draw
  --on-refusal POLICY   retry_after (sleep the 423's Retry-After, as Prefect's
                        clients do) or fixed:MS (retry every MS milliseconds)
  --prefer-wait S       every group asks "Prefer: wait=S" (RFC 7240): slotd
                        queues a request up to S s for a slot, first come,
                        first served, instead of answering 423 at once

Describing a scenario without a file (one group of workers):
  --limit NAME=N[/DECAY]  a limit to create (repeatable); tag limits are "tag:<tag>"
  --workers N           how many workers (default 1)
  --api API             v1_tag, v2_lease (default) or v2_increment
  --acquire A[,B...]    the limits each acquisition takes (default: every --limit)
  --slots K             slots per limit per acquisition (default 1)
  --hold SPEC           how long a slot is held: constant:MS, uniform:MIN:MAX or
                        exponential:MEAN (default constant:50)
  --pause SPEC          time between a release and the next attempt (default 0)
  --start-spread MS     workers start at uniform offsets in [0, MS)

Checks and output:
  --verify-holds        before each release, ask the server whether it still
                        knows the hold (v1: holder list, v2 lease: renew)
  --keep-limits         leave the limits on the server after the run
  --no-plots            do not run gnuplot (the .dat files and script are still written)
  --quiet               no progress line
  --help

Exit status: 0 clean run, 1 the run failed or workers hit errors,
2 bad usage or scenario, 3 an invariant breach was observed.
)";

namespace {

using Handler = std::function<bool(const std::string&)>;

bool ParseNumber(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

bool ParseInteger(const std::string& text, int64_t* out) {
  char* end = nullptr;
  *out = std::strtoll(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0';
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

// "tag:db=4" or "api=10/0.5": a name, a limit and an optional decay.
bool ParseLimitSpec(const std::string& text, LimitSpec* limit) {
  auto equals = text.rfind('=');
  if (equals == std::string::npos) return false;
  limit->name = text.substr(0, equals);
  std::vector<std::string> values = Split(text.substr(equals + 1), '/');
  if (values.empty() || values.size() > 2 || !ParseInteger(values[0], &limit->limit)) return false;
  return values.size() == 1 || ParseNumber(values[1], &limit->slot_decay_per_second);
}

bool ParseRefusal(const std::string& text, RefusalPolicy* policy) {
  if (text == "retry_after") {
    policy->kind = RefusalPolicy::Kind::kRetryAfter;
    return true;
  }
  policy->kind = RefusalPolicy::Kind::kFixed;
  return text.rfind("fixed:", 0) == 0 && ParseNumber(text.substr(6), &policy->interval_ms);
}

bool ParseCount(const std::string& text, int* out) {
  int64_t n = 0;
  if (!ParseInteger(text, &n) || n < 0 || n > (1 << 30)) return false;
  *out = static_cast<int>(n);
  return true;
}

bool ParseSeed(const std::string& text, uint64_t* out) {
  char* end = nullptr;
  *out = std::strtoull(text.c_str(), &end, 10);
  return !text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) && *end == '\0';
}

// Flags that describe a scenario (only without a scenario file).
std::map<std::string, Handler> ScenarioFlags(Scenario& s, WorkerGroup& g) {
  return {
      {"--limit", [&](auto& v) { return ParseLimitSpec(v, &s.limits.emplace_back()); }},
      {"--workers", [&](auto& v) { return ParseCount(v, &g.count); }},
      {"--api", [&](auto& v) { return ParseApi(v, &g.api); }},
      {"--acquire",
       [&](auto& v) {
         g.acquire = Split(v, ',');
         return !g.acquire.empty();
       }},
      {"--slots", [&](auto& v) { return ParseInteger(v, &g.slots); }},
      {"--hold", [&](auto& v) { return ParseDurationSpec(v, &g.hold); }},
      {"--pause", [&](auto& v) { return ParseDurationSpec(v, &g.pause); }},
      {"--start-spread", [&](auto& v) { return ParseNumber(v, &g.start_spread_ms); }},
  };
}

// Which scenario fields the command line overrides.
struct Overrides {
  Scenario values;
  bool duration = false, seed = false, refusal = false, prefer_wait = false;
  int64_t prefer_wait_s = 0;
};

// Flags that override the scenario, file or not, and choose the run's setting.
std::map<std::string, Handler> RunFlags(CliOptions& o, Overrides& over) {
  auto text = [](std::string& field) {
    return [&field](auto& v) {
      field = v;
      return true;
    };
  };
  return {
      {"--url", text(o.url)},
      {"--slotd", text(o.slotd_binary)},
      {"--auth", text(o.auth)},
      {"--out", text(o.out_dir)},
      {"--duration",
       [&](auto& v) {
         over.duration = true;
         return ParseNumber(v, &over.values.duration_s);
       }},
      {"--seed",
       [&](auto& v) {
         over.seed = true;
         return ParseSeed(v, &over.values.seed);
       }},
      {"--on-refusal",
       [&](auto& v) {
         over.refusal = true;
         return ParseRefusal(v, &over.values.on_refusal);
       }},
      {"--prefer-wait",
       [&](auto& v) {
         double seconds = 0;
         if (!ParseNumber(v, &seconds) || seconds != std::floor(seconds)) return false;
         over.prefer_wait = true;
         over.prefer_wait_s = static_cast<int64_t>(seconds);
         return true;
       }},
  };
}

std::map<std::string, bool*> Switches(CliOptions& o) {
  return {{"--verify-holds", &o.verify_holds},
          {"--keep-limits", &o.keep_limits},
          {"--quiet", &o.quiet},
          {"--help", &o.help},
          {"-h", &o.help}};
}

}  // namespace

bool ParseDurationSpec(const std::string& text, Duration* d) {
  std::vector<std::string> parts = Split(text, ':');
  std::vector<double> values;
  for (size_t i = parts.size() == 1 ? 0 : 1; i < parts.size(); ++i) {
    if (!ParseNumber(parts[i], &values.emplace_back())) return false;
  }
  std::string kind = parts.size() == 1 ? "constant" : parts.empty() ? "" : parts[0];
  if (kind == "constant" && values.size() == 1) {
    *d = {Duration::Kind::kConstant, values[0], 0};
  } else if (kind == "uniform" && values.size() == 2) {
    *d = {Duration::Kind::kUniform, values[0], values[1]};
  } else if (kind == "exponential" && values.size() == 1) {
    *d = {Duration::Kind::kExponential, values[0], 0};
  } else {
    return false;
  }
  return true;
}

namespace {

// The state of one parse: what the flags said, before it becomes options.
struct Parse {
  CliOptions* options;
  std::vector<std::string> errors;
  Scenario flagged;
  WorkerGroup group;
  Overrides overrides;
  bool describes = false;  // a scenario-describing flag was given
  bool no_plots = false;
  std::string scenario_path;
};

void ReadArguments(int argc, const char* const* argv, Parse& p) {
  auto scenario_flags = ScenarioFlags(p.flagged, p.group);
  auto run_flags = RunFlags(*p.options, p.overrides);
  auto switches = Switches(*p.options);
  switches["--no-plots"] = &p.no_plots;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    auto eq = arg.find('=');
    bool inline_value = arg.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) value = arg.substr(eq + 1), arg = arg.substr(0, eq);
    if (auto s = switches.find(arg); s != switches.end() && !inline_value) {
      *s->second = true;
      continue;
    }
    auto f = scenario_flags.find(arg);
    auto r = run_flags.find(arg);
    Handler* handler = f != scenario_flags.end() ? &f->second
                       : r != run_flags.end()    ? &r->second
                                                 : nullptr;
    p.describes = p.describes || f != scenario_flags.end();
    if (handler == nullptr) {
      bool is_path = arg.rfind("-", 0) != 0 && p.scenario_path.empty();
      if (is_path) p.scenario_path = arg;
      if (!is_path) p.errors.push_back("unknown argument " + arg);
    } else if (!inline_value && i + 1 >= argc) {
      p.errors.push_back(arg + " needs a value");
    } else {
      if (!inline_value) value = argv[++i];
      if (!(*handler)(value)) p.errors.push_back(arg + ": cannot use \"" + value + "\"");
    }
  }
}

// The scenario from the file, or from the describing flags; then overrides.
void AssembleScenario(Parse& p) {
  CliOptions& o = *p.options;
  if (!p.scenario_path.empty() && p.describes) {
    p.errors.push_back("give either a scenario file or --limit/--workers/... flags, not both");
  } else if (!p.scenario_path.empty()) {
    for (const std::string& e : LoadScenarioFile(p.scenario_path, &o.scenario)) {
      p.errors.push_back(p.scenario_path + ": " + e);
    }
  } else if (p.flagged.limits.empty()) {
    p.errors.push_back("give a scenario file, or describe one with at least one --limit");
  } else {
    if (p.group.acquire.empty()) {
      for (const LimitSpec& l : p.flagged.limits) p.group.acquire.push_back(l.name);
    }
    p.flagged.workers.push_back(p.group);
    o.scenario = p.flagged;
  }
  if (p.overrides.duration) o.scenario.duration_s = p.overrides.values.duration_s;
  if (p.overrides.seed) o.scenario.seed = p.overrides.values.seed;
  if (p.overrides.refusal) o.scenario.on_refusal = p.overrides.values.on_refusal;
  if (p.overrides.prefer_wait) {
    for (WorkerGroup& g : o.scenario.workers) g.prefer_wait_s = p.overrides.prefer_wait_s;
  }
}

}  // namespace

std::vector<std::string> ParseCommandLine(int argc, const char* const* argv, CliOptions* o) {
  Parse p;
  p.options = o;
  p.flagged.name = "command-line";
  p.group.name = "workers";
  ReadArguments(argc, argv, p);
  o->plots = !p.no_plots;
  if (o->help) return {};
  if (o->auth.empty() && std::getenv("PREFECT_API_AUTH_STRING") != nullptr) {
    o->auth = std::getenv("PREFECT_API_AUTH_STRING");
  }
  AssembleScenario(p);
  return p.errors;
}

}  // namespace slotd::contend
