// The v1 tag-limit view: upsert, increment and decrement by task run, reset.
#include "tests/engine/engine_test_support.h"

namespace slotd::test {
namespace {

Uuid IdOf(std::string_view text) { return *ParseUuid(text); }

TEST_CASE("upserting a new tag creates the limit tag:<tag>", "[v1]") {
  TestEngine t;
  LimitSnapshot out;
  bool created = false;
  REQUIRE(t.engine().UpsertTagLimit("db", 3, &out, &created) == Status::kOk);
  CHECK(created);
  CHECK(out.name == "tag:db");
  CHECK(out.limit == 3);
  CHECK(out.active);
  LimitSnapshot read = t.Read("tag:db");
  CHECK(read.id == out.id);
}

TEST_CASE("upserting an existing tag sets its limit and keeps its id and slots", "[v1]") {
  TestEngine t;
  LimitSnapshot first;
  bool created = false;
  REQUIRE(t.engine().UpsertTagLimit("db", 3, &first, &created) == Status::kOk);
  REQUIRE(t.Increment({"db"}, NewRandomUuid()) == Status::kOk);
  t.Advance(2);
  LimitSnapshot second;
  REQUIRE(t.engine().UpsertTagLimit("db", 7, &second, &created) == Status::kOk);
  CHECK_FALSE(created);
  CHECK(second.id == first.id);
  CHECK(second.limit == 7);
  CHECK(second.active_slots == 1);
  CHECK(second.updated == t.Now());
  CHECK(second.created == first.created);
  CHECK(t.engine().LimitCount() == 1);
}

TEST_CASE("a limit created through v2 as tag:<tag> is the same v1 tag limit", "[v1]") {
  TestEngine t;
  LimitSnapshot v2 = t.Create("tag:db", 2);
  LimitSnapshot out;
  bool created = true;
  REQUIRE(t.engine().UpsertTagLimit("db", 4, &out, &created) == Status::kOk);
  CHECK_FALSE(created);
  CHECK(out.id == v2.id);
}

TEST_CASE("upserting an empty tag or one with a banned character is InvalidName", "[v1]") {
  std::string tag = GENERATE(std::string(""), std::string("a/b"), std::string("%"),
                             std::string("a&b"), std::string("a>"), std::string("<a"));
  TestEngine t;
  LimitSnapshot out;
  bool created = false;
  CHECK(t.engine().UpsertTagLimit(tag, 1, &out, &created) == Status::kInvalidName);
  CHECK(t.engine().LimitCount() == 0);
}

TEST_CASE("upserting a negative limit is InvalidValue", "[v1]") {
  TestEngine t;
  LimitSnapshot out;
  bool created = false;
  CHECK(t.engine().UpsertTagLimit("db", -1, &out, &created) == Status::kInvalidValue);
  CHECK(t.engine().LimitCount() == 0);
}

TEST_CASE("incrementing by task run takes one slot per tag under one 100-year lease", "[v1]") {
  TestEngine t;
  LimitSnapshot a = t.Create("tag:a", 2);
  LimitSnapshot b = t.Create("tag:b", 2);
  Uuid run = NewRandomUuid();
  TagIncrementOutcome out;
  REQUIRE(t.Increment({"b", "a"}, run, &out) == Status::kOk);
  REQUIRE(out.limits.size() == 2);
  CHECK(out.limits[0].name == "b");  // bare tags, request order
  CHECK(out.limits[0].id == b.id);
  CHECK(out.limits[0].limit == 2);
  CHECK(out.limits[1].name == "a");
  CHECK(out.limits[1].id == a.id);
  CHECK(t.Active("tag:a") == 1);
  CHECK(t.Active("tag:b") == 1);
  CHECK(t.engine().LeaseCount() == 1);
  CHECK(t.Read("tag:a", true).task_run_holders == std::vector<Uuid>{run});
  // About 100 years: still held after 99.
  t.clock().Advance(std::chrono::hours(24 * 365 * 99));
  CHECK(t.engine().ExpireLeases() == 0);
  CHECK(t.Read("tag:b", true).task_run_holders == std::vector<Uuid>{run});
}

TEST_CASE("incrementing many tags at once takes one slot on each under one lease", "[v1]") {
  TestEngine t;
  std::vector<std::string> tags;
  for (int i = 0; i < 20; ++i) {
    std::string tag = "t";  // not "t" + ...: GCC 12 warns falsely there (-Wrestrict)
    tag += std::to_string(i);
    tags.push_back(tag);
    t.Create(TagLimitName(tags.back()), 1);
  }
  std::vector<std::string_view> request(tags.begin(), tags.end());
  request.insert(request.end(), tags.begin(), tags.end());
  Uuid run = NewRandomUuid();
  TagIncrementOutcome out;
  REQUIRE(t.engine().IncrementByTaskRun(request, run, &out) == Status::kOk);
  CHECK(out.limits.size() == tags.size());
  CHECK(t.engine().LeaseCount() == 1);
  for (const std::string& tag : tags) CHECK(t.Active(TagLimitName(tag)) == 1);
  std::vector<LimitRef> refs;
  REQUIRE(t.engine().DecrementByTaskRun(request, run, &refs) == Status::kOk);
  CHECK(refs.size() == tags.size());
  for (const std::string& tag : tags) CHECK(t.Active(TagLimitName(tag)) == 0);
}

TEST_CASE("incrementing ignores unknown tags and inactive limits", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 2);
  t.Create("tag:off", 2, 0, /*active=*/false);
  t.Create("plain", 2);  // not a tag limit: "plain" as a tag means tag:plain
  TagIncrementOutcome out;
  REQUIRE(t.Increment({"ghost", "off", "a", "plain"}, NewRandomUuid(), &out) == Status::kOk);
  REQUIRE(out.limits.size() == 1);
  CHECK(out.limits[0].name == "a");
  CHECK(t.Active("tag:off") == 0);
  CHECK(t.Active("plain") == 0);
}

TEST_CASE("incrementing only unknown tags succeeds with an empty list and no lease", "[v1]") {
  TestEngine t;
  TagIncrementOutcome out;
  REQUIRE(t.Increment({"ghost"}, NewRandomUuid(), &out) == Status::kOk);
  CHECK(out.limits.empty());
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("incrementing a tag whose limit is zero is refused with ZeroLimit, even when inactive",
          "[v1]") {
  const bool active = GENERATE(true, false);
  TestEngine t;
  t.Create("tag:a", 2);
  t.Create("tag:zero", 0, 0, active);
  TagIncrementOutcome out;
  CHECK(t.Increment({"a", "zero"}, NewRandomUuid(), &out) == Status::kZeroLimit);
  CHECK(out.refusing_tag == "zero");
  CHECK(t.Active("tag:a") == 0);
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("a zero limit refuses with ZeroLimit even when another named tag is full", "[v1]") {
  TestEngine t;
  t.Create("tag:full", 1, 0, true, /*active_slots=*/1);
  t.Create("tag:zero", 0);
  TagIncrementOutcome out;
  CHECK(t.Increment({"full", "zero"}, NewRandomUuid(), &out) == Status::kZeroLimit);
  CHECK(out.refusing_tag == "zero");
}

TEST_CASE("a tag named twice in one increment takes one slot and is listed once", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  TagIncrementOutcome out;
  REQUIRE(t.Increment({"a", "a"}, NewRandomUuid(), &out) == Status::kOk);
  CHECK(t.Active("tag:a") == 1);
  REQUIRE(out.limits.size() == 1);
  CHECK(out.limits[0].name == "a");
}

TEST_CASE("incrementing a full tag is Locked naming it, with the tag wait and no denial", "[v1]") {
  TestOptions options;
  options.tag_wait_seconds = 7.5;
  TestEngine t(options);
  t.Create("tag:a", 2);
  t.Create("tag:full", 1, 0, true, /*active_slots=*/1);
  t.Advance(1);
  TagIncrementOutcome out;
  CHECK(t.Increment({"a", "full"}, NewRandomUuid(), &out) == Status::kLocked);
  CHECK(out.refusing_tag == "full");
  CHECK(out.retry_after_seconds == 7.5);
  CHECK(t.Active("tag:a") == 0);
  CHECK(t.Denied("tag:a") == 0);
  CHECK(t.Denied("tag:full") == 0);
  CHECK(t.Read("tag:full").updated == kStart);
  CHECK(t.engine().LeaseCount() == 0);
}

TEST_CASE("a task run incrementing the same tag again takes no second slot", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  TagIncrementOutcome out;
  REQUIRE(t.Increment({"a"}, run, &out) == Status::kOk);
  CHECK(t.Active("tag:a") == 1);
  CHECK(t.engine().LeaseCount() == 1);
  REQUIRE(out.limits.size() == 1);
  CHECK(out.limits[0].name == "a");
}

TEST_CASE("a task run that holds a full tag is not refused when it increments it again", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 1);
  Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  CHECK(t.Increment({"a"}, run) == Status::kOk);
  CHECK(t.Increment({"a"}, NewRandomUuid()) == Status::kLocked);
  CHECK(t.Active("tag:a") == 1);
}

TEST_CASE("a task run holding some of the tags takes only the others and is told all of them",
          "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  t.Create("tag:b", 5);
  Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  TagIncrementOutcome out;
  REQUIRE(t.Increment({"a", "b"}, run, &out) == Status::kOk);
  REQUIRE(out.limits.size() == 2);
  CHECK(out.limits[0].name == "a");
  CHECK(out.limits[1].name == "b");
  CHECK(t.Active("tag:a") == 1);
  CHECK(t.Active("tag:b") == 1);
}

TEST_CASE("a v2 lease held by the task run counts as holding the tag", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  Uuid run = NewRandomUuid();
  t.AcquireLease({"tag:a"}, 1, 300, TaskRun(run));
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  CHECK(t.Active("tag:a") == 1);
  // A different holder type with the same id does not count.
  Uuid flow = NewRandomUuid();
  t.AcquireLease({"tag:a"}, 1, 300, Holder{HolderType::kFlowRun, flow});
  REQUIRE(t.Increment({"a"}, flow) == Status::kOk);
  CHECK(t.Active("tag:a") == 3);
}

TEST_CASE("an expired lease of the task run does not count as holding the tag", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  Uuid run = NewRandomUuid();
  t.AcquireLease({"tag:a"}, 1, 60, TaskRun(run));
  t.Advance(61);
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  CHECK(t.engine().ExpireLeases() == 1);
  CHECK(t.Active("tag:a") == 1);
  CHECK(t.Read("tag:a", true).task_run_holders == std::vector<Uuid>{run});
}

TEST_CASE("decrementing by task run releases its whole leases without occupancy change", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  t.Create("tag:b", 5);
  Uuid run = NewRandomUuid();
  Uuid other = NewRandomUuid();
  REQUIRE(t.Increment({"a", "b"}, run) == Status::kOk);
  REQUIRE(t.Increment({"a"}, other) == Status::kOk);
  t.Advance(30);
  std::vector<LimitRef> out;
  REQUIRE(t.Decrement({"a"}, run, &out) == Status::kOk);
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == "tag:a");  // the stored name
  CHECK(t.Active("tag:a") == 1);  // other's slot stays
  CHECK(t.Active("tag:b") == 0);  // same lease: released whole
  CHECK(t.AvgOccupancy("tag:a") == 2.0);
  CHECK(t.AvgOccupancy("tag:b") == 2.0);
  CHECK(t.Read("tag:a", true).task_run_holders == std::vector<Uuid>{other});
  CHECK(t.engine().LeaseCount() == 1);
}

TEST_CASE("decrementing lists every existing named tag, held or not, in request order", "[v1]") {
  TestEngine t;
  LimitSnapshot a = t.Create("tag:a", 5);
  t.Create("tag:off", 5, 0, /*active=*/false);
  t.Create("tag:b", 5);
  std::vector<LimitRef> out;
  REQUIRE(t.Decrement({"b", "ghost", "off", "a", "b"}, NewRandomUuid(), &out) == Status::kOk);
  CHECK(NamesOf(out) == std::vector<std::string>{"tag:b", "tag:off", "tag:a"});
  CHECK(out[2].id == a.id);
  CHECK(out[2].limit == 5);
}

TEST_CASE("decrementing a task run twice changes nothing the second time", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, run) == Status::kOk);
  REQUIRE(t.Increment({"a"}, NewRandomUuid()) == Status::kOk);
  REQUIRE(t.Decrement({"a"}, run) == Status::kOk);
  REQUIRE(t.Decrement({"a"}, run) == Status::kOk);
  CHECK(t.Active("tag:a") == 1);
}

