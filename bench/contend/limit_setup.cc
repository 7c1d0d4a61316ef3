#include "limit_setup.h"

#include "json_text.h"

namespace slotd::contend {
namespace {

std::string DeleteLimit(httplib::Client& client, const Endpoint& endpoint,
                        const std::string& name) {
  httplib::Result result =
      client.Delete(endpoint.prefix + "/v2/concurrency_limits/" + PathSegment(name));
  if (result && (result->status == 204 || result->status == 200 || result->status == 404)) {
    return "";
  }
  return "deleting limit \"" + name + "\" got " + DescribeResult(result);
}

}  // namespace

std::string CreateScenarioLimits(const Endpoint& endpoint, const Scenario& scenario) {
  auto client = MakeClient(endpoint);
  for (const LimitSpec& limit : scenario.limits) {
    std::string error = DeleteLimit(*client, endpoint, limit.name);
    if (!error.empty()) return error;
    std::string body =
        "{\"name\":" + JsonQuote(limit.name) + ",\"limit\":" + std::to_string(limit.limit) +
        ",\"slot_decay_per_second\":" + JsonNumber(limit.slot_decay_per_second) + "}";
    httplib::Result result =
        client->Post(endpoint.prefix + "/v2/concurrency_limits/", body, "application/json");
    if (!result || (result->status != 201 && result->status != 200)) {
      return "creating limit \"" + limit.name + "\" got " + DescribeResult(result);
    }
  }
  return "";
}

std::string DeleteScenarioLimits(const Endpoint& endpoint, const Scenario& scenario) {
  auto client = MakeClient(endpoint);
  std::string first_error;
  for (const LimitSpec& limit : scenario.limits) {
    std::string error = DeleteLimit(*client, endpoint, limit.name);
    if (first_error.empty()) first_error = error;
  }
  return first_error;
}

}  // namespace slotd::contend
