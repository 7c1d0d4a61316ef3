#include "e2e_support.h"

#include <algorithm>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>

#include "api/json/writer.h"

namespace slotd::e2e {

const std::vector<std::string> kConcurrencyLimitKeys = {"id",  "created",           "updated",
                                                        "tag", "concurrency_limit", "active_slots"};
const std::vector<std::string> kConcurrencyLimitV2Keys = {"id",
                                                          "created",
                                                          "updated",
                                                          "active",
                                                          "name",
                                                          "limit",
                                                          "active_slots",
                                                          "denied_slots",
                                                          "slot_decay_per_second",
                                                          "avg_slot_occupancy_seconds"};
const std::vector<std::string> kGlobalResponseKeys = {
    "id", "created", "updated", "active", "name", "limit", "active_slots", "slot_decay_per_second"};
const std::vector<std::string> kMinimalKeys = {"id", "name", "limit"};

Json::Json(std::string_view text) { error_ = parser_.parse(text.data(), text.size()).get(root_); }

std::string Canonical(std::string_view text) {
  Json doc(text);
  if (!doc.valid()) return "<invalid JSON: " + std::string(text) + ">";
  return Canonical(doc.root());
}

std::string Canonical(simdjson::dom::element element) { return simdjson::minify(element); }

std::string Canonical(simdjson::dom::array array) { return simdjson::minify(array); }

std::vector<std::string> Keys(simdjson::dom::element object) {
  std::vector<std::string> keys;
  simdjson::dom::object fields;
  if (object.get_object().get(fields) != simdjson::SUCCESS) return keys;
  for (auto field : fields) keys.emplace_back(field.key);
  return keys;
}

std::string JsonString(std::string_view s) {
  std::string out;
  api::AppendJsonString(&out, s);
  return out;
}

bool IsUuid4(std::string_view s) {
  static const std::regex pattern(
      "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(s.begin(), s.end(), pattern);
}

bool IsTimestamp(std::string_view s) {
  static const std::regex pattern(
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?Z$");
  return std::regex_match(s.begin(), s.end(), pattern);
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return boost::uuids::to_string(boost::uuids::basic_random_generator<std::mt19937_64>(rng)());
}

httplib::Result PostJson(httplib::Client& cli, const std::string& path, const std::string& body) {
  return cli.Post(path, body, "application/json");
}

httplib::Result PatchJson(httplib::Client& cli, const std::string& path, const std::string& body) {
  return cli.Patch(path, body, "application/json");
}

void RequireAnswer(const httplib::Result& res) {
  INFO("transport error: " << httplib::to_string(res.error()));
  REQUIRE(res != nullptr);
}

void CheckDetail(const httplib::Result& res, int status, std::string_view message) {
  CheckJson(res, status, "{\"detail\":" + JsonString(message) + "}");
}

void CheckJson(const httplib::Result& res, int status, std::string_view canonical_body) {
  RequireAnswer(res);
  INFO("body: " << res->body);
  CHECK(res->status == status);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(Canonical(res->body) == canonical_body);
}

void CheckNoContent(const httplib::Result& res) {
  RequireAnswer(res);
  INFO("body: " << res->body);
  CHECK(res->status == 204);
  CHECK(res->body.empty());
}

void CheckValidationError(const httplib::Result& res, std::string_view loc,
                          std::string_view request_body) {
  RequireAnswer(res);
  INFO("body: " << res->body);
  CHECK(res->status == 422);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  Json doc(res->body);
  REQUIRE(doc.valid());
  auto root = doc.root();
  REQUIRE(root.is_object());
  // Exactly the three keys Prefect 3.9.1's server sends (no "detail").
  CHECK(Keys(root) ==
        std::vector<std::string>{"exception_message", "exception_detail", "request_body"});
  simdjson::dom::array errors;
  REQUIRE(root["exception_detail"].get_array().get(errors) == simdjson::SUCCESS);
  CHECK(errors.size() > 0);
  std::string_view message;
  CHECK(root["exception_message"].get_string().get(message) == simdjson::SUCCESS);
  CHECK(message == "Invalid request received.");
  CHECK(Canonical(root["request_body"].value()) == request_body);

  bool loc_found = loc.empty();
  for (auto error : errors) {
    REQUIRE(error.is_object());
    auto keys = Keys(error);
    INFO("error: " << Canonical(error));
    REQUIRE(keys.size() >= 4);
    CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 4) ==
          std::vector<std::string>{"type", "loc", "msg", "input"});
    for (size_t i = 4; i < keys.size(); ++i) CHECK(keys[i] == "ctx");
    CHECK(error["msg"].is_string());
    CHECK(error["type"].is_string());
    simdjson::dom::array where;
    REQUIRE(error["loc"].get_array().get(where) == simdjson::SUCCESS);
    REQUIRE(where.size() > 0);
    std::string_view first;
    CHECK(where.at(0).get_string().get(first) == simdjson::SUCCESS);
    CHECK((first == "body" || first == "path" || first == "query" || first == "header"));
    if (Canonical(where) == loc) loc_found = true;
  }
  INFO("expected an error at loc " << loc);
  CHECK(loc_found);
}

void RequireStatus(const httplib::Result& res, int status) {
  RequireAnswer(res);
  INFO("body: " << res->body);
  REQUIRE(res->status == status);
}

std::string Field(const std::string& body, const char* key) {
  Json doc(body);
  if (!doc.valid()) return "<invalid JSON>";
  simdjson::dom::element value;
  if (doc.root()[key].get(value) != simdjson::SUCCESS) {
    return "<missing " + std::string(key) + ">";
  }
  return Canonical(value);
}

std::string Unquoted(const std::string& canonical) {
  if (canonical.size() >= 2 && canonical.front() == '"' && canonical.back() == '"') {
    return canonical.substr(1, canonical.size() - 2);
  }
  return canonical;
}

httplib::Result V1Increment(httplib::Client& cli, const std::string& names_json,
                            const std::string& task_run_id) {
  return PostJson(cli, "/api/concurrency_limits/increment",
                  "{\"names\":" + names_json + ",\"task_run_id\":\"" + task_run_id + "\"}");
}

httplib::Result V1Decrement(httplib::Client& cli, const std::string& names_json,
                            const std::string& task_run_id) {
  return PostJson(cli, "/api/concurrency_limits/decrement",
                  "{\"names\":" + names_json + ",\"task_run_id\":\"" + task_run_id + "\"}");
}

std::string CreateTagLimit(httplib::Client& cli, const std::string& tag, int64_t limit) {
  auto res = PostJson(
      cli, "/api/concurrency_limits/",
      "{\"tag\":" + JsonString(tag) + ",\"concurrency_limit\":" + std::to_string(limit) + "}");
  RequireAnswer(res);
  INFO("create tag " << tag << ": " << res->body);
  REQUIRE((res->status == 201 || res->status == 200));
  Json doc(res->body);
  std::string_view id;
  REQUIRE(doc.root()["id"].get_string().get(id) == simdjson::SUCCESS);
  return std::string(id);
}

std::string CreateV2Limit(httplib::Client& cli, const std::string& body) {
  auto res = PostJson(cli, "/api/v2/concurrency_limits/", body);
  RequireAnswer(res);
  INFO("create " << body << ": " << res->body);
  REQUIRE(res->status == 201);
  Json doc(res->body);
  std::string_view id;
  REQUIRE(doc.root()["id"].get_string().get(id) == simdjson::SUCCESS);
  return std::string(id);
}

std::string CreateV2Limit(httplib::Client& cli, const std::string& name, int64_t limit) {
  return CreateV2Limit(
      cli, "{\"name\":" + JsonString(name) + ",\"limit\":" + std::to_string(limit) + "}");
}

std::vector<std::string> TagHolders(httplib::Client& cli, const std::string& tag) {
  auto res = cli.Get("/api/concurrency_limits/tag/" + tag);
  RequireAnswer(res);
  INFO("read tag " << tag << ": " << res->body);
  REQUIRE(res->status == 200);
  Json doc(res->body);
  simdjson::dom::array slots;
  REQUIRE(doc.root()["active_slots"].get_array().get(slots) == simdjson::SUCCESS);
  std::vector<std::string> holders;
  for (auto slot : slots) holders.emplace_back(std::string_view(slot.get_string()));
  return holders;
}

int64_t ActiveSlots(httplib::Client& cli, const std::string& name) {
  auto res = cli.Get("/api/v2/concurrency_limits/" + name);
  RequireAnswer(res);
  INFO("read " << name << ": " << res->body);
  REQUIRE(res->status == 200);
  Json doc(res->body);
  int64_t active = -1;
  REQUIRE(doc.root()["active_slots"].get_int64().get(active) == simdjson::SUCCESS);
  return active;
}

std::string Minimal(const std::string& id, const std::string& name, int64_t limit) {
  return "{\"id\":\"" + id + "\",\"name\":" + JsonString(name) +
         ",\"limit\":" + std::to_string(limit) + "}";
}

std::vector<std::string> SortedItems(const std::string& body) {
  Json doc(body);
  simdjson::dom::array items;
  if (!doc.valid() || doc.root().get_array().get(items) != simdjson::SUCCESS) {
    return {"<not a JSON array: " + body + ">"};
  }
  std::vector<std::string> out;
  for (auto item : items) out.push_back(Canonical(item));
  return Sorted(out);
}

double RetryAfterSeconds(const httplib::Result& res) {
  RequireAnswer(res);
  std::string header = res->get_header_value("Retry-After");
  INFO("Retry-After: '" << header << "'");
  static const std::regex decimal("^[0-9]+(\\.[0-9]+)?$");
  bool well_formed = std::regex_match(header, decimal);
  CHECK(well_formed);
  if (!well_formed) return -1;
  double seconds = std::strtod(header.c_str(), nullptr);
  CHECK(seconds > 0);
  return seconds;
}

double RetryAfterLow(double mean) {
  const double c = std::log2(std::pow(2.0, 1.3) / (std::pow(2.0, 1.3) - 1));
  return mean * c * 0.99;
}

double RetryAfterHigh(double mean) { return mean * 1.3 * 1.01; }

void CheckRetryAfterAround(const httplib::Result& res, double mean_low, double mean_high) {
  const double seconds = RetryAfterSeconds(res);
  CHECK(seconds >= RetryAfterLow(mean_low));
  CHECK(seconds <= RetryAfterHigh(mean_high));
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> Names(std::string_view array_body) {
  Json doc(array_body);
  std::vector<std::string> names;
  simdjson::dom::array items;
  if (!doc.valid() || doc.root().get_array().get(items) != simdjson::SUCCESS) {
    return {"<not a JSON array: " + std::string(array_body) + ">"};
  }
  for (auto item : items) {
    std::string_view name;
    if (item["name"].get_string().get(name) == simdjson::SUCCESS) {
      names.emplace_back(name);
    }
  }
  return names;
}

long StatusKilobytes(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stol(line.substr(field.size()));
  }
  return -1;
}

}  // namespace slotd::e2e
