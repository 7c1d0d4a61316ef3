#include "http_client.h"

#include <cmath>
#include <cstdlib>

#include "json_text.h"

namespace slotd::contend {
namespace {

constexpr const char* kJson = "application/json";
// The API version Prefect 3.8's client announces in every request.
constexpr const char* kApiVersion = "0.8.4";

std::string NamesJson(const std::vector<std::string>& names, bool strip_tag_prefix) {
  std::string out = "[";
  for (const std::string& name : names) {
    if (out.size() > 1) out += ",";
    out += JsonQuote(strip_tag_prefix ? name.substr(4) : name);
  }
  return out + "]";
}

std::string AcquireBody(const WorkerGroup& g, const std::string& task_run_id) {
  if (g.api == Api::kV1Tag) {
    return "{\"names\":" + NamesJson(g.acquire, true) +
           ",\"task_run_id\":" + JsonQuote(task_run_id) + "}";
  }
  std::string body = "{\"slots\":" + std::to_string(g.slots) +
                     ",\"names\":" + NamesJson(g.acquire, false) + ",\"mode\":\"concurrency\"";
  if (g.api == Api::kV2Lease) {
    body += ",\"lease_duration\":" + JsonNumber(g.lease_duration_s) +
            ",\"holder\":{\"type\":\"task_run\",\"id\":" + JsonQuote(task_run_id) + "}";
  }
  return body + "}";
}

// Prefect writes Retry-After as decimal seconds ("10.0", "0.73").
double ParseRetryAfter(const httplib::Response& response) {
  if (!response.has_header("Retry-After")) return -1;
  std::string text = response.get_header_value("Retry-After");
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  bool whole = end != text.c_str() && *end == '\0';
  return whole && std::isfinite(seconds) && seconds >= 0 ? seconds : -1;
}

std::string Excerpt(const std::string& body) {
  return body.size() <= 200 ? body : body.substr(0, 200) + "...";
}

}  // namespace

bool ParseApiUrl(const std::string& url, Endpoint* endpoint, std::string* error) {
  auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    *error = "--url must start with http:// or https:// (got \"" + url + "\")";
    return false;
  }
  auto path_start = url.find('/', scheme_end + 3);
  endpoint->origin = url.substr(0, path_start);
  endpoint->prefix = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!endpoint->prefix.empty() && endpoint->prefix.back() == '/') endpoint->prefix.pop_back();
  if (endpoint->origin.size() <= scheme_end + 3) {
    *error = "--url has no host: \"" + url + "\"";
    return false;
  }
  return true;
}

std::unique_ptr<httplib::Client> MakeClient(const Endpoint& endpoint) {
  auto client = std::make_unique<httplib::Client>(endpoint.origin);
  client->set_keep_alive(true);
  // Without TCP_NODELAY a request written in two pieces (headers, body)
  // waits for the delayed ACK: 40 ms per request on Linux.
  client->set_tcp_nodelay(true);
  client->set_url_encode(false);  // paths are encoded by PathSegment
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(30, 0);
  client->set_write_timeout(30, 0);
  client->set_default_headers({{"x-prefect-api-version", kApiVersion}});
  if (!endpoint.auth.empty()) {
    auto colon = endpoint.auth.find(':');
    client->set_basic_auth(endpoint.auth.substr(0, colon),
                           colon == std::string::npos ? "" : endpoint.auth.substr(colon + 1));
  }
  return client;
}

