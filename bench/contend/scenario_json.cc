#include "scenario_json.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace slotd::contend {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Reads the keys of one JSON object, remembering which were consumed so that
// Finish() can report the ones nobody asked for.
class ObjectReader {
 public:
  ObjectReader(element value, std::string path, std::vector<std::string>& errors)
      : path_(std::move(path)), errors_(errors) {
    if (value.type() != element_type::OBJECT) {
      Error(path_, "expected an object");
      return;
    }
    object_ = value.get_object().value_unsafe();
    valid_ = true;
  }

  bool valid() const { return valid_; }

  // Finds `key`; a missing required key is an error. Null counts as missing.
  bool Find(const char* key, bool required, element* out) {
    used_.insert(key);
    if (!valid_) return false;
    auto found = object_[key];
    if (found.error() || found.value_unsafe().is_null()) {
      if (required) Error(Path(key), "missing");
      return false;
    }
    *out = found.value_unsafe();
    return true;
  }

  void Number(const char* key, double* out, bool required = false) {
    element e;
    if (!Find(key, required, &e)) return;
    if (!e.is_number()) return Error(Path(key), "expected a number");
    *out = e.get_double().value_unsafe();
  }

  void Integer(const char* key, int64_t* out, bool required = false) {
    element e;
    if (!Find(key, required, &e)) return;
    double d = e.is_number() ? e.get_double().value_unsafe() : NAN;
    if (!e.is_int64() && !(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)) {
      return Error(Path(key), "expected an integer");
    }
    *out = e.is_int64() ? e.get_int64().value_unsafe() : static_cast<int64_t>(d);
  }

  void String(const char* key, std::string* out, bool required = false) {
    element e;
    if (!Find(key, required, &e)) return;
    if (!e.is_string()) return Error(Path(key), "expected a string");
    *out = std::string(e.get_string().value_unsafe());
  }

  void Finish() {
    if (!valid_) return;
    for (auto field : object_) {
      std::string key(field.key);
      if (!used_.count(key)) Error(Path(key), "unknown key");
    }
  }

  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  void Error(const std::string& where, const std::string& what) {
    errors_.push_back((where.empty() ? "scenario" : where) + ": " + what);
  }

 private:
  std::string path_;
  std::vector<std::string>& errors_;
  simdjson::dom::object object_;
  bool valid_ = false;
  std::set<std::string> used_;
};

void ReadDuration(ObjectReader& parent, const char* key, bool required, Duration* out,
                  std::vector<std::string>& errors) {
  element e;
  if (!parent.Find(key, required, &e)) return;
  ObjectReader r(e, parent.Path(key), errors);
  if (!r.valid()) return;
  std::string kind;
  r.String("distribution", &kind, true);
  if (kind == "constant") {
    *out = {Duration::Kind::kConstant, 0, 0};
    r.Number("ms", &out->a_ms, true);
  } else if (kind == "uniform") {
    *out = {Duration::Kind::kUniform, 0, 0};
    r.Number("min_ms", &out->a_ms, true);
    r.Number("max_ms", &out->b_ms, true);
  } else if (kind == "exponential") {
    *out = {Duration::Kind::kExponential, 0, 0};
    r.Number("mean_ms", &out->a_ms, true);
  } else if (!kind.empty()) {
    r.Error(r.Path("distribution"), "expected constant, uniform or exponential");
  }
  r.Finish();
}

void ReadRefusal(ObjectReader& parent, RefusalPolicy* out, std::vector<std::string>& errors) {
  element e;
  if (!parent.Find("on_refusal", false, &e)) return;
  ObjectReader r(e, parent.Path("on_refusal"), errors);
  std::string policy = "retry_after";
  r.String("policy", &policy);
  if (policy == "retry_after") {
    out->kind = RefusalPolicy::Kind::kRetryAfter;
  } else if (policy == "fixed") {
    out->kind = RefusalPolicy::Kind::kFixed;
  } else {
    r.Error(r.Path("policy"), "expected retry_after or fixed");
  }
  r.Number("interval_ms", &out->interval_ms, out->kind == RefusalPolicy::Kind::kFixed);
  r.Finish();
}

