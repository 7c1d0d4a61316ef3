// Whole requests through Dispatch, on a real engine with a manual clock and
// a pinned random source: routing, body parsing, the API-version check and
// the handlers together.
#include "api/prefect/dispatch.h"

#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>

#include "api/json/python_float_repr.h"
#include "api/prefect/handlers.h"
#include "engine/memory_slot_store.h"

namespace slotd::api::test {

namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));
constexpr const char* kTaskRun = "6f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f";

class Server {
 public:
  explicit Server(size_t max_name_bytes = SIZE_MAX)
      : clock_(std::make_shared<ManualTimeSource>(kStart)) {
    EngineOptions options;
    options.max_name_bytes = max_name_bytes;
    options.clock = clock_;
    options.random = std::make_shared<FixedRandomSource>(0.5);
    engine_ = std::make_unique<SlotEngine>(options);
    store_ = std::make_unique<MemorySlotStore>(*engine_);
    context_.engine = store_.get();
  }

  ApiResponse Call(std::string_view method, std::string_view path, std::string_view body = "",
                   std::string_view api_version = "") {
    ApiRequest request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.api_version_header = api_version;
    return Call(request);
  }

  ApiResponse Call(const ApiRequest& request) {
    ApiResponse response;
    Dispatch(context_, request, &response);
    return response;
  }

  SlotEngine& engine() { return *engine_; }
  ManualTimeSource& clock() { return *clock_; }
  ApiContext& context() { return context_; }

 private:
  std::shared_ptr<ManualTimeSource> clock_;
  std::unique_ptr<SlotEngine> engine_;
  std::unique_ptr<MemorySlotStore> store_;
  ApiContext context_;
};

}  // namespace

TEST_CASE("root routes answer Prefect's constants", "[dispatch]") {
  Server server;
  CHECK(server.Call("GET", "/api/health").body == "true");
  CHECK(server.Call("GET", "/api/ready").body == R"({"message":"OK"})");
  CHECK(server.Call("GET", "/api/version").body == R"("0.8.4")");
  CHECK(server.Call("GET", "/api/admin/version").body == R"("3.9.1")");
  CHECK(server.Call("GET", "/api/admin/storage").body ==
        R"({"default_result_storage_block_id":null})");
  CHECK(server.Call("GET", "/api/hello").body == "\"\xf0\x9f\x91\x8b\"");
  const ApiResponse csrf = server.Call("GET", "/api/csrf-token");
  CHECK(csrf.status == 422);
  CHECK(csrf.body.find(R"("loc":["query","client"])") != std::string::npos);
}

TEST_CASE("unknown routes are 404 and wrong methods 405 with Allow", "[dispatch]") {
  Server server;
  ApiResponse response = server.Call("GET", "/api/nope");
  CHECK(response.status == 404);
  CHECK(response.body == R"({"detail":"Not Found"})");
  response = server.Call("DELETE", "/api/health");
  CHECK(response.status == 405);
  CHECK(response.body == R"({"detail":"Method Not Allowed"})");
  CHECK(response.allow == "GET");
}

TEST_CASE("the API-version check spares /health and /version only", "[dispatch]") {
  Server server;
  CHECK(server.Call("GET", "/api/health", "", "abc").status == 200);
  CHECK(server.Call("GET", "/api/version", "", "abc").status == 200);
  const ApiResponse response = server.Call("GET", "/api/hello", "", "0.7.0");
  CHECK(response.status == 400);
  CHECK(response.body ==
        R"({"detail":"The request specified API version 0.7.0 but this server requires )"
        R"(version 0.8.0 or higher."})");
}

TEST_CASE("malformed JSON is reported before the API version, field errors after", "[dispatch]") {
  Server server;
  CHECK(server.Call("POST", "/api/v2/concurrency_limits/", "{", "abc").status == 422);
  CHECK(server.Call("POST", "/api/v2/concurrency_limits/", R"({"limit":"x"})", "abc").status ==
        400);
}