TEST_CASE("decrementing releases the task run's v2 leases on the tag too", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  Uuid run = NewRandomUuid();
  Uuid lease = t.AcquireLease({"tag:a"}, 2, 300, TaskRun(run));
  REQUIRE(t.Decrement({"a"}, run) == Status::kOk);
  CHECK(t.Active("tag:a") == 0);
  CHECK(t.engine().ReleaseLease(lease) == Status::kLeaseNotFound);
}

TEST_CASE("a v1 read lists a limit's task run holders in the order their leases were taken",
          "[v1]") {
  TestEngine t;
  t.Create("tag:a", 10);
  // Ids that sort the other way round from the order they take the limit in.
  const Uuid late = IdOf("00000000-0000-4000-8000-000000000001");
  const Uuid middle = IdOf("77777777-7777-4777-8777-777777777777");
  const Uuid early = IdOf("ffffffff-ffff-4fff-bfff-ffffffffffff");
  REQUIRE(t.Increment({"a"}, early) == Status::kOk);
  REQUIRE(t.Increment({"a"}, middle) == Status::kOk);
  // A second lease of the same run (through v2) does not move it or repeat it.
  t.AcquireLease({"tag:a"}, 1, 300, TaskRun(early));
  REQUIRE(t.Increment({"a"}, late) == Status::kOk);
  CHECK(t.Read("tag:a", true).task_run_holders == std::vector<Uuid>{early, middle, late});
  // A run that lets go and takes the limit again comes last.
  REQUIRE(t.Decrement({"a"}, middle) == Status::kOk);
  REQUIRE(t.Increment({"a"}, middle) == Status::kOk);
  CHECK(t.Read("tag:a", true).task_run_holders == std::vector<Uuid>{early, late, middle});
  std::vector<LimitSnapshot> list;
  t.engine().ListLimits("tag:", 0, 10, &list, /*with_holders=*/true);
  REQUIRE(list.size() == 1);
  CHECK(list[0].task_run_holders == std::vector<Uuid>{early, late, middle});
}

