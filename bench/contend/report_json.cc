#include <string>
#include <vector>

#include "json_text.h"
#include "report.h"

namespace slotd::contend {
namespace {

// Joins "key": value pairs into one object; values are JSON already.
using Fields = std::vector<std::pair<const char*, std::string>>;

std::string Object(const Fields& fields) {
  std::string out = "{";
  for (const auto& [key, value] : fields) {
    if (out.size() > 1) out += ", ";
    out += JsonQuote(key) + ": " + value;
  }
  return out + "}";
}

std::string Array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ", ";
    out += item;
  }
  return out + "]";
}

std::string Int(int64_t value) { return std::to_string(value); }

std::string WaitJson(const WaitStats& w) {
  return Object({{"samples", Int(w.samples)},
                 {"mean", JsonNumber(w.mean_ms)},
                 {"p50", JsonNumber(w.p50_ms)},
                 {"p90", JsonNumber(w.p90_ms)},
                 {"p99", JsonNumber(w.p99_ms)},
                 {"max", JsonNumber(w.max_ms)}});
}

std::string ScenarioJson(const Scenario& s) {
  bool fixed = s.on_refusal.kind == RefusalPolicy::Kind::kFixed;
  return Object({{"name", JsonQuote(s.name)},
                 {"seed", std::to_string(s.seed)},
                 {"duration_seconds", JsonNumber(s.duration_s)},
                 {"workers", Int(TotalWorkers(s))},
                 {"on_refusal", Object({{"policy", JsonQuote(fixed ? "fixed" : "retry_after")},
                                        {"interval_ms", JsonNumber(s.on_refusal.interval_ms)}})}});
}

std::string LimitsJson(const Summary& s) {
  std::vector<std::string> items;
  for (const LimitSummary& l : s.limits) {
    items.push_back(Object({{"name", JsonQuote(l.name)},
                            {"limit", Int(l.limit)},
                            {"slot_decay_per_second", JsonNumber(l.slot_decay_per_second)},
                            {"utilisation", JsonNumber(l.utilisation)},
                            {"mean_held", JsonNumber(l.mean_held)},
                            {"peak_held", Int(l.peak_held)}}));
  }
  return Array(items);
}

std::string GroupsJson(const Scenario& scenario, const Summary& s) {
  std::vector<std::string> items;
  for (size_t i = 0; i < s.groups.size(); ++i) {
    const GroupSummary& g = s.groups[i];
    const WorkerGroup& spec = scenario.workers[i];
    std::vector<std::string> acquire;
    for (const std::string& name : spec.acquire) acquire.push_back(JsonQuote(name));
    items.push_back(Object({{"name", JsonQuote(g.name)},
                            {"api", JsonQuote(ApiName(g.api))},
                            {"workers", Int(g.workers)},
                            {"acquire", Array(acquire)},
                            {"slots", Int(spec.slots)},
                            {"hold", JsonQuote(DescribeDuration(spec.hold))},
                            {"pause", JsonQuote(DescribeDuration(spec.pause))},
                            {"prefer_wait_seconds", Int(spec.prefer_wait_s)},
                            {"acquisitions", Int(g.acquisitions)},
                            {"refusals", Int(g.refusals)},
                            {"wait_ms", WaitJson(g.wait)}}));
  }
  return Array(items);
}

std::string FairnessJson(const Summary& s) {
  return Object({{"jain_index", JsonNumber(s.jain_index)},
                 {"longest_wait_ms", JsonNumber(s.longest_wait_ms)},
                 {"fewest_acquisitions", Int(s.fewest_acquisitions)},
                 {"most_acquisitions", Int(s.most_acquisitions)},
                 {"workers_never_acquired", Int(s.workers_never_acquired)},
                 {"waits_cut_short", Int(s.waits_cut_short)}});
}

std::string ErrorsJson(const Summary& s) {
  std::vector<std::string> fatal;
  for (const std::string& reason : s.errors.fatal) fatal.push_back(JsonQuote(reason));
  return Object({{"transient", Int(s.errors.transient)},
                 {"missing_retry_after", Int(s.errors.missing_retry_after)},
                 {"release_failures", Int(s.errors.release_failures)},
                 {"fatal", Array(fatal)},
                 {"cleanup", s.cleanup_error.empty() ? "null" : JsonQuote(s.cleanup_error)}});
}

std::string BreachesJson(const Summary& s) {
  std::vector<std::string> kept;
  for (const Breach& b : s.breaches) {
    kept.push_back(Object({{"kind", JsonQuote(BreachKindName(b.kind))},
                           {"at_seconds", JsonNumber(b.at_s)},
                           {"limit", JsonQuote(b.limit)},
                           {"detail", JsonQuote(b.detail)}}));
  }
  return Object({{"count", Int(s.breach_count)}, {"first", Array(kept)}});
}

}  // namespace

std::string JsonReport(const Scenario& scenario, const Summary& s) {
  return Object({{"tool", JsonQuote("slotd-contend")},
                 {"scenario", ScenarioJson(scenario)},
                 {"server", JsonQuote(s.server)},
                 {"window_seconds", JsonNumber(s.window_s)},
                 {"acquisitions", Int(s.acquisitions)},
                 {"acquisitions_per_second", JsonNumber(s.acquisitions_per_second)},
                 {"wait_ms", WaitJson(s.wait)},
                 {"refusals", Int(s.refusals)},
                 {"refusals_per_acquisition", JsonNumber(s.refusals_per_acquisition)},
                 {"limits", LimitsJson(s)},
                 {"fairness", FairnessJson(s)},
                 {"groups", GroupsJson(scenario, s)},
                 {"breaches", BreachesJson(s)},
                 {"errors", ErrorsJson(s)}}) +
         "\n";
}

}  // namespace slotd::contend