TEST_CASE("routes without a body ignore whatever body comes", "[dispatch]") {
  Server server;
  CHECK(server.Call("GET", "/api/health", "{not json").status == 200);
}

TEST_CASE("a v2 limit is created, read by name and by id, and conflicts on its name",
          "[dispatch]") {
  Server server;
  const ApiResponse created = server.Call("POST", "/api/v2/concurrency_limits/",
                                          R"({"name":"db","limit":2,"slot_decay_per_second":0.5})");
  REQUIRE(created.status == 201);
  // pydantic writes no fraction for a whole second.
  CHECK(created.body.find(R"("created":"2027-01-15T08:00:00Z")") != std::string::npos);
  CHECK(created.body.find(R"("slot_decay_per_second":0.5,"avg_slot_occupancy_seconds":2.0})") !=
        std::string::npos);
  const std::string id = created.body.substr(7, 36);
  CHECK(server.Call("GET", "/api/v2/concurrency_limits/db").status == 200);
  CHECK(server.Call("GET", "/api/v2/concurrency_limits/" + id).status == 200);
  const ApiResponse again =
      server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":1})");
  CHECK(again.status == 409);
  const ApiResponse missing = server.Call("GET", "/api/v2/concurrency_limits/other");
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"detail":"Concurrency Limit not found"})");
}

TEST_CASE("a rejected request changes nothing", "[dispatch]") {
  Server server;
  CHECK(server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":-1})").status ==
        422);
  CHECK(server.Call("POST", "/api/concurrency_limits/", R"({"tag":"a/b","concurrency_limit":1})")
            .status == 422);
  CHECK(server.engine().LimitCount() == 0);
}

TEST_CASE("the v1 create answers 201 for a new tag limit and 200 for an update", "[dispatch]") {
  Server server;
  CHECK(server.Call("POST", "/api/concurrency_limits/", R"({"tag":"db","concurrency_limit":1})")
            .status == 201);
  const ApiResponse updated =
      server.Call("POST", "/api/concurrency_limits/", R"({"tag":"db","concurrency_limit":3})");
  CHECK(updated.status == 200);
  CHECK(updated.body.find(R"("tag":"db","concurrency_limit":3,"active_slots":[]})") !=
        std::string::npos);
}

TEST_CASE("a full v1 limit answers 423 with the tag wait as Retry-After", "[dispatch]") {
  Server server;
  server.Call("POST", "/api/concurrency_limits/", R"({"tag":"db","concurrency_limit":1})");
  const std::string first = std::string(R"({"names":["db"],"task_run_id":")") + kTaskRun + "\"}";
  REQUIRE(server.Call("POST", "/api/concurrency_limits/increment", first).status == 200);
  const ApiResponse locked =
      server.Call("POST", "/api/concurrency_limits/increment",
                  R"({"names":["db"],"task_run_id":"7f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f"})");
  CHECK(locked.status == 423);
  CHECK(locked.retry_after == "10.0");
  CHECK(locked.body == R"({"detail":"Concurrency limit for the db tag has been reached"})");
}

TEST_CASE("a zero v1 limit answers 423 without Retry-After", "[dispatch]") {
  Server server;
  server.Call("POST", "/api/concurrency_limits/", R"({"tag":"db","concurrency_limit":0})");
  const ApiResponse locked =
      server.Call("POST", "/api/concurrency_limits/increment",
                  std::string(R"({"names":["db"],"task_run_id":")") + kTaskRun + "\"}");
  CHECK(locked.status == 423);
  CHECK(locked.retry_after.empty());
  CHECK(locked.body == R"({"detail":"The concurrency limit on tag \"db\" is 0 and will )"
                       R"(deadlock if the task tries to run again."})");
}

