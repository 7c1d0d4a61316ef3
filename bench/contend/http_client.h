// Talking to a server that speaks Prefect's concurrency-limit API
// (shared/spec/API.md): acquiring and releasing slots the way Prefect's
// clients do, through one keep-alive connection per worker.
//
// What a release answer can prove, per API (what the tool calls "a release
// the server did not know"):
//   v1_tag        decrement lists every existing named limit; a limit missing
//                 from the answer was unknown to the server.
//   v2_increment  decrement lists the existing named limits; same check.
//   v2_lease      decrement-with-lease is 204 whether or not the lease was
//                 known, so the answer proves nothing. CheckHold (the
//                 --verify-holds option) renews the lease first: 410 means
//                 the server had lost it.
// CheckHold for v1_tag reads the tag and looks for the task run among its
// holders; for v2_increment it reads each limit and expects at least the
// slots this worker holds (sound only without decay, so decaying limits are
// skipped).
#pragma once

#include <httplib.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <vector>

#include "scenario.h"

namespace slotd::contend {

// Where the API lives: "http://127.0.0.1:4200/api" splits into the origin
// "http://127.0.0.1:4200" and the path prefix "/api".
struct Endpoint {
  std::string origin;
  std::string prefix;
  std::string auth;  // "user:password" for HTTP basic auth, or empty
};

// Parses an API root URL (http or https); false with `error` set otherwise.
bool ParseApiUrl(const std::string& url, Endpoint* endpoint, std::string* error);

// A client for `endpoint`: keep-alive, bounded timeouts, the API version
// header Prefect's clients send, and basic auth when configured.
std::unique_ptr<httplib::Client> MakeClient(const Endpoint& endpoint);

// `text` percent-encoded for use as one path segment.
std::string PathSegment(const std::string& text);

// "503 {\"detail\": ...}" or the transport error's name, for messages.
std::string DescribeResult(const httplib::Result& result);

struct AcquireAnswer {
  enum class Outcome {
    kAcquired,   // 200: the slots are held
    kRefused,    // 423: try again later
    kTransient,  // transport error or 5xx: try again soon
    kFatal,      // anything else: the scenario cannot work against this server
  };
  Outcome outcome = Outcome::kFatal;
  double retry_after_s = -1;  // a 423's Retry-After, or -1 when absent or unusable
  std::string lease_id;       // v2_lease
  std::string detail;         // what went wrong, for the report
};

struct ReleaseAnswer {
  bool sent = false;        // the server answered with a 2xx
  bool server_knew = true;  // false: the answer shows the server did not know the hold
  std::string detail;
};

// One worker's connection. Not thread-safe: one per worker thread.
class SlotClient {
 public:
  explicit SlotClient(const Endpoint& endpoint);

  // One attempt to take `group.slots` on every limit of `group.acquire`.
  AcquireAnswer Acquire(const WorkerGroup& group, const std::string& task_run_id);

  // Gives back what Acquire took; `held_s` becomes v2's occupancy_seconds.
  ReleaseAnswer Release(const WorkerGroup& group, const std::string& task_run_id,
                        const std::string& lease_id, double held_s);

  // Asks the server whether it still knows this hold (see the top of this
  // file); `decaying` lists, per name in group.acquire, whether it decays.
  ReleaseAnswer CheckHold(const WorkerGroup& group, const std::string& task_run_id,
                          const std::string& lease_id, const std::vector<bool>& decaying);

 private:
  httplib::Result Post(const std::string& path, const std::string& body);
  // True when every name in `names` appears as a "name" in the JSON list
  // `body` (or `list`): how a 200 shows which limits it covered.
  bool ListsEveryName(const std::string& body, const std::vector<std::string>& names);
  static bool ListsEveryName(simdjson::dom::element list, const std::vector<std::string>& names);
  // Sorts an answer into acquired, refused, transient or fatal.
  static AcquireAnswer Interpret(const httplib::Result& result);
  ReleaseAnswer CheckV1Holder(const std::string& tag, const std::string& task_run_id);
  ReleaseAnswer CheckV2Count(const std::string& name, int64_t slots);

  Endpoint endpoint_;
  std::unique_ptr<httplib::Client> client_;
  simdjson::dom::parser parser_;
};

}  // namespace slotd::contend