TEST_CASE(
    "a reset sets the slot count to the number of distinct override ids, even above the "
    "limit",
    "[v1]") {
  TestEngine t;
  t.Create("tag:a", 2);
  Uuid held1 = NewRandomUuid();
  Uuid held2 = NewRandomUuid();
  REQUIRE(t.Increment({"a"}, held1) == Status::kOk);
  REQUIRE(t.Increment({"a"}, held2) == Status::kOk);
  t.Advance(1);
  Uuid c = NewRandomUuid(), d = NewRandomUuid(), e = NewRandomUuid();
  std::vector<Uuid> overrides = {c, d, c, e};
  REQUIRE(t.engine().ResetTagLimit("a", overrides) == Status::kOk);
  LimitSnapshot after = t.Read("tag:a", true);
  CHECK(after.active_slots == 3);
  CHECK(after.task_run_holders == std::vector<Uuid>{c, d, e});  // the order given
  CHECK(after.updated == t.Now());
  // The old holders hold nothing here any more; their decrement frees nothing.
  REQUIRE(t.Decrement({"a"}, held1) == Status::kOk);
  CHECK(t.Active("tag:a") == 3);
  // An override holder is a real holder: its decrement frees its slot, and
  // its repeat increment takes nothing.
  REQUIRE(t.Increment({"a"}, d) == Status::kOk);
  CHECK(t.Active("tag:a") == 3);
  REQUIRE(t.Decrement({"a"}, c) == Status::kOk);
  CHECK(t.Active("tag:a") == 2);
}