TEST_CASE("a full v2 limit answers 423 Locked with a jittered Retry-After", "[dispatch]") {
  Server server;
  server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":1})");
  const std::string body = R"({"slots":1,"names":["db"]})";
  REQUIRE(server.Call("POST", "/api/v2/concurrency_limits/increment", body).status == 200);
  const ApiResponse locked = server.Call("POST", "/api/v2/concurrency_limits/increment", body);
  CHECK(locked.status == 423);
  CHECK(locked.body == R"({"detail":"Locked"})");
  const double retry_after = std::stod(locked.retry_after);
  CHECK(retry_after > 0.0);
  CHECK(retry_after <= 2.0 * 1.3);
  CHECK(locked.retry_after.find_first_of(".e") != std::string::npos);  // a Python float
}

TEST_CASE("rate limiting without decay names the limits as Python's repr does", "[dispatch]") {
  Server server;
  server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"a","limit":1})");
  server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"b","limit":1})");
  const ApiResponse response = server.Call("POST", "/api/v2/concurrency_limits/increment",
                                           R"({"slots":1,"names":["a","b"],"mode":"rate_limit"})");
  CHECK(response.status == 422);
  CHECK(response.body ==
        R"({"detail":"Only concurrency limits with slot decay can be used for rate limiting. )"
        R"(The following limits do not have a decay configured: 'a,b'"})");
}

TEST_CASE("a lease is taken, renewed and released", "[dispatch]") {
  Server server;
  server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":1})");
  const ApiResponse taken = server.Call("POST", "/api/v2/concurrency_limits/increment-with-lease",
                                        R"({"slots":1,"names":["db","unknown"]})");
  REQUIRE(taken.status == 200);
  const std::string lease_id = taken.body.substr(13, 36);
  CHECK(taken.body.find(R"("limits":[{"id":")") != std::string::npos);
  const std::string renew = "/api/v2/concurrency_limits/leases/" + lease_id + "/renew";
  CHECK(server.Call("POST", renew, R"({"lease_duration":600})").status == 204);
  CHECK(server
            .Call("POST", "/api/v2/concurrency_limits/decrement-with-lease",
                  R"({"lease_id":")" + lease_id + "\"}")
            .status == 204);
  const ApiResponse gone = server.Call("POST", renew);
  CHECK(gone.status == 410);
  CHECK(gone.body == R"({"detail":"Lease not found - it may have expired or been revoked"})");
}

TEST_CASE("a renewal reports a bad lease id in the path before body errors", "[dispatch]") {
  Server server;
  const ApiResponse response =
      server.Call("POST", "/api/v2/concurrency_limits/leases/x/renew", R"({"lease_duration":1})");
  CHECK(response.status == 422);
  const size_t path_error = response.body.find(R"("loc":["path","lease_id"])");
  const size_t body_error = response.body.find(R"("loc":["body","lease_duration"])");
  CHECK(path_error != std::string::npos);
  CHECK(body_error != std::string::npos);
  CHECK(path_error < body_error);
}

