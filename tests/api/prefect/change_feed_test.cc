// The change feed on a real engine with a manual clock, driven by hand
// (ProcessPending and Tick, no thread): ids and order, what is kept,
// resuming, resets and lost readers.
#include "api/prefect/change_feed.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace slotd::api::test {

namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));

class CountingReader final : public ChangeFeed::Reader {
 public:
  void Wake() override { ++wakes; }
  int wakes = 0;
};

class FeedFixture {
 public:
  explicit FeedFixture(size_t ring_size = 100, size_t max_pending = 1000)
      : clock_(std::make_shared<ManualTimeSource>(kStart)) {
    ChangeFeed::Settings settings;
    settings.ring_size = ring_size;
    settings.max_pending = max_pending;
    settings.resume_window = std::chrono::seconds(30);
    feed_ = std::make_shared<ChangeFeed>(settings);
    EngineOptions options;
    options.clock = clock_;
    options.random = std::make_shared<FixedRandomSource>(0.5);
    options.change_watcher = feed_;
    engine_ = std::make_unique<SlotEngine>(options);
    feed_->Attach(engine_.get());
  }

  SlotEngine& engine() { return *engine_; }
  ChangeFeed& feed() { return *feed_; }
  ManualTimeSource& clock() { return *clock_; }

  void Create(const std::string& name, int64_t limit) {
    LimitSnapshot out;
    REQUIRE(engine_->CreateLimit(NewLimit{.name = name, .limit = limit}, &out) == Status::kOk);
  }
  Status Acquire(std::string_view name, int64_t slots) {
    std::string_view names[] = {name};
    AcquireOutcome out;
    return engine_->Acquire(AcquireRequest{.names = names, .slots = slots}, &out);
  }

  // Every event from *cursor on, as (id line, event line) pairs.
  std::vector<std::string> Read(uint64_t* cursor) {
    std::string text;
    REQUIRE(feed_->ReadFrom(cursor, SIZE_MAX, &text) == ChangeFeed::ReadOutcome::kOk);
    std::vector<std::string> heads;
    size_t at = 0;
    while ((at = text.find("id: ", at)) != std::string::npos) {
      const size_t data = text.find("\ndata: ", at);
      heads.push_back(text.substr(at, data - at));
      at = data;
    }
    return heads;
  }

 private:
  std::shared_ptr<ManualTimeSource> clock_;
  std::shared_ptr<ChangeFeed> feed_;
  std::unique_ptr<SlotEngine> engine_;
};

}  // namespace