TEST_CASE("a reset without overrides frees every slot of the tag", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 2);
  REQUIRE(t.Increment({"a"}, NewRandomUuid()) == Status::kOk);
  t.AcquireLease({"tag:a"}, 1);
  REQUIRE(t.engine().ResetTagLimit("a", {}) == Status::kOk);
  LimitSnapshot after = t.Read("tag:a", true);
  CHECK(after.active_slots == 0);
  CHECK(after.task_run_holders.empty());
  CHECK(t.Increment({"a"}, NewRandomUuid()) == Status::kOk);
  CHECK(t.Increment({"a"}, NewRandomUuid()) == Status::kOk);
  CHECK(t.Active("tag:a") == 2);
}

TEST_CASE("a lease that also holds another limit keeps it through a reset", "[v1]") {
  TestEngine t;
  LimitSnapshot b = t.Create("tag:b", 5);
  t.Create("tag:a", 5);
  Uuid run = NewRandomUuid();
  REQUIRE(t.Increment({"a", "b"}, run) == Status::kOk);
  Uuid v2_lease = t.AcquireLease({"tag:a", "tag:b"}, 2);
  REQUIRE(t.engine().ResetTagLimit("a", {}) == Status::kOk);
  CHECK(t.Active("tag:a") == 0);
  CHECK(t.Active("tag:b") == 3);
  CHECK(t.Read("tag:b", true).task_run_holders == std::vector<Uuid>{run});
  LeaseSnapshot lease;
  REQUIRE(t.engine().ReadLease(v2_lease, &lease) == Status::kOk);
  CHECK(lease.limit_ids == std::vector<Uuid>{b.id});
  // Releasing the lease frees tag:b only; tag:a's count is not touched again.
  REQUIRE(t.engine().ReleaseLease(v2_lease) == Status::kOk);
  CHECK(t.Active("tag:b") == 1);
  CHECK(t.Active("tag:a") == 0);
  REQUIRE(t.Decrement({"b"}, run) == Status::kOk);
  CHECK(t.Active("tag:b") == 0);
}

