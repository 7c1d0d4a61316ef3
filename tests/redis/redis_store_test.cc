// The Redis store against a real redis-server: the same calls give the same
// answers as the in-memory engine (a transcript of both, compared), leases
// come back once, expiry, and Redis going away and coming back.
//
// The Redis store reads Redis's clock (TIME), which a test cannot set: the
// transcript avoids answers that depend on how much real time passed
// (decaying levels, expirations), and the expiry test waits a few real
// milliseconds.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "engine/memory_slot_store.h"
#include "engine/redis/redis_slot_store.h"
#include "tests/redis/redis_server.h"

namespace slotd::test {
namespace {

using redis::RedisSlotStore;
using redis::RedisStoreOptions;

EngineOptions TestEngineOptions() {
  EngineOptions options;
  options.random = std::make_shared<FixedRandomSource>(0.5);
  options.max_leases = 50;
  options.max_limits = 20;
  options.max_name_bytes = 40;
  return options;
}

std::unique_ptr<RedisSlotStore> OpenStore(const RedisServer& server,
                                          EngineOptions engine = TestEngineOptions()) {
  RedisStoreOptions options;
  std::string error;
  REQUIRE(redis::ParseRedisUrl(server.url(), &options.address, &error));
  options.timeout = std::chrono::milliseconds(500);
  options.engine = std::move(engine);
  auto store = RedisSlotStore::Open(std::move(options), &error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::string Refs(const std::vector<LimitRef>& refs) {
  std::string text;
  for (const LimitRef& ref : refs) text += ref.name + "/" + std::to_string(ref.limit) + " ";
  return text;
}

std::string Snapshot(const LimitSnapshot& limit) {
  std::ostringstream text;
  text << limit.name << " active=" << limit.active << " limit=" << limit.limit
       << " slots=" << limit.active_slots << " denied=" << limit.denied_slots
       << " decay=" << limit.slot_decay_per_second << " avg=" << limit.avg_slot_occupancy_seconds
       << " holders=" << limit.task_run_holders.size();
  return text.str();
}

// The same calls on any store, written down answer by answer: each call's
// outcome, then what it filled in (read after the call: the macro orders
// them, which a function's arguments would not).
#define NOTE(what, call, ...)                       \
  do {                                              \
    const Status status_ = (call);                  \
    note(what, status_ __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

std::string Transcript(SlotStore& store) {
  std::ostringstream log;
  const auto note = [&](const std::string& what, Status status, const std::string& detail = "") {
    log << what << ": " << StatusName(status) << " " << detail << "\n";
  };
  LimitSnapshot limit;
  NOTE("create a", store.CreateLimit({.name = "a", .limit = 3}, &limit), Snapshot(limit));
  NOTE("create b", store.CreateLimit({.name = "b", .limit = 1}, &limit), Snapshot(limit));
  NOTE("create off", store.CreateLimit({.name = "off", .limit = 1, .active = false}, &limit));
  NOTE("create again", store.CreateLimit({.name = "a", .limit = 9}, &limit));
  NOTE("create bad name", store.CreateLimit({.name = "x/y", .limit = 9}, &limit));
  NOTE("create long name", store.CreateLimit({.name = std::string(41, 'n'), .limit = 1}, &limit));
  NOTE("create negative", store.CreateLimit({.name = "neg", .limit = -1}, &limit));

  const std::string_view ab[] = {"a", "b", "off", "missing", "a"};
  AcquireOutcome out;
  NOTE("acquire a b", store.Acquire({.names = ab, .slots = 1}, &out), Refs(out.limits));
  out = {};
  NOTE("acquire a b again", store.Acquire({.names = ab, .slots = 1}, &out),
       std::to_string(out.retry_after_seconds));
  out = {};
  NOTE("acquire a b third", store.Acquire({.names = ab, .slots = 1}, &out),
       std::to_string(out.retry_after_seconds));
  NOTE("read a", store.ReadLimit(std::string_view("a"), &limit), Snapshot(limit));
  NOTE("read b", store.ReadLimit(std::string_view("b"), &limit), Snapshot(limit));
  out = {};
  NOTE("acquire too many", store.Acquire({.names = ab, .slots = 4}, &out));
  NOTE("acquire rate",
       store.Acquire({.names = ab, .slots = 1, .mode = AcquireMode::kRateLimit}, &out),
       out.names_without_decay.size() == 2 ? out.names_without_decay[0] + out.names_without_decay[1]
                                           : "");
  NOTE("create r",
       store.CreateLimit({.name = "r", .limit = 2, .slot_decay_per_second = 0.5}, &limit));
  const std::string_view just_r[] = {"r"};
  out = {};
  NOTE("rate r",
       store.Acquire({.names = just_r, .slots = 2, .mode = AcquireMode::kRateLimit}, &out),
       Refs(out.limits));
  out = {};
  NOTE("rate r again",
       store.Acquire({.names = just_r, .slots = 1, .mode = AcquireMode::kRateLimit}, &out),
       std::to_string(out.retry_after_seconds));
  NOTE("read r", store.ReadLimit(std::string_view("r"), &limit), Snapshot(limit));
  NOTE("delete r", store.DeleteLimit(std::string_view("r")));
  std::vector<LimitRef> refs;
  const std::string_view just_b[] = {"b"};
  NOTE("release b", store.Release({.names = just_b, .slots = 1, .occupancy_seconds = 7.5}, &refs),
       Refs(refs));
  NOTE("read b", store.ReadLimit(std::string_view("b"), &limit), Snapshot(limit));
  NOTE("release b below 0", store.Release({.names = just_b, .slots = 5}, &refs), Refs(refs));

  // Leases.
  const std::string_view just_a[] = {"a", "off"};
  const Uuid run = NewRandomUuid();
  out = {};
  NOTE("lease a",
       store.Acquire(
           {.names = just_a,
            .slots = 2,
            .lease = LeaseTerms{std::chrono::seconds(60), Holder{HolderType::kTaskRun, run}}},
           &out),
       Refs(out.limits));
  const Uuid lease = out.lease_id;
  NOTE("read a", store.ReadLimit(std::string_view("a"), &limit, true), Snapshot(limit));
  std::vector<HolderLease> holders;
  NOTE("holders a", store.ReadHolders("a", &holders), std::to_string(holders.size()));
  NOTE("renew", store.RenewLease(lease, std::chrono::seconds(100)));
  NOTE("renew 0", store.RenewLease(lease, Micros(0)));
  NOTE("release lease", store.ReleaseLease(lease));
  NOTE("release lease again", store.ReleaseLease(lease));
  NOTE("renew released", store.RenewLease(lease, std::chrono::seconds(100)));
  NOTE("read a", store.ReadLimit(std::string_view("a"), &limit, true), Snapshot(limit));
  NOTE("lease count", Status::kOk, std::to_string(store.LeaseCount()));

  // v1.
  bool created = false;
  NOTE("upsert t", store.UpsertTagLimit("t", 2, &limit, &created),
       Snapshot(limit) + (created ? " created" : ""));
  NOTE("upsert t again", store.UpsertTagLimit("t", 1, &limit, &created),
       Snapshot(limit) + (created ? " created" : ""));
  NOTE("upsert z", store.UpsertTagLimit("z", 0, &limit, &created));
  const std::string_view tags[] = {"t", "nope"};
  TagIncrementOutcome tag;
  NOTE("increment", store.IncrementByTaskRun(tags, run, &tag), Refs(tag.limits));
  tag = {};
  NOTE("increment same run", store.IncrementByTaskRun(tags, run, &tag), Refs(tag.limits));
  tag = {};
  const Uuid other = NewRandomUuid();
  NOTE("increment other run", store.IncrementByTaskRun(tags, other, &tag),
       tag.refusing_tag + " " + std::to_string(tag.retry_after_seconds));
  const std::string_view zero[] = {"z", "t"};
  tag = {};
  NOTE("increment zero", store.IncrementByTaskRun(zero, other, &tag), tag.refusing_tag);
  NOTE("read t", store.ReadLimit(std::string_view("tag:t"), &limit, true), Snapshot(limit));
  NOTE("decrement", store.DecrementByTaskRun(tags, run, &refs), Refs(refs));
  NOTE("read t", store.ReadLimit(std::string_view("tag:t"), &limit, true), Snapshot(limit));
  const Uuid reset[] = {run, other, run};
  NOTE("reset", store.ResetTagLimit("t", reset));
  NOTE("read t", store.ReadLimit(std::string_view("tag:t"), &limit, true), Snapshot(limit));
  NOTE("reset missing", store.ResetTagLimit("missing", reset));
  std::vector<LimitSnapshot> list;
  NOTE("list tags", store.ListLimits("tag:", 0, 10, &list, true), std::to_string(list.size()));
  NOTE("list all", store.ListLimits("", 1, 3, &list), list.empty() ? "" : list[0].name);

  // Update and delete.
  LimitPatch patch;
  patch.name = "b2";
  patch.limit = 4;
  NOTE("rename b", store.UpdateLimit(std::string_view("b"), patch));
  NOTE("read b", store.ReadLimit(std::string_view("b"), &limit));
  NOTE("read b2", store.ReadLimit(std::string_view("b2"), &limit), Snapshot(limit));
  patch = {};
  patch.name = "a";
  NOTE("rename onto a", store.UpdateLimit(std::string_view("b2"), patch));
  patch = {};
  patch.active_slots = 2;
  patch.denied_slots = 5;
  NOTE("set slots", store.UpdateLimit(std::string_view("b2"), patch));
  NOTE("read b2", store.ReadLimit(std::string_view("b2"), &limit), Snapshot(limit));
  const Uuid id = limit.id;
  NOTE("delete by id", store.DeleteLimit(id));
  NOTE("delete again", store.DeleteLimit(id));
  out = {};
  NOTE("lease a again", store.Acquire({.names = just_a, .slots = 1, .lease = LeaseTerms{}}, &out));
  NOTE("revoke t", store.DeleteLimitAndRevokeLeases(std::string_view("tag:t")));
  NOTE("delete a", store.DeleteLimit(std::string_view("a")));
  NOTE("release lease of deleted", store.ReleaseLease(out.lease_id));
  NOTE("limit count", Status::kOk, std::to_string(store.LimitCount()));
  NOTE("lease count", Status::kOk, std::to_string(store.LeaseCount()));
  EngineFigures figures;
  NOTE("figures", store.ReadFigures(1, &figures),
       std::to_string(figures.named.size()) + " " + std::to_string(figures.others[0].count) + " " +
           std::to_string(figures.others[1].count));
  return log.str();
}

TEST_CASE("the Redis store answers as the in-memory engine does", "[redis]") {
  RedisServer server;
  auto redis = OpenStore(server);
  SlotEngine engine(TestEngineOptions());
  MemorySlotStore memory(engine);
  const std::string expected = Transcript(memory);
  const std::string got = Transcript(*redis);
  CHECK(got == expected);
  if (std::getenv("SLOTD_SHOW_TRANSCRIPT")) std::fputs(got.c_str(), stderr);
  const EngineCounters a = memory.Counters();
  const EngineCounters b = redis->Counters();
  CHECK(a.acquisitions == b.acquisitions);
  CHECK(a.refusals == b.refusals);
  CHECK(a.revoked_leases == b.revoked_leases);
}

TEST_CASE("the Redis store's caps refuse as the engine's do", "[redis]") {
  RedisServer server;
  EngineOptions options = TestEngineOptions();
  options.max_limits = 1;
  options.max_leases = 1;
  auto store = OpenStore(server, options);
  LimitSnapshot limit;
  REQUIRE(store->CreateLimit({.name = "a", .limit = 5}, &limit) == Status::kOk);
  CHECK(store->CreateLimit({.name = "b", .limit = 5}, &limit) == Status::kTooManyLimits);
  bool created = false;
  CHECK(store->UpsertTagLimit("t", 1, &limit, &created) == Status::kTooManyLimits);
  const std::string_view a[] = {"a"};
  AcquireOutcome out;
  CHECK(store->Acquire({.names = a, .lease = LeaseTerms{}}, &out) == Status::kOk);
  CHECK(store->Acquire({.names = a, .lease = LeaseTerms{}}, &out) == Status::kTooManyLeases);
  CHECK(store->ReadLimit(std::string_view("a"), &limit) == Status::kOk);
  CHECK(limit.active_slots == 1);
}

TEST_CASE("expired leases are swept once and give their slots back", "[redis]") {
  RedisServer server;
  auto one = OpenStore(server);
  auto two = OpenStore(server);
  LimitSnapshot limit;
  REQUIRE(one->CreateLimit({.name = "a", .limit = 10}, &limit) == Status::kOk);
  const std::string_view a[] = {"a"};
  for (int i = 0; i < 6; ++i) {
    AcquireOutcome out;
    REQUIRE(one->Acquire({.names = a, .lease = LeaseTerms{Micros(2000)}}, &out) == Status::kOk);
  }
  AcquireOutcome kept;
  REQUIRE(one->Acquire({.names = a, .lease = LeaseTerms{}}, &kept) == Status::kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  size_t ended_one = 0;
  size_t ended_two = 0;
  std::thread other([&] { (void)two->ExpireLeases(&ended_two); });
  REQUIRE(one->ExpireLeases(&ended_one) == Status::kOk);
  other.join();
  CHECK(ended_one + ended_two == 6);
  REQUIRE(one->ReadLimit(std::string_view("a"), &limit) == Status::kOk);
  CHECK(limit.active_slots == 1);
  CHECK(one->LeaseCount() == 1);
  CHECK(one->RenewLease(kept.lease_id, std::chrono::seconds(10)) == Status::kOk);
}

TEST_CASE("Redis down answers StoreUnavailable at once and the store reconnects", "[redis]") {
  RedisServer server;
  auto store = OpenStore(server);
  LimitSnapshot limit;
  REQUIRE(store->CreateLimit({.name = "a", .limit = 10}, &limit) == Status::kOk);
  server.Kill();
  const auto start = std::chrono::steady_clock::now();
  CHECK(store->ReadLimit(std::string_view("a"), &limit) == Status::kStoreUnavailable);
  const std::string_view a[] = {"a"};
  AcquireOutcome out;
  CHECK(store->Acquire({.names = a}, &out) == Status::kStoreUnavailable);
  std::vector<LimitSnapshot> list;
  CHECK(store->ListLimits("", 0, 10, &list) == Status::kStoreUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  server.Start();                                               // empty: it kept nothing
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past the reconnect interval
  CHECK(store->CreateLimit({.name = "a", .limit = 10}, &limit) == Status::kOk);
  CHECK(store->Acquire({.names = a}, &out) == Status::kOk);
}

TEST_CASE("Open fails with a reason when Redis cannot be reached", "[redis]") {
  RedisStoreOptions options;
  options.address.host = "127.0.0.1";
  options.address.port = FreePort();
  options.timeout = std::chrono::milliseconds(200);
  std::string error;
  CHECK_FALSE(RedisSlotStore::Open(options, &error));
  CHECK(error.find("cannot reach Redis") != std::string::npos);
}

}  // namespace
}  // namespace slotd::test