TEST_CASE("filters page through limits by name", "[dispatch]") {
  Server server;
  for (const char* name : {"c", "a", "b"}) {
    server.Call("POST", "/api/v2/concurrency_limits/",
                std::string(R"({"name":")") + name + R"(","limit":1})");
  }
  server.Call("POST", "/api/concurrency_limits/", R"({"tag":"t","concurrency_limit":1})");
  const ApiResponse page =
      server.Call("POST", "/api/v2/concurrency_limits/filter", R"({"limit":2,"offset":1})");
  CHECK(page.status == 200);
  CHECK(page.body.find(R"("name":"b")") < page.body.find(R"("name":"c")"));
  CHECK(page.body.find(R"("name":"a")") == std::string::npos);
  const ApiResponse tags = server.Call("POST", "/api/concurrency_limits/filter");
  CHECK(tags.body.find(R"("tag":"t")") != std::string::npos);
  CHECK(tags.body.find(R"("tag":"a")") == std::string::npos);
  const ApiResponse too_many =
      server.Call("POST", "/api/concurrency_limits/filter", R"({"limit":201})");
  CHECK(too_many.status == 422);
  CHECK(too_many.body == R"({"detail":"Invalid limit: must be less than or equal to 200."})");
}

// ---- trailing slashes ------------------------------------------------------

TEST_CASE("the other slash form of a route is a 307 to the route, query kept, with no body",
          "[dispatch]") {
  Server server;
  ApiRequest request;
  request.method = "GET";
  request.path = "/api/v2/concurrency_limits/a b/";
  request.raw_query = "x=1&y=%20";
  request.host_header = "example.com:4200";
  const ApiResponse answer = server.Call(request);
  CHECK(answer.status == 307);
  CHECK(answer.body.empty());
  CHECK(answer.location == "http://example.com:4200/api/v2/concurrency_limits/a%20b?x=1&y=%20");
}

TEST_CASE("a redirect is decided before the API-version check and without reading the body",
          "[dispatch]") {
  Server server;
  ApiRequest request;
  request.method = "POST";
  request.path = "/api/v2/concurrency_limits";
  request.body = "not json";
  request.api_version_header = "0.0.1";
  request.host_header = "h";
  const ApiResponse answer = server.Call(request);
  CHECK(answer.status == 307);
  CHECK(answer.location == "http://h/api/v2/concurrency_limits/");
}

TEST_CASE("without a usable Host header a redirect names the server's address", "[dispatch]") {
  Server server;
  ApiRequest request;
  request.method = "GET";
  request.path = "/api/health/";
  request.server_address = "127.0.0.1";
  request.server_port = 4200;
  CHECK(server.Call(request).location == "http://127.0.0.1:4200/api/health");
  request.host_header = "bad host";
  CHECK(server.Call(request).location == "http://127.0.0.1:4200/api/health");
  request.tls = true;
  request.server_port = 443;
  CHECK(server.Call(request).location == "https://127.0.0.1/api/health");
}

TEST_CASE("a path that matches no route in either form stays a 404", "[dispatch]") {
  Server server;
  const ApiResponse answer = server.Call("GET", "/api/no/such/");
  CHECK(answer.status == 404);
  CHECK(answer.location.empty());
}

// ---- bodies that are not JSON ----------------------------------------------

namespace {

ApiRequest TextRequest(std::string_view path, std::string_view body,
                       std::string_view content_type = "text/plain") {
  ApiRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  request.content_type = content_type;
  return request;
}

}  // namespace

TEST_CASE("a create whose body is not JSON fails as not an object, echoing the text",
          "[dispatch]") {
  Server server;
  const ApiResponse answer =
      server.Call(TextRequest("/api/v2/concurrency_limits/", R"({"name":"a","limit":1})",
                              "application/x-www-form-urlencoded"));
  CHECK(answer.status == 422);
  CHECK(
      answer.body ==
      R"({"exception_message":"Invalid request received.","exception_detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"{\"name\":\"a\",\"limit\":1}"}],"request_body":"{\"name\":\"a\",\"limit\":1}"})");
  CHECK(server.Call("POST", "/api/v2/concurrency_limits/filter", "{}").body == "[]");
}

TEST_CASE("a route of embedded fields reads a body that is not JSON as no body", "[dispatch]") {
  Server server;
  // The filter's fields all have defaults: it lists as if no body were sent.
  server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"a","limit":1})");
  const ApiResponse page =
      server.Call(TextRequest("/api/v2/concurrency_limits/filter", R"({"offset":1})"));
  CHECK(page.status == 200);
  CHECK(page.body.find(R"("name":"a")") != std::string::npos);
  // Required fields are missing, and the 422 echoes the text.
  const ApiResponse increment =
      server.Call(TextRequest("/api/concurrency_limits/increment", "names"));
  CHECK(increment.status == 422);
  CHECK(increment.body.find(R"({"type":"missing","loc":["body","names"])") != std::string::npos);
  CHECK(increment.body.ends_with(R"("request_body":"names"})"));
}

TEST_CASE("a text body that is not UTF-8 makes Prefect's echo fail: 500", "[dispatch]") {
  Server server;
  const ApiResponse answer = server.Call(TextRequest("/api/concurrency_limits/increment", "\xff"));
  CHECK(answer.status == 500);
  CHECK(answer.body == R"({"exception_message":"Internal Server Error"})");
  // Where nothing is echoed, the bytes do no harm.
  CHECK(server.Call(TextRequest("/api/concurrency_limits/filter", "\xff")).status == 200);
}