TEST_CASE("a reset revokes the leases that held only the reset tag", "[v1]") {
  TestEngine t;
  t.Create("tag:a", 5);
  t.Create("tag:b", 5);
  REQUIRE(t.Increment({"a"}, NewRandomUuid()) == Status::kOk);
  Uuid only_a = t.AcquireLease({"tag:a"}, 1);
  Uuid a_and_b = t.AcquireLease({"tag:a", "tag:b"}, 1);
  REQUIRE(t.engine().LeaseCount() == 3);
  const Uuid overrides[] = {NewRandomUuid()};
  REQUIRE(t.engine().ResetTagLimit("a", overrides) == Status::kOk);
  // The v1 lease and only_a are gone; a_and_b stays; the override adds one.
  CHECK(t.engine().LeaseCount() == 2);
  LeaseSnapshot lease;
  CHECK(t.engine().ReadLease(only_a, &lease) == Status::kLeaseNotFound);
  CHECK(t.engine().ReadLease(a_and_b, &lease) == Status::kOk);
  CHECK(t.Active("tag:a") == 1);
}

TEST_CASE("resetting an unknown tag is NotFound", "[v1]") {
  TestEngine t;
  t.Create("plain", 1);
  CHECK(t.engine().ResetTagLimit("ghost", {}) == Status::kNotFound);
  CHECK(t.engine().ResetTagLimit("plain", {}) == Status::kNotFound);
}

}  // namespace
}  // namespace slotd::test
