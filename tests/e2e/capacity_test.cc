// The caps on how many limits and leases exist (--max-limits, --max-leases):
// a call that would pass one gets a 503 that says which cap, changes nothing,
// and room freed by a delete, release or reset is usable again.
#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

constexpr const char* kTooManyLimits =
    "Too many concurrency limits: this server's --max-limits is reached. Delete a limit first.";
constexpr const char* kTooManyLeases =
    "Too many concurrency leases: this server's --max-leases is reached. Release a lease or wait "
    "for one to expire.";
const std::string kAcquire = "/api/v2/concurrency_limits/increment-with-lease";
const std::string kRelease = "/api/v2/concurrency_limits/decrement-with-lease";

TEST_CASE("creating a limit past --max-limits is 503 until one is deleted", "[capacity]") {
  SlotdProcess server(WithArgs({"--max-limits", "2"}));
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 1);
  CreateTagLimit(*cli, "t", 1);
  CheckDetail(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"b","limit":1})"), 503,
              kTooManyLimits);
  CheckDetail(PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"u","concurrency_limit":1})"),
              503, kTooManyLimits);
  // An existing tag limit is still updated in place.
  RequireStatus(PostJson(*cli, "/api/concurrency_limits/", R"({"tag":"t","concurrency_limit":4})"),
                200);
  auto listed = PostJson(*cli, "/api/v2/concurrency_limits/filter", "{}");
  RequireStatus(listed, 200);
  CHECK(Names(listed->body) == std::vector<std::string>{"a", "tag:t"});

  CheckNoContent(cli->Delete("/api/v2/concurrency_limits/a"));
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/", R"({"name":"b","limit":1})"), 201);
}

TEST_CASE("a lease past --max-leases is 503 and takes no slot", "[capacity]") {
  SlotdProcess server(WithArgs({"--max-leases", "1"}));
  auto cli = server.client();
  CreateV2Limit(*cli, "a", 5);
  CreateTagLimit(*cli, "t", 5);
  auto first = PostJson(*cli, kAcquire, R"({"slots":1,"names":["a"]})");
  RequireStatus(first, 200);
  const std::string lease_id = Unquoted(Field(first->body, "lease_id"));

  CheckDetail(PostJson(*cli, kAcquire, R"({"slots":2,"names":["a"]})"), 503, kTooManyLeases);
  CHECK(ActiveSlots(*cli, "a") == 1);
  // A v1 slot is a lease too.
  const std::string run = NewUuid();
  CheckDetail(V1Increment(*cli, R"(["t"])", run), 503, kTooManyLeases);
  CHECK(TagHolders(*cli, "t").empty());
  CHECK(ActiveSlots(*cli, "tag:t") == 0);
  // Slots without a lease need no room.
  RequireStatus(
      PostJson(*cli, "/api/v2/concurrency_limits/increment", R"({"slots":1,"names":["a"]})"), 200);
  CHECK(ActiveSlots(*cli, "a") == 2);

  CheckNoContent(PostJson(*cli, kRelease, "{\"lease_id\":\"" + lease_id + "\"}"));
  RequireStatus(V1Increment(*cli, R"(["t"])", run), 200);
  CHECK(TagHolders(*cli, "t") == std::vector<std::string>{run});
  // A reset that would need more leases than fit changes nothing.
  CheckDetail(PostJson(*cli, "/api/concurrency_limits/tag/t/reset",
                       "{\"slot_override\":[\"" + NewUuid() + "\",\"" + NewUuid() + "\"]}"),
              503, kTooManyLeases);
  CHECK(TagHolders(*cli, "t") == std::vector<std::string>{run});
}

}  // namespace
}  // namespace slotd::e2e