TEST_CASE("a text body on a create fails after the API-version check", "[dispatch]") {
  Server server;
  ApiRequest request = TextRequest("/api/concurrency_limits/", "x");
  request.api_version_header = "0.0.1";
  CHECK(server.Call(request).status == 400);
}

TEST_CASE("a chunked body without a Content-Type is not JSON, but with a Content-Length it is",
          "[dispatch]") {
  Server server;
  ApiRequest request;
  request.method = "POST";
  request.path = "/api/v2/concurrency_limits/";
  request.body = R"({"name":"a","limit":1})";
  request.chunked = true;
  CHECK(server.Call(request).status == 422);
  request.chunked = false;
  CHECK(server.Call(request).status == 201);
}

TEST_CASE("a v2 name over max_name_bytes is a 422 string_too_long at body.name", "[dispatch]") {
  Server server(8);
  const ApiResponse refused =
      server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"abcdefghi","limit":1})");
  CHECK(refused.status == 422);
  CHECK(
      refused.body ==
      R"({"exception_message":"Invalid request received.","exception_detail":[{"type":"string_too_long","loc":["body","name"],"msg":"String should have at most 8 characters","input":"abcdefghi","ctx":{"max_length":8}}],"request_body":{"name":"abcdefghi","limit":1}})");
  CHECK(server.engine().LimitCount() == 0);
  CHECK(server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"abcdefgh","limit":1})")
            .status == 201);
}

TEST_CASE("a v2 rename over max_name_bytes is a 422 and the limit keeps its name", "[dispatch]") {
  Server server(8);
  REQUIRE(server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":1})").status ==
          201);
  const ApiResponse refused = server.Call("PATCH", "/api/v2/concurrency_limits/db",
                                          R"({"name":"\u00e9\u00e9\u00e9\u00e9\u00e9"})");
  CHECK(refused.status == 422);
  CHECK(refused.body ==
        "{\"exception_message\":\"Invalid request received.\",\"exception_detail\":[{\"type\":"
        "\"string_too_long\",\"loc\":[\"body\",\"name\"],\"msg\":\"String should have at most 8 "
        "characters\",\"input\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"ctx\":{\"max_"
        "length\":8}}],\"request_body\":{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}}");
  CHECK(server.Call("GET", "/api/v2/concurrency_limits/db").status == 200);
}

TEST_CASE("a v1 tag over max_name_bytes less tag: is a 422 at body.tag", "[dispatch]") {
  Server server(8);
  const ApiResponse refused =
      server.Call("POST", "/api/concurrency_limits/", R"({"tag":"abcde","concurrency_limit":1})");
  CHECK(refused.status == 422);
  CHECK(
      refused.body ==
      R"({"exception_message":"Invalid request received.","exception_detail":[{"type":"string_too_long","loc":["body","tag"],"msg":"String should have at most 4 characters","input":"abcde","ctx":{"max_length":4}}],"request_body":{"tag":"abcde","concurrency_limit":1}})");
  CHECK(server.Call("POST", "/api/concurrency_limits/", R"({"tag":"abcd","concurrency_limit":1})")
            .status == 201);
}

TEST_CASE("a path name over max_name_bytes is 404: it cannot exist", "[dispatch]") {
  Server server(8);
  CHECK(server.Call("GET", "/api/v2/concurrency_limits/abcdefghi").status == 404);
  CHECK(server.Call("PATCH", "/api/v2/concurrency_limits/abcdefghi", R"({"limit":2})").status ==
        404);
  CHECK(server.Call("DELETE", "/api/v2/concurrency_limits/abcdefghi").status == 404);
  CHECK(server.Call("GET", "/api/concurrency_limits/tag/abcde").status == 404);
  CHECK(server.Call("DELETE", "/api/concurrency_limits/tag/abcde").status == 404);
  CHECK(server.Call("POST", "/api/concurrency_limits/tag/abcde/reset").status == 404);
  CHECK(server.Call("GET", "/api/slotd/limits/abcdefghi/holders").status == 404);
}

