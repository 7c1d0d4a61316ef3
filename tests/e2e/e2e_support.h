// Shared checks for the end-to-end tests: JSON parsing and canonical form,
// the spec's error shapes, and small REST calls that set up state.
#ifndef SLOTD_TESTS_E2E_E2E_SUPPORT_H_
#define SLOTD_TESTS_E2E_E2E_SUPPORT_H_

#include <httplib.h>
#include <simdjson.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slotd::e2e {

// Whether this build (and so the slotd it starts) runs under a sanitizer,
// whose shadow memory and per-thread state multiply the server's resident
// size.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

// A parsed JSON document that owns its parser.
class Json {
 public:
  explicit Json(std::string_view text);
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;

  bool valid() const { return error_ == simdjson::SUCCESS; }
  simdjson::dom::element root() const { return root_; }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  simdjson::error_code error_ = simdjson::SUCCESS;
};

// Minified JSON (key order and number kinds kept: 2.0 stays 2.0, 2 stays 2),
// or "<invalid JSON: text>".
std::string Canonical(std::string_view text);
std::string Canonical(simdjson::dom::element element);
std::string Canonical(simdjson::dom::array array);
// The keys of a JSON object, in order.
std::vector<std::string> Keys(simdjson::dom::element object);
// `s` as a JSON string literal.
std::string JsonString(std::string_view s);

bool IsUuid4(std::string_view s);      // lowercase canonical version-4 UUID
bool IsTimestamp(std::string_view s);  // 2026-11-24T06:31:33.123456Z
std::string NewUuid();                 // random lowercase version-4 UUID

// Field order of each response shape, as API.md lists it.
extern const std::vector<std::string> kConcurrencyLimitKeys;
extern const std::vector<std::string> kConcurrencyLimitV2Keys;
extern const std::vector<std::string> kGlobalResponseKeys;
extern const std::vector<std::string> kMinimalKeys;

httplib::Result PostJson(httplib::Client& cli, const std::string& path, const std::string& body);
httplib::Result PatchJson(httplib::Client& cli, const std::string& path, const std::string& body);

// REQUIREs that the request got an answer (not a transport error).
void RequireAnswer(const httplib::Result& res);
// Checks status, `Content-Type: application/json` and body `{"detail": message}`.
void CheckDetail(const httplib::Result& res, int status, std::string_view message);
// Checks a JSON answer: status, Content-Type and canonical body.
void CheckJson(const httplib::Result& res, int status, std::string_view canonical_body);
// Checks a 204 with an empty body.
void CheckNoContent(const httplib::Result& res);
// Checks a 422 of the spec's request-validation shape. `loc`, when not empty,
// is the canonical JSON of a `loc` one of the errors must have;
// `request_body` is the canonical JSON `request_body` must equal.
void CheckValidationError(const httplib::Result& res, std::string_view loc,
                          std::string_view request_body);

// REQUIREs an answer with this status (the body is shown when it differs).
void RequireStatus(const httplib::Result& res, int status);
// The canonical JSON of a top-level field of a JSON object body, or a
// "<missing KEY>" / "<invalid JSON>" marker.
std::string Field(const std::string& body, const char* key);
// A canonical JSON string without its quotes (no unescaping).
std::string Unquoted(const std::string& canonical);

// POST /api/concurrency_limits/increment (or decrement) for one task run;
// `names_json` is the JSON array of tags.
httplib::Result V1Increment(httplib::Client& cli, const std::string& names_json,
                            const std::string& task_run_id);
httplib::Result V1Decrement(httplib::Client& cli, const std::string& names_json,
                            const std::string& task_run_id);

// Creates (or updates) tag limit `tag` through v1; returns its id.
std::string CreateTagLimit(httplib::Client& cli, const std::string& tag, int64_t limit);
// Creates a limit through v2 from a JSON body; returns its id.
std::string CreateV2Limit(httplib::Client& cli, const std::string& body);
std::string CreateV2Limit(httplib::Client& cli, const std::string& name, int64_t limit);
// The v1 holders (`active_slots`) of tag limit `tag`.
std::vector<std::string> TagHolders(httplib::Client& cli, const std::string& tag);
// The v2 `active_slots` of limit `name`.
int64_t ActiveSlots(httplib::Client& cli, const std::string& name);
// A MinimalConcurrencyLimitResponse in canonical form.
std::string Minimal(const std::string& id, const std::string& name, int64_t limit);
// The canonical items of a JSON array body, sorted: for lists whose order the
// spec leaves open.
std::vector<std::string> SortedItems(const std::string& body);
// The Retry-After header as seconds; CHECKs that it is a positive decimal
// number (digits, optionally a point and digits) and returns -1 when not.
double RetryAfterSeconds(const httplib::Result& res);
// The jitter bounds around a Retry-After mean: [mean * c, mean * 1.3] with
// c = log2(2^1.3 / (2^1.3 - 1)), widened by 1% for rounding.
double RetryAfterLow(double mean);
double RetryAfterHigh(double mean);
// CHECKs that the Retry-After of `res` is a jittered draw around a mean
// between mean_low and mean_high: within [RetryAfterLow(mean_low),
// RetryAfterHigh(mean_high)].
void CheckRetryAfterAround(const httplib::Result& res, double mean_low, double mean_high);
// Sorted copy, for comparing lists whose order the spec leaves open.
std::vector<std::string> Sorted(std::vector<std::string> v);
// The `name` of each object in a JSON array body.
std::vector<std::string> Names(std::string_view array_body);

// A field of /proc/PID/status in kB (VmRSS: resident now, VmHWM: the most
// ever resident), or -1.
long StatusKilobytes(pid_t pid, std::string_view field);

}  // namespace slotd::e2e

#endif  // SLOTD_TESTS_E2E_E2E_SUPPORT_H_