TEST_CASE("Last-Event-ID is a decimal uint64 and nothing else", "[change_feed]") {
  CHECK(ParseLastEventId("0") == uint64_t{0});
  CHECK(ParseLastEventId("42") == uint64_t{42});
  CHECK(ParseLastEventId("007") == uint64_t{7});
  CHECK(ParseLastEventId("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(ParseLastEventId("18446744073709551616"));
  CHECK_FALSE(ParseLastEventId("000000000000000000001"));  // 21 digits
  CHECK_FALSE(ParseLastEventId(""));
  CHECK_FALSE(ParseLastEventId("-1"));
  CHECK_FALSE(ParseLastEventId("+1"));
  CHECK_FALSE(ParseLastEventId(" 1"));
  CHECK_FALSE(ParseLastEventId("1 "));
  CHECK_FALSE(ParseLastEventId("0x10"));
  CHECK_FALSE(ParseLastEventId("1e3"));
}

TEST_CASE("with no reader the engine appends nothing to the feed", "[change_feed]") {
  FeedFixture f;
  f.Create("a", 2);
  f.feed().ProcessPending();
  CHECK_FALSE(f.feed().Watching());
  CHECK(f.feed().NewestId() == 0);
}

TEST_CASE("events come in the order the engine made the changes, ids increasing", "[change_feed]") {
  FeedFixture f;
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  CHECK_FALSE(start.reset);
  f.Create("a", 1);
  CHECK(f.Acquire("a", 1) == Status::kOk);
  CHECK(f.Acquire("a", 1) == Status::kLocked);
  std::string_view names[] = {"a"};
  std::vector<LimitRef> refs;
  CHECK(f.engine().Release(ReleaseRequest{.names = names, .slots = 1}, &refs) == Status::kOk);
  CHECK(f.engine().DeleteLimit(std::string_view("a")) == Status::kOk);
  f.feed().ProcessPending();
  CHECK(reader->wakes == 1);
  uint64_t cursor = start.cursor;
  const std::vector<std::string> events = f.Read(&cursor);
  const uint64_t first = start.cursor;
  REQUIRE(events.size() == 5);
  CHECK(events[0] == "id: " + std::to_string(first) + "\nevent: limit.created");
  CHECK(events[1] == "id: " + std::to_string(first + 1) + "\nevent: slots.acquired");
  CHECK(events[2] == "id: " + std::to_string(first + 2) + "\nevent: slots.refused");
  CHECK(events[3] == "id: " + std::to_string(first + 3) + "\nevent: slots.released");
  CHECK(events[4] == "id: " + std::to_string(first + 4) + "\nevent: limit.deleted");
  CHECK(cursor == first + 5);
  CHECK(f.feed().NewestId() == first + 4);
  CHECK(f.Read(&cursor).empty());
}

TEST_CASE("an event's limits are v2 reads at its instant, decay applied", "[change_feed]") {
  FeedFixture f;
  LimitSnapshot created;
  REQUIRE(f.engine().CreateLimit(NewLimit{.name = "d", .limit = 10, .slot_decay_per_second = 1},
                                 &created) == Status::kOk);
  CHECK(f.Acquire("d", 4) == Status::kOk);
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  f.clock().AdvanceSeconds(2.5);
  CHECK(f.Acquire("d", 1) == Status::kOk);
  f.feed().ProcessPending();
  uint64_t cursor = start.cursor;
  std::string text;
  REQUIRE(f.feed().ReadFrom(&cursor, SIZE_MAX, &text) == ChangeFeed::ReadOutcome::kOk);
  // 4 decayed by 2.5 is 1.5, plus 1 taken: 2.5, shown rounded up.
  CHECK(text.find(R"("name":"d","limit":10,"active_slots":3,"denied_slots":0,)") !=
        std::string::npos);
  CHECK(text.find(R"("at":"2027-01-15T08:00:02.500000Z")") != std::string::npos);
}

TEST_CASE("a reader resumes after its Last-Event-ID from the ring", "[change_feed]") {
  FeedFixture f;
  auto first = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(first, std::nullopt);
  f.Create("a", 5);
  for (int i = 0; i < 3; ++i) CHECK(f.Acquire("a", 1) == Status::kOk);
  f.feed().ProcessPending();
  const uint64_t seen = start.cursor + 1;  // the reader got the create and one acquire
  auto second = std::make_shared<CountingReader>();
  const ChangeFeed::Start resumed = f.feed().Subscribe(second, seen);
  CHECK_FALSE(resumed.reset);
  CHECK(resumed.cursor == seen + 1);
  uint64_t cursor = resumed.cursor;
  CHECK(f.Read(&cursor).size() == 2);
  // The newest id itself: nothing to replay, no reset.
  const ChangeFeed::Start current = f.feed().Subscribe(second, f.feed().NewestId());
  CHECK_FALSE(current.reset);
  CHECK(current.cursor == f.feed().NewestId() + 1);
}

TEST_CASE("a Last-Event-ID older than the ring or never given out gets a reset", "[change_feed]") {
  FeedFixture f(/*ring_size=*/3);
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  f.Create("a", 100);
  for (int i = 0; i < 5; ++i) CHECK(f.Acquire("a", 1) == Status::kOk);
  f.feed().ProcessPending();
  const uint64_t newest = f.feed().NewestId();
  CHECK(newest == start.cursor + 5);
  // The ring keeps newest-2..newest: resuming after newest-3 still works.
  CHECK_FALSE(f.feed().Subscribe(reader, newest - 3).reset);
  const ChangeFeed::Start old = f.feed().Subscribe(reader, newest - 4);
  CHECK(old.reset);
  CHECK(old.reset_id == newest);
  CHECK(old.cursor == newest + 1);
  const ChangeFeed::Start future = f.feed().Subscribe(reader, newest + 1);
  CHECK(future.reset);
  CHECK(f.feed().Subscribe(reader, UINT64_MAX).reset);
  // And a reader that fell behind the ring is lost.
  uint64_t behind = start.cursor;
  std::string text;
  CHECK(f.feed().ReadFrom(&behind, SIZE_MAX, &text) == ChangeFeed::ReadOutcome::kLost);
  CHECK(text.empty());
}

TEST_CASE("ReadFrom stops at whole events past max_bytes", "[change_feed]") {
  FeedFixture f;
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  f.Create("a", 100);
  CHECK(f.Acquire("a", 1) == Status::kOk);
  CHECK(f.Acquire("a", 1) == Status::kOk);
  f.feed().ProcessPending();
  uint64_t cursor = start.cursor;
  std::string text;
  REQUIRE(f.feed().ReadFrom(&cursor, 1, &text) == ChangeFeed::ReadOutcome::kOk);
  CHECK(cursor == start.cursor + 1);
  CHECK(text.ends_with("\n\n"));
  CHECK(text.find("id: ", 1) == std::string::npos);
}

TEST_CASE("a full queue drops changes as a gap: readers are lost, resumes reset", "[change_feed]") {
  FeedFixture f(/*ring_size=*/100, /*max_pending=*/2);
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  f.Create("a", 100);
  f.feed().ProcessPending();
  const uint64_t created = start.cursor;
  for (int i = 0; i < 3; ++i) CHECK(f.Acquire("a", 1) == Status::kOk);  // the third is dropped
  CHECK(f.feed().Subscribe(reader, created).reset);
  f.feed().ProcessPending();
  uint64_t cursor = created + 1;
  std::string text;
  CHECK(f.feed().ReadFrom(&cursor, SIZE_MAX, &text) == ChangeFeed::ReadOutcome::kLost);
  // The two queued before the gap went with it; one after it is kept.
  CHECK(f.Acquire("a", 1) == Status::kOk);
  f.feed().ProcessPending();
  cursor = f.feed().NewestId();
  CHECK(cursor == created + 4);
  CHECK(f.Read(&cursor).size() == 1);
}

TEST_CASE("the feed stops watching once the resume window passes with no reader", "[change_feed]") {
  FeedFixture f;
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  f.Create("a", 100);
  f.feed().Unsubscribe(reader.get());
  CHECK(f.feed().ReaderCount() == 0);
  const auto now = ChangeFeed::SteadyClock::now();
  f.feed().Tick(now);
  CHECK(f.feed().Watching());  // within the window: a reconnect resumes
  CHECK(f.Acquire("a", 1) == Status::kOk);
  f.feed().ProcessPending();
  CHECK(reader->wakes == 0);
  CHECK_FALSE(f.feed().Subscribe(reader, start.cursor).reset);
  f.feed().Unsubscribe(reader.get());
  f.feed().Tick(now + std::chrono::seconds(31));
  CHECK_FALSE(f.feed().Watching());
  CHECK(f.Acquire("a", 1) == Status::kOk);  // not seen
  const uint64_t newest = f.feed().NewestId();
  // Watching again begins with a gap: nothing before it resumes.
  CHECK(f.feed().Subscribe(reader, newest).reset);
}

TEST_CASE("a reset event names its reason", "[change_feed]") {
  CHECK(ChangeFeed::ResetText(7, "gone") == "id: 7\nevent: reset\ndata: {\"reason\":\"gone\"}\n\n");
}

TEST_CASE("renewals, expiry and v1 increments have their own event types", "[change_feed]") {
  FeedFixture f;
  auto reader = std::make_shared<CountingReader>();
  const ChangeFeed::Start start = f.feed().Subscribe(reader, std::nullopt);
  f.Create("a", 5);
  std::string_view names[] = {"a"};
  AcquireOutcome out;
  REQUIRE(
      f.engine().Acquire(AcquireRequest{.names = names,
                                        .slots = 2,
                                        .lease = LeaseTerms{.duration = std::chrono::seconds(10)}},
                         &out) == Status::kOk);
  CHECK(f.engine().RenewLease(out.lease_id, std::chrono::seconds(20)) == Status::kOk);
  f.clock().AdvanceSeconds(21);
  CHECK(f.engine().ExpireLeases() == 1);
  f.feed().ProcessPending();
  uint64_t cursor = start.cursor;
  std::string text;
  REQUIRE(f.feed().ReadFrom(&cursor, SIZE_MAX, &text) == ChangeFeed::ReadOutcome::kOk);
  const std::string lease = "\"" + FormatUuid(out.lease_id) + "\"";
  CHECK(text.find("event: lease.renewed\ndata: {") != std::string::npos);
  CHECK(text.find("\"lease\":{\"id\":" + lease + ",\"slots\":2,") != std::string::npos);
  CHECK(text.find("event: lease.expired") != std::string::npos);
  CHECK(text.find("\"ended_leases\":[" + lease + "]") != std::string::npos);
}

}  // namespace slotd::api::test