TEST_CASE("the holders route lists a limit's leases with holder, slots, times and renewals",
          "[dispatch][slotd]") {
  Server server;
  REQUIRE(server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":5})").status ==
          201);
  const ApiResponse empty = server.Call("GET", "/api/slotd/limits/db/holders");
  CHECK(empty.status == 200);
  CHECK(empty.content_type == "application/json");
  CHECK(empty.body == R"({"holders":[],"waiting":0,"waiters":[]})");
  const ApiResponse lease =
      server.Call("POST", "/api/v2/concurrency_limits/increment-with-lease",
                  std::string(R"({"names":["db"],"slots":2,"lease_duration":60,)") +
                      R"("holder":{"type":"task_run","id":")" + kTaskRun + R"("}})");
  REQUIRE(lease.status == 200);
  const std::string lease_id = lease.body.substr(lease.body.find("lease_id") + 11, 36);
  REQUIRE(server
              .Call("POST", "/api/v2/concurrency_limits/increment-with-lease",
                    R"({"names":["db"],"slots":1})")
              .status == 200);
  const ApiResponse holders = server.Call("GET", "/api/slotd/limits/db/holders");
  CHECK(holders.status == 200);
  CHECK(holders.body.starts_with(
      R"({"holders":[{"lease_id":")" + lease_id + R"(","holder":{"type":"task_run","id":")" +
      kTaskRun + R"("},"slots":2,"created":"2027-01-15T08:00:00Z",)" +
      R"("expiration":"2027-01-15T08:01:00Z","renewals":0},{"lease_id":")"));
  CHECK(holders.body.ends_with(
      R"(","holder":null,"slots":1,"created":"2027-01-15T08:00:00Z","expiration":"2027-01-15T08:05:00Z","renewals":0}],"waiting":0,"waiters":[]})"));
}

TEST_CASE("the holders route is 404 for an unknown name and 405 for another method",
          "[dispatch][slotd]") {
  Server server;
  const ApiResponse missing = server.Call("GET", "/api/slotd/limits/nope/holders");
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"detail":"Concurrency Limit not found"})");
  CHECK(server.Call("GET", "/api/slotd/limits/a%2Fb/holders").status == 404);
  CHECK(server.Call("GET", "/api/slotd/limits/" + std::string(100000, 'x') + "/holders").status ==
        404);
  const ApiResponse post = server.Call("POST", "/api/slotd/limits/db/holders");
  CHECK(post.status == 405);
  CHECK(post.allow == "GET");
  const ApiResponse slash = server.Call("GET", "/api/slotd/limits/db/holders/");
  CHECK(slash.status == 307);
  CHECK(server.Call("GET", "/api/slotd/limits/db").status == 404);
}

TEST_CASE("/metrics answers Prometheus's text format, with the engine's figures",
          "[dispatch][slotd]") {
  Server server;
  REQUIRE(server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":2})").status ==
          201);
  REQUIRE(
      server.Call("POST", "/api/v2/concurrency_limits/increment", R"({"names":["db"],"slots":2})")
          .status == 200);
  REQUIRE(
      server.Call("POST", "/api/v2/concurrency_limits/increment", R"({"names":["db"],"slots":1})")
          .status == 423);
  server.context().metrics->RecordRequest(RouteFamily::kV2Slots, 422, 30);
  const ApiResponse metrics = server.Call("GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& body = metrics.body;
  CHECK(body.find("\nslotd_limit_limit{name=\"db\",tag=\"false\"} 2\n") != std::string::npos);
  CHECK(body.find("\nslotd_limit_active_slots{name=\"db\",tag=\"false\"} 2\n") !=
        std::string::npos);
  CHECK(body.find("\nslotd_limit_denied_slots{name=\"db\",tag=\"false\"} 1\n") !=
        std::string::npos);
  CHECK(body.find("\nslotd_acquisitions_total 1\n") != std::string::npos);
  CHECK(body.find("\nslotd_refusals_total 1\n") != std::string::npos);
  CHECK(body.find("\nslotd_validation_errors_total 1\n") != std::string::npos);
  CHECK(body.find(
            "\nslotd_http_request_duration_seconds_count{route=\"v2_slots\",status_class=\"4xx\"} "
            "1\n") != std::string::npos);
  CHECK(body.find("\nslotd_http_connections_open 0\n") != std::string::npos);
  CHECK(body.find("\nprocess_resident_memory_bytes ") != std::string::npos);
  CHECK(server.Call("POST", "/metrics").status == 405);
  CHECK(server.Call("GET", "/metrics/").status == 307);
}