// Calls `each(element, path)` for every item of the array at `key`.
template <typename Each>
void ForEachItem(ObjectReader& parent, const char* key, bool required, Each each) {
  element e;
  if (!parent.Find(key, required, &e)) return;
  simdjson::dom::array items;
  if (e.get_array().get(items)) return parent.Error(parent.Path(key), "expected an array");
  size_t i = 0;
  for (element item : items) {
    each(item, parent.Path(key) + "[" + std::to_string(i++) + "]");
  }
}

void ReadLimit(element e, const std::string& path, Scenario* s, std::vector<std::string>& errors) {
  ObjectReader r(e, path, errors);
  LimitSpec limit;
  r.String("name", &limit.name, true);
  r.Integer("limit", &limit.limit, true);
  r.Number("slot_decay_per_second", &limit.slot_decay_per_second);
  r.Finish();
  s->limits.push_back(limit);
}

void ReadWorkerGroup(element e, const std::string& path, Scenario* s,
                     std::vector<std::string>& errors) {
  ObjectReader r(e, path, errors);
  WorkerGroup g;
  g.name = "group" + std::to_string(s->workers.size());
  r.String("name", &g.name);
  int64_t count = g.count;
  r.Integer("count", &count);
  g.count = static_cast<int>(std::clamp<int64_t>(count, -1, 1 << 30));
  std::string api;
  r.String("api", &api, true);
  if (!api.empty() && !ParseApi(api, &g.api)) {
    r.Error(r.Path("api"), "expected v1_tag, v2_lease or v2_increment");
  }
  ForEachItem(r, "acquire", true, [&](element item, const std::string& where) {
    if (!item.is_string()) return r.Error(where, "expected a limit name");
    g.acquire.emplace_back(item.get_string().value_unsafe());
  });
  r.Integer("slots", &g.slots);
  ReadDuration(r, "hold", true, &g.hold, errors);
  ReadDuration(r, "pause", false, &g.pause, errors);
  r.Number("start_spread_ms", &g.start_spread_ms);
  r.Number("lease_duration_seconds", &g.lease_duration_s);
  r.Integer("prefer_wait_seconds", &g.prefer_wait_s);
  r.Finish();
  s->workers.push_back(std::move(g));
}

void ReadSeed(ObjectReader& r, uint64_t* seed) {
  element e;
  if (!r.Find("seed", false, &e)) return;
  if (e.is_uint64()) {
    *seed = e.get_uint64().value_unsafe();
  } else {
    r.Error(r.Path("seed"), "expected an integer >= 0");
  }
}

}  // namespace

std::vector<std::string> ParseScenarioJson(std::string_view json, Scenario* scenario) {
  std::vector<std::string> errors;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  auto error = parser.parse(padded).get(root);
  if (error) return {std::string("not valid JSON: ") + simdjson::error_message(error)};
  Scenario s;
  ObjectReader r(root, "", errors);
  if (!r.valid()) return errors;
  r.String("name", &s.name);
  r.String("description", &s.description);
  r.Number("duration_seconds", &s.duration_s);
  ReadSeed(r, &s.seed);
  ReadRefusal(r, &s.on_refusal, errors);
  ForEachItem(r, "limits", true,
              [&](element item, const std::string& path) { ReadLimit(item, path, &s, errors); });
  ForEachItem(r, "workers", true, [&](element item, const std::string& path) {
    ReadWorkerGroup(item, path, &s, errors);
  });
  r.Finish();
  *scenario = std::move(s);
  return errors;
}

std::vector<std::string> LoadScenarioFile(const std::string& path, Scenario* scenario) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {"cannot read scenario file " + path};
  std::ostringstream text;
  text << in.rdbuf();
  return ParseScenarioJson(text.str(), scenario);
}

}  // namespace slotd::contend