std::string PathSegment(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string DescribeResult(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return std::to_string(result->status) + " " + Excerpt(result->body);
}

SlotClient::SlotClient(const Endpoint& endpoint)
    : endpoint_(endpoint), client_(MakeClient(endpoint)) {}

httplib::Result SlotClient::Post(const std::string& path, const std::string& body) {
  return client_->Post(endpoint_.prefix + path, body, kJson);
}

bool SlotClient::ListsEveryName(const std::string& body, const std::vector<std::string>& names) {
  simdjson::dom::element doc;
  if (parser_.parse(body).get(doc)) return false;
  return ListsEveryName(doc, names);
}

bool SlotClient::ListsEveryName(simdjson::dom::element list,
                                const std::vector<std::string>& names) {
  simdjson::dom::array items;
  if (list.get_array().get(items)) return false;
  for (const std::string& wanted : names) {
    bool found = false;
    for (auto item : items) {
      std::string_view name;
      // v1 answers name a limit by its bare tag on increment and as stored
      // ("tag:<tag>") on decrement; either spelling names the same limit.
      if (item["name"].get_string().get(name)) continue;
      if (name == wanted || (wanted.starts_with("tag:") && name == wanted.substr(4))) found = true;
    }
    if (!found) return false;
  }
  return true;
}

AcquireAnswer SlotClient::Interpret(const httplib::Result& result) {
  AcquireAnswer answer;
  answer.detail = DescribeResult(result);
  if (!result || result->status >= 500) {
    answer.outcome = AcquireAnswer::Outcome::kTransient;
  } else if (result->status == 423) {
    answer.outcome = AcquireAnswer::Outcome::kRefused;
    answer.retry_after_s = ParseRetryAfter(*result);
  } else if (result->status == 200) {
    answer.outcome = AcquireAnswer::Outcome::kAcquired;
  }
  return answer;
}

AcquireAnswer SlotClient::Acquire(const WorkerGroup& g, const std::string& task_run_id) {
  const char* path = g.api == Api::kV1Tag     ? "/concurrency_limits/increment"
                     : g.api == Api::kV2Lease ? "/v2/concurrency_limits/increment-with-lease"
                                              : "/v2/concurrency_limits/increment";
  if (g.prefer_wait_s > 0) {
    // The server may hold the answer up to the wait: the read timeout
    // allows for it.
    client_->set_read_timeout(static_cast<time_t>(g.prefer_wait_s) + 30, 0);
  }
  httplib::Result result =
      g.prefer_wait_s > 0
          ? client_->Post(endpoint_.prefix + path,
                          httplib::Headers{{"Prefer", "wait=" + std::to_string(g.prefer_wait_s)}},
                          AcquireBody(g, task_run_id), kJson)
          : Post(path, AcquireBody(g, task_run_id));
  AcquireAnswer answer = Interpret(result);
  if (answer.outcome != AcquireAnswer::Outcome::kAcquired) return answer;
  // A 200 that leaves out a named limit took nothing on it: the limit does
  // not exist there (or, on v1, is inactive), so the run would measure nothing.
  std::string_view lease_id;
  bool listed = false;
  if (g.api == Api::kV2Lease) {
    simdjson::dom::element doc, limits;
    if (!parser_.parse(result->body).get(doc) && !doc["lease_id"].get_string().get(lease_id) &&
        !doc["limits"].get(limits)) {
      answer.lease_id = std::string(lease_id);
      listed = ListsEveryName(limits, g.acquire);
    }
  } else {
    listed = ListsEveryName(result->body, g.acquire);
  }
  if (!listed) {
    answer.outcome = AcquireAnswer::Outcome::kFatal;
    answer.detail = "the server's 200 does not list every limit acquired: " + answer.detail;
  }
  return answer;
}

ReleaseAnswer SlotClient::Release(const WorkerGroup& g, const std::string& task_run_id,
                                  const std::string& lease_id, double held_s) {
  std::string path, body;
  if (g.api == Api::kV1Tag) {
    path = "/concurrency_limits/decrement";
    body = "{\"names\":" + NamesJson(g.acquire, true) +
           ",\"task_run_id\":" + JsonQuote(task_run_id) + "}";
  } else if (g.api == Api::kV2Lease) {
    path = "/v2/concurrency_limits/decrement-with-lease";
    body = "{\"lease_id\":" + JsonQuote(lease_id) + "}";
  } else {
    // occupancy_seconds must be > 0; a hold of 0 ms still took some time.
    path = "/v2/concurrency_limits/decrement";
    body = "{\"slots\":" + std::to_string(g.slots) + ",\"names\":" + NamesJson(g.acquire, false) +
           ",\"occupancy_seconds\":" + JsonNumber(std::max(held_s, 1e-6)) + "}";
  }
  httplib::Result result = Post(path, body);
  ReleaseAnswer answer;
  answer.detail = DescribeResult(result);
  answer.sent = result && result->status >= 200 && result->status < 300;
  if (answer.sent && g.api != Api::kV2Lease) {
    answer.server_knew = ListsEveryName(result->body, g.acquire);
  }
  return answer;
}

ReleaseAnswer SlotClient::CheckHold(const WorkerGroup& g, const std::string& task_run_id,
                                    const std::string& lease_id,
                                    const std::vector<bool>& decaying) {
  if (g.api == Api::kV2Lease) {
    httplib::Result result =
        Post("/v2/concurrency_limits/leases/" + PathSegment(lease_id) + "/renew",
             "{\"lease_duration\":" + JsonNumber(g.lease_duration_s) + "}");
    ReleaseAnswer answer{bool(result), result && result->status == 204, DescribeResult(result)};
    if (result && result->status >= 500) answer.server_knew = true;  // unknown, not unknowing
    return answer;
  }
  for (size_t i = 0; i < g.acquire.size(); ++i) {
    if (g.api == Api::kV2Increment && decaying[i]) continue;
    ReleaseAnswer answer = g.api == Api::kV1Tag ? CheckV1Holder(g.acquire[i].substr(4), task_run_id)
                                                : CheckV2Count(g.acquire[i], g.slots);
    if (!answer.server_knew) return answer;
  }
  return ReleaseAnswer{true, true, ""};
}

ReleaseAnswer SlotClient::CheckV1Holder(const std::string& tag, const std::string& task_run_id) {
  httplib::Result result =
      client_->Get(endpoint_.prefix + "/concurrency_limits/tag/" + PathSegment(tag));
  ReleaseAnswer answer{result && result->status == 200, !(result && result->status == 404),
                       DescribeResult(result)};
  if (!answer.sent) return answer;
  simdjson::dom::array holders;
  if (parser_.parse(result->body)["active_slots"].get_array().get(holders)) return answer;
  answer.server_knew = false;
  for (auto holder : holders) {
    std::string_view id;
    if (!holder.get_string().get(id) && id == task_run_id) answer.server_knew = true;
  }
  if (!answer.server_knew)
    answer.detail = "task run " + task_run_id + " not among the holders of tag " + tag;
  return answer;
}

ReleaseAnswer SlotClient::CheckV2Count(const std::string& name, int64_t slots) {
  httplib::Result result =
      client_->Get(endpoint_.prefix + "/v2/concurrency_limits/" + PathSegment(name));
  ReleaseAnswer answer{result && result->status == 200, !(result && result->status == 404),
                       DescribeResult(result)};
  int64_t active = 0;
  if (!answer.sent || parser_.parse(result->body)["active_slots"].get_int64().get(active)) {
    return answer;
  }
  if (active < slots) {
    answer.server_knew = false;
    answer.detail = name + " reports " + std::to_string(active) +
                    " active slots while this worker holds " + std::to_string(slots);
  }
  return answer;
}

}  // namespace slotd::contend