TEST_CASE("/metrics sums the limits past metrics_max_limits under an empty name",
          "[dispatch][slotd]") {
  Server server;
  server.context().config.metrics_max_limits = 1;
  for (const char* name : {"b", "a", "c"}) {
    REQUIRE(server
                .Call("POST", "/api/v2/concurrency_limits/",
                      std::string(R"({"name":")") + name + R"(","limit":3})")
                .status == 201);
  }
  REQUIRE(server.Call("POST", "/api/concurrency_limits/", R"({"tag":"t","concurrency_limit":4})")
              .status == 201);
  const std::string body = server.Call("GET", "/metrics").body;
  CHECK(body.find("\nslotd_limit_limit{name=\"a\",tag=\"false\"} 3\n") != std::string::npos);
  CHECK(body.find("name=\"b\"") == std::string::npos);
  CHECK(body.find("\nslotd_limit_limit{name=\"\",tag=\"false\"} 6.0\n") != std::string::npos);
  CHECK(body.find("\nslotd_limit_limit{name=\"\",tag=\"true\"} 4.0\n") != std::string::npos);
  CHECK(body.find("\nslotd_limits_summed{tag=\"false\"} 2\n") != std::string::npos);
  CHECK(body.find("\nslotd_limits_summed{tag=\"true\"} 1\n") != std::string::npos);
}

TEST_CASE("every answer Dispatch gives names its route family", "[dispatch][slotd]") {
  Server server;
  CHECK(server.Call("GET", "/api/health").family == RouteFamily::kRoot);
  CHECK(server.Call("GET", "/api/nope").family == RouteFamily::kUnmatched);
  CHECK(server.Call("DELETE", "/api/health").family == RouteFamily::kUnmatched);
  CHECK(server.Call("POST", "/api/concurrency_limits/filter").family == RouteFamily::kV1);
  CHECK(server.Call("GET", "/api/v2/concurrency_limits/x").family == RouteFamily::kV2Limits);
  CHECK(server.Call("POST", "/api/v2/concurrency_limits/increment", "{").family ==
        RouteFamily::kV2Slots);
  CHECK(server.Call("POST", "/api/logs/filter").family == RouteFamily::kLogs);
  CHECK(server.Call("GET", "/api/slotd/limits/x/holders").family == RouteFamily::kSlotd);
  CHECK(server.Call("GET", "/metrics").family == RouteFamily::kMetrics);
}

// A request that may be deferred, and its late answer once it comes.
struct Deferred {
  ApiResponse now;
  std::optional<ApiResponse> late;
  Undo undo;
  Deferral deferral{[this](ApiResponse answer, Undo give_back) {
    late = std::move(answer);
    undo = std::move(give_back);
  }};
};

void CallDeferred(Server& server, std::string_view path, std::string_view body,
                  std::string_view prefer, Deferred* call) {
  ApiRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  request.prefer_header = prefer;
  Dispatch(server.context(), request, &call->now, &call->deferral);
}

TEST_CASE("Prefer: wait defers an increment until a slot frees, and says so", "[dispatch][wait]") {
  Server server;
  REQUIRE(server.Call("POST", "/api/v2/concurrency_limits/", R"({"name":"db","limit":1})").status ==
          201);
  const std::string acquire = R"({"slots":1,"names":["db"]})";
  Deferred first, second;
  CallDeferred(server, "/api/v2/concurrency_limits/increment", acquire, "wait=5", &first);
  CHECK_FALSE(first.deferral.deferred());
  CHECK(first.now.status == 200);
  CHECK(first.now.preference_applied == "wait=5");
  CallDeferred(server, "/api/v2/concurrency_limits/increment", acquire, "wait=5", &second);
  REQUIRE(second.deferral.deferred());
  CHECK_FALSE(second.late);
  REQUIRE(server.Call("POST", "/api/v2/concurrency_limits/decrement", acquire).status == 200);
  REQUIRE(second.late);
  CHECK(second.late->status == 200);
  CHECK(second.late->preference_applied == "wait=5");
  // The undo gives the grant back, as when its client has gone.
  REQUIRE(second.undo);
  second.undo();
  LimitSnapshot db;
  REQUIRE(server.engine().ReadLimit(std::string_view("db"), &db) == Status::kOk);
  CHECK(db.active_slots == 0);
}

TEST_CASE("a deferred increment runs out as the usual 423, and cancelled it never answers",
          "[dispatch][wait]") {
  Server server;
  server.context().config.wait_seconds = 2;  // --wait-seconds: no header needed
  REQUIRE(server.Call("POST", "/api/concurrency_limits/", R"({"tag":"etl","concurrency_limit":1})")
              .status == 201);
  const std::string body = std::string(R"({"names":["etl"],"task_run_id":")") + kTaskRun + "\"}";
  REQUIRE(server.Call("POST", "/api/concurrency_limits/increment", body).status == 200);
  const std::string other =
      R"({"names":["etl"],"task_run_id":"7f1c1c36-0f2c-4a53-9d5e-1a1b2c3d4e5f"})";
  Deferred timed, cancelled;
  CallDeferred(server, "/api/concurrency_limits/increment", other, "", &timed);
  CallDeferred(server, "/api/concurrency_limits/increment", other, "", &cancelled);
  REQUIRE(timed.deferral.deferred());
  REQUIRE(cancelled.deferral.deferred());
  CHECK(cancelled.deferral.Cancel());
  server.clock().AdvanceSeconds(2);
  server.engine().ServiceWaits();
  REQUIRE(timed.late);
  CHECK(timed.late->status == 423);
  CHECK(timed.late->body == R"({"detail":"Concurrency limit for the etl tag has been reached"})");
  CHECK(timed.late->retry_after == "10.0");
  CHECK(timed.late->preference_applied.empty());
  CHECK_FALSE(timed.undo);
  CHECK_FALSE(cancelled.late);
}

TEST_CASE("without a deferral nothing waits, whatever the request prefers", "[dispatch][wait]") {
  Server server;
  REQUIRE(server
              .Call("POST", "/api/v2/concurrency_limits/",
                    R"({"name":"db","limit":1,"active_slots":1})")
              .status == 201);
  ApiRequest request;
  request.method = "POST";
  request.path = "/api/v2/concurrency_limits/increment";
  request.body = R"({"slots":1,"names":["db"]})";
  request.prefer_header = "wait=5";
  const ApiResponse answer = server.Call(request);
  CHECK(answer.status == 423);
  CHECK(answer.preference_applied.empty());
}

TEST_CASE("a store that cannot be reached answers 503 with Retry-After", "[dispatch]") {
  ApiResponse out;
  RespondOtherStatus(Status::kStoreUnavailable, &out);
  CHECK(out.status == 503);
  CHECK(out.retry_after == "1");
  CHECK(out.body.find("cannot be reached") != std::string::npos);
  ApiResponse data_dir;
  RespondOtherStatus(Status::kUnavailable, &data_dir);
  CHECK(data_dir.status == 503);
  CHECK(data_dir.retry_after.empty());
}

}  // namespace slotd::api::test
