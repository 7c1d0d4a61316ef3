#include "scenario.h"

#include <cmath>
#include <set>
#include <sstream>

namespace slotd::contend {
namespace {

// One thread per worker: beyond this the tool measures its own scheduler.
constexpr int kMaxWorkers = 4096;
constexpr double kMaxDurationS = 24 * 3600;
// The server's accepted lease durations (shared/spec/API.md).
constexpr double kMinLeaseS = 60;
constexpr double kMaxLeaseS = 86400;

bool IsValidLimitName(const std::string& name) {
  return !name.empty() && name.find_first_of("/%&><") == std::string::npos;
}

void CheckDuration(const Duration& d, const std::string& where, std::vector<std::string>& errors) {
  bool finite = std::isfinite(d.a_ms) && std::isfinite(d.b_ms);
  if (!finite || d.a_ms < 0 || d.b_ms < 0) {
    errors.push_back(where + ": durations must be finite and >= 0 ms");
  } else if (d.kind == Duration::Kind::kUniform && d.a_ms > d.b_ms) {
    errors.push_back(where + ": uniform needs min_ms <= max_ms");
  } else if (d.kind == Duration::Kind::kExponential && d.a_ms <= 0) {
    errors.push_back(where + ": exponential needs mean_ms > 0");
  }
}

void CheckLimits(const Scenario& s, std::vector<std::string>& errors) {
  if (s.limits.empty()) errors.push_back("limits: at least one limit is needed");
  std::set<std::string> seen;
  for (size_t i = 0; i < s.limits.size(); ++i) {
    const LimitSpec& l = s.limits[i];
    std::string where = "limits[" + std::to_string(i) + "]";
    if (!IsValidLimitName(l.name)) {
      errors.push_back(where + ".name: must be non-empty and contain none of / % & > <");
    }
    if (!seen.insert(l.name).second) errors.push_back(where + ".name: \"" + l.name + "\" twice");
    // A limit of 0 refuses everyone forever (v1 answers "will deadlock").
    if (l.limit < 1) errors.push_back(where + ".limit: must be >= 1");
    if (!std::isfinite(l.slot_decay_per_second) || l.slot_decay_per_second < 0) {
      errors.push_back(where + ".slot_decay_per_second: must be finite and >= 0");
    }
  }
}

void CheckAcquire(const Scenario& s, const WorkerGroup& g, const std::string& where,
                  std::vector<std::string>& errors) {
  if (g.acquire.empty()) errors.push_back(where + ".acquire: name at least one limit");
  std::set<std::string> seen;
  for (const std::string& name : g.acquire) {
    if (!seen.insert(name).second) errors.push_back(where + ".acquire: \"" + name + "\" twice");
    int index = FindLimit(s, name);
    if (index < 0) {
      errors.push_back(where + ".acquire: unknown limit \"" + name + "\"");
      continue;
    }
    // The server answers 422 when slots exceed a limit; say it up front.
    if (g.slots > s.limits[index].limit) {
      errors.push_back(where + ".slots: " + std::to_string(g.slots) + " exceeds the limit of \"" +
                       name + "\"");
    }
    if (g.api == Api::kV1Tag && name.rfind("tag:", 0) != 0) {
      errors.push_back(where + ".acquire: v1_tag workers need tag limits (\"tag:<tag>\"), not \"" +
                       name + "\"");
    }
  }
}

void CheckWorkers(const Scenario& s, std::vector<std::string>& errors) {
  if (s.workers.empty()) errors.push_back("workers: at least one worker group is needed");
  int64_t total = 0;
  for (size_t i = 0; i < s.workers.size(); ++i) {
    const WorkerGroup& g = s.workers[i];
    std::string where = "workers[" + std::to_string(i) + "]";
    if (g.count < 1) errors.push_back(where + ".count: must be >= 1");
    total += g.count;
    if (g.slots < 1) errors.push_back(where + ".slots: must be >= 1");
    if (g.api == Api::kV1Tag && g.slots != 1) {
      errors.push_back(where + ".slots: v1_tag takes exactly one slot per tag");
    }
    CheckAcquire(s, g, where, errors);
    CheckDuration(g.hold, where + ".hold", errors);
    CheckDuration(g.pause, where + ".pause", errors);
    if (!std::isfinite(g.start_spread_ms) || g.start_spread_ms < 0) {
      errors.push_back(where + ".start_spread_ms: must be finite and >= 0");
    }
    if (g.prefer_wait_s < 0 || g.prefer_wait_s > 86400) {
      errors.push_back(where + ".prefer_wait_seconds: must be within 0..86400");
    }
    if (!(g.lease_duration_s >= kMinLeaseS && g.lease_duration_s <= kMaxLeaseS)) {
      errors.push_back(where + ".lease_duration_seconds: must be within 60..86400");
    }
  }
  if (total > kMaxWorkers) {
    errors.push_back("workers: " + std::to_string(total) + " workers in all; at most " +
                     std::to_string(kMaxWorkers));
  }
}

}  // namespace

std::vector<std::string> ValidateScenario(const Scenario& s) {
  std::vector<std::string> errors;
  if (!(s.duration_s > 0 && s.duration_s <= kMaxDurationS)) {
    errors.push_back("duration_seconds: must be > 0 and at most a day");
  }
  if (!std::isfinite(s.on_refusal.interval_ms) || s.on_refusal.interval_ms < 0) {
    errors.push_back("on_refusal.interval_ms: must be finite and >= 0");
  }
  CheckLimits(s, errors);
  CheckWorkers(s, errors);
  return errors;
}

int FindLimit(const Scenario& scenario, const std::string& name) {
  for (size_t i = 0; i < scenario.limits.size(); ++i) {
    if (scenario.limits[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int TotalWorkers(const Scenario& scenario) {
  int total = 0;
  for (const WorkerGroup& g : scenario.workers) total += g.count;
  return total;
}

const char* ApiName(Api api) {
  switch (api) {
    case Api::kV1Tag:
      return "v1_tag";
    case Api::kV2Lease:
      return "v2_lease";
    case Api::kV2Increment:
      return "v2_increment";
  }
  return "?";
}

bool ParseApi(const std::string& text, Api* api) {
  for (Api candidate : {Api::kV1Tag, Api::kV2Lease, Api::kV2Increment}) {
    if (text == ApiName(candidate)) {
      *api = candidate;
      return true;
    }
  }
  return false;
}

std::string DescribeDuration(const Duration& d) {
  std::ostringstream out;
  switch (d.kind) {
    case Duration::Kind::kConstant:
      out << d.a_ms << " ms";
      break;
    case Duration::Kind::kUniform:
      out << "uniform " << d.a_ms << ".." << d.b_ms << " ms";
      break;
    case Duration::Kind::kExponential:
      out << "exponential (mean " << d.a_ms << " ms)";
      break;
  }
  return out.str();
}

}  // namespace slotd::contend
