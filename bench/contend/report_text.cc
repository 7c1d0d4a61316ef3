#include <algorithm>
#include <cmath>
#include <string>

#include "report.h"

namespace slotd::contend {
namespace {

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string WaitLine(const WaitStats& w) {
  return "p50 " + FormatMs(w.p50_ms) + "  p90 " + FormatMs(w.p90_ms) + "  p99 " +
         FormatMs(w.p99_ms) + "  max " + FormatMs(w.max_ms);
}

std::string RefusalRatio(double ratio) {
  return std::isfinite(ratio) ? Fixed(ratio, 2) : "every attempt";
}

void WriteLimits(const Summary& s, std::FILE* out) {
  const char* label = "utilisation";
  int width = 0;
  for (const LimitSummary& l : s.limits) width = std::max(width, static_cast<int>(l.name.size()));
  for (const LimitSummary& l : s.limits) {
    std::fprintf(out, "  %-22s %-*s  %s  (mean %s of %lld held, peak %lld%s)\n", label, width,
                 l.name.c_str(), Fixed(l.utilisation, 3).c_str(), Fixed(l.mean_held, 2).c_str(),
                 static_cast<long long>(l.limit), static_cast<long long>(l.peak_held),
                 l.slot_decay_per_second > 0 ? ", decaying" : "");
    label = "";
  }
}

void WriteFairness(const Summary& s, std::FILE* out) {
  std::fprintf(out, "  %-22s Jain %s over %d workers (acquisitions per worker %lld..%lld)\n",
               "fairness", Fixed(s.jain_index, 3).c_str(), s.workers,
               static_cast<long long>(s.fewest_acquisitions),
               static_cast<long long>(s.most_acquisitions));
  std::fprintf(out, "  %-22s longest wait %s; %d never acquired; %d still waiting at the end\n", "",
               FormatMs(s.longest_wait_ms).c_str(), s.workers_never_acquired, s.waits_cut_short);
}

void WriteGroups(const Summary& s, std::FILE* out) {
  if (s.groups.size() < 2) return;
  const char* label = "per group";
  for (const GroupSummary& g : s.groups) {
    double ratio = g.acquisitions > 0 ? static_cast<double>(g.refusals) / g.acquisitions : INFINITY;
    std::fprintf(out,
                 "  %-22s %s (%s, %d workers): %lld acquired, wait p50 %s p99 %s, %s 423/acq\n",
                 label, g.name.c_str(), ApiName(g.api), g.workers,
                 static_cast<long long>(g.acquisitions), FormatMs(g.wait.p50_ms).c_str(),
                 FormatMs(g.wait.p99_ms).c_str(), RefusalRatio(ratio).c_str());
    label = "";
  }
}

void WriteBreaches(const Summary& s, std::FILE* out) {
  if (s.breach_count == 0) {
    std::fprintf(out, "  %-22s none\n", "invariant breaches");
    return;
  }
  std::fprintf(out, "  %-22s %lld, first ones:\n", "INVARIANT BREACHES",
               static_cast<long long>(s.breach_count));
  for (size_t i = 0; i < s.breaches.size() && i < 5; ++i) {
    const Breach& b = s.breaches[i];
    std::fprintf(out, "  %-22s %s on %s at %.3f s: %s\n", "", BreachKindName(b.kind),
                 b.limit.c_str(), b.at_s, b.detail.c_str());
  }
}

void WriteErrors(const Summary& s, std::FILE* out) {
  const ErrorCounts& e = s.errors;
  if (!e.any() && s.cleanup_error.empty()) {
    std::fprintf(out, "  %-22s none\n", "errors");
    return;
  }
  std::fprintf(out, "  %-22s %lld transient, %lld 423s without Retry-After, %lld failed releases\n",
               "errors", static_cast<long long>(e.transient),
               static_cast<long long>(e.missing_retry_after),
               static_cast<long long>(e.release_failures));
  for (const std::string& reason : e.fatal) {
    std::fprintf(out, "  %-22s a worker stopped: %s\n", "", reason.c_str());
  }
  if (!s.cleanup_error.empty()) {
    std::fprintf(out, "  %-22s cleanup: %s\n", "", s.cleanup_error.c_str());
  }
}

// What was run: each group's workers and schedule, and the refusal policy.
void WriteScenario(const Scenario& scenario, std::FILE* out) {
  const char* label = "workers";
  for (const WorkerGroup& g : scenario.workers) {
    std::string names;
    for (const std::string& name : g.acquire) names += (names.empty() ? "" : " + ") + name;
    std::fprintf(out, "  %-22s %d %s (%s) on %s: hold %s; pause %s\n", label, g.count,
                 g.name.c_str(), ApiName(g.api), names.c_str(), DescribeDuration(g.hold).c_str(),
                 DescribeDuration(g.pause).c_str());
    if (g.prefer_wait_s > 0) {
      std::fprintf(out, "  %-22s %s asks \"Prefer: wait=%lld\": the server may queue it\n", "",
                   g.name.c_str(), static_cast<long long>(g.prefer_wait_s));
    }
    label = "";
  }
  bool fixed = scenario.on_refusal.kind == RefusalPolicy::Kind::kFixed;
  std::fprintf(out, "  %-22s %s\n\n", "on 423",
               fixed ? ("retry every " + FormatMs(scenario.on_refusal.interval_ms)).c_str()
                     : "sleep the answer's Retry-After, as Prefect's clients do");
}

}  // namespace

std::string FormatMs(double ms) {
  int decimals = ms < 10 ? 2 : ms < 1000 ? 1 : 0;
  return Fixed(ms, decimals) + " ms";
}

void WriteTextReport(const Scenario& scenario, const Summary& s, std::FILE* out) {
  std::fprintf(out, "slotd-contend: %s, seed %llu, %s s, %d workers against %s\n\n",
               scenario.name.c_str(), static_cast<unsigned long long>(s.seed),
               Fixed(s.window_s, 1).c_str(), s.workers, s.server.c_str());
  WriteScenario(scenario, out);
  std::fprintf(out, "  %-22s %lld in %s s = %s/s\n", "acquisitions",
               static_cast<long long>(s.acquisitions), Fixed(s.window_s, 1).c_str(),
               Fixed(s.acquisitions_per_second, 1).c_str());
  std::fprintf(out, "  %-22s %s  (mean %s)\n", "wait to acquire", WaitLine(s.wait).c_str(),
               FormatMs(s.wait.mean_ms).c_str());
  std::fprintf(out, "  %-22s %s  (%lld refusals)\n", "423 per acquisition",
               RefusalRatio(s.refusals_per_acquisition).c_str(),
               static_cast<long long>(s.refusals));
  WriteLimits(s, out);
  WriteFairness(s, out);
  WriteGroups(s, out);
  WriteBreaches(s, out);
  WriteErrors(s, out);
}

}  // namespace slotd::contend
