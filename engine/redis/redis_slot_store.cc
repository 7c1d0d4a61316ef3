#include "engine/redis/redis_slot_store.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "engine/internal/retry_after.h"

namespace slotd::redis {

namespace {

std::string Fmt(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string Fmt(int64_t value) { return std::to_string(value); }

std::string_view Text(const redisReply* reply) {
  if (reply == nullptr ||
      (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) {
    return {};
  }
  return std::string_view(reply->str, reply->len);
}

double Number(const redisReply* reply) {
  if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER) {
    return static_cast<double>(reply->integer);
  }
  const std::string text(Text(reply));
  return std::strtod(text.c_str(), nullptr);
}

int64_t Integer(const redisReply* reply) { return static_cast<int64_t>(Number(reply)); }

TimePoint Time(const redisReply* reply) { return TimePoint(Micros(Integer(reply))); }

Uuid UuidOf(const redisReply* reply) { return ParseUuid(Text(reply)).value_or(Uuid{}); }

const redisReply* Element(const redisReply* reply, size_t i) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || i >= reply->elements) return nullptr;
  return reply->element[i];
}

size_t Size(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
}

std::string_view Outcome(const redisReply* reply) { return Text(Element(reply, 0)); }

void FillSnapshot(const redisReply* row, LimitSnapshot* out) {
  out->id = UuidOf(Element(row, 0));
  out->name = std::string(Text(Element(row, 1)));
  out->created = Time(Element(row, 2));
  out->updated = Time(Element(row, 3));
  out->active = Text(Element(row, 4)) == "1";
  out->limit = Integer(Element(row, 5));
  out->active_slots = Integer(Element(row, 6));
  out->denied_slots = Integer(Element(row, 7));
  out->slot_decay_per_second = Number(Element(row, 8));
  out->avg_slot_occupancy_seconds = Number(Element(row, 9));
  out->task_run_holders.clear();
  const redisReply* holders = Element(row, 10);
  for (size_t i = 0; i < Size(holders); ++i) {
    out->task_run_holders.push_back(UuidOf(Element(holders, i)));
  }
}

// Refs from element `first` on: each [id, name, limit].
void FillRefs(const redisReply* reply, size_t first, std::vector<LimitRef>* out) {
  out->clear();
  for (size_t i = first; i < Size(reply); ++i) {
    const redisReply* row = Element(reply, i);
    out->push_back(
        {UuidOf(Element(row, 0)), std::string(Text(Element(row, 1))), Integer(Element(row, 2))});
  }
}

// The key of a limit: its kind and text for the scripts' bykey.
void AddKey(const LimitKey& key, std::vector<std::string>* args) {
  if (const Uuid* id = std::get_if<Uuid>(&key)) {
    args->push_back("id");
    args->push_back(FormatUuid(*id));
  } else {
    args->push_back("name");
    args->emplace_back(std::get<std::string_view>(key));
  }
}

// The distinct names, in order of first appearance.
void AddNames(std::span<const std::string_view> names, std::string_view prefix,
              std::vector<std::string>* args) {
  std::unordered_set<std::string_view> seen;
  std::vector<std::string> unique;
  for (std::string_view name : names) {
    if (seen.insert(name).second) {
      std::string full(prefix);
      full.append(name);
      unique.push_back(std::move(full));
    }
  }
  args->push_back(std::to_string(unique.size()));
  for (std::string& name : unique) args->push_back(std::move(name));
}

bool IsValidCount(int64_t value) { return value >= 0 && value <= kMaxSlotCount; }
bool IsValidDecay(double value) { return std::isfinite(value) && value >= 0; }

std::string HolderTypeText(const std::optional<Holder>& holder) {
  return holder ? std::to_string(static_cast<int>(holder->type)) : std::string();
}

}  // namespace

RedisSlotStore::RedisSlotStore(RedisStoreOptions options) : options_(std::move(options)) {
  if (!options_.engine.clock) options_.engine.clock = std::make_shared<SystemTimeSource>();
  if (!options_.engine.random) options_.engine.random = std::make_shared<ThreadLocalRandomSource>();
  options_.connections = std::max<size_t>(options_.connections, 1);
  library_ = LibraryText();
  const auto cap = [](size_t value) {
    return value >= (size_t{1} << 53) ? std::string("9007199254740991") : std::to_string(value);
  };
  fixed_args_ = {Fmt(options_.engine.tag_wait_seconds), Fmt(options_.engine.max_slot_wait_seconds),
                 cap(options_.engine.max_limits), cap(options_.engine.max_leases)};
}

std::unique_ptr<RedisSlotStore> RedisSlotStore::Open(RedisStoreOptions options,
                                                     std::string* error) {
  std::unique_ptr<RedisSlotStore> store(new RedisSlotStore(std::move(options)));
  Context context = store->Connect(error);
  if (!context || !store->LoadLibrary(context.get(), error)) return nullptr;
  {
    MutexLock lock(&store->pool_mutex_);
    ++store->open_;  // the pool's first connection
  }
  store->ReturnConnection(std::move(context), false);
  return store;
}

RedisSlotStore::~RedisSlotStore() { StopSweeper(); }

RedisSlotStore::Context RedisSlotStore::Connect(std::string* error) {
  const auto ms = options_.timeout.count();
  const timeval timeout{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
  const RedisAddress& address = options_.address;
  Context context(redisConnectWithTimeout(address.host.c_str(), address.port, timeout));
  const std::string where = address.host + ":" + std::to_string(address.port);
  if (!context) {
    *error = "cannot reach Redis at " + where + ": out of memory";
    return nullptr;
  }
  if (context->err) {
    *error = "cannot reach Redis at " + where + ": " + context->errstr;
    return nullptr;
  }
  redisSetTimeout(context.get(), timeout);
  const auto command = [&](std::vector<std::string> words, std::string_view what) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& word : words) {
      argv.push_back(word.data());
      lengths.push_back(word.size());
    }
    Count(round_trips_);
    Reply reply(static_cast<redisReply*>(redisCommandArgv(
        context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) {
      *error =
          "Redis at " + where + " did not answer " + std::string(what) + ": " + context->errstr;
      return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      *error = "Redis at " + where + " refused " + std::string(what) + ": " +
               std::string(reply->str, reply->len);
      return false;
    }
    return true;
  };
  if (!address.password.empty()) {
    std::vector<std::string> words = {"AUTH"};
    if (!address.user.empty()) words.push_back(address.user);
    words.push_back(address.password);
    if (!command(std::move(words), "AUTH")) return nullptr;
  }
  if (address.db != 0 && !command({"SELECT", std::to_string(address.db)}, "SELECT")) {
    return nullptr;
  }
  return context;
}

bool RedisSlotStore::LoadLibrary(redisContext* context, std::string* error) {
  const char* argv[] = {"FUNCTION", "LOAD", "REPLACE", library_.c_str()};
  const size_t lengths[] = {8, 4, 7, library_.size()};
  Count(round_trips_);
  Reply reply(static_cast<redisReply*>(redisCommandArgv(context, 4, argv, lengths)));
  if (!reply || reply->type != REDIS_REPLY_STRING) {
    *error = std::string("Redis did not load slotd's functions: ") +
             (reply ? std::string(reply->str, reply->len) : std::string(context->errstr));
    return false;
  }
  return true;
}

RedisSlotStore::Context RedisSlotStore::TakeConnection() {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  {
    MutexLock lock(&pool_mutex_);
    for (;;) {
      if (!idle_.empty()) {
        Context context = std::move(idle_.back());
        idle_.pop_back();
        return context;
      }
      if (open_ < options_.connections) break;
      if (pool_wakeup_.WaitWithDeadline(&pool_mutex_, deadline)) return nullptr;
    }
    if (std::chrono::steady_clock::now() < down_until_) return nullptr;
    ++open_;
  }
  std::string error;
  Context context = Connect(&error);
  if (!context) {
    MutexLock lock(&pool_mutex_);
    --open_;
    const auto now = std::chrono::steady_clock::now();
    if (now >= down_until_) std::fprintf(stderr, "slotd: %s\n", error.c_str());
    down_until_ = now + options_.reconnect_interval;
    pool_wakeup_.Signal();
  }
  return context;
}

void RedisSlotStore::ReturnConnection(Context context, bool broken) {
  MutexLock lock(&pool_mutex_);
  if (broken) {
    context.reset();
    --open_;
  } else {
    if (context) idle_.push_back(std::move(context));
  }
  pool_wakeup_.Signal();
}

Status RedisSlotStore::RunOnce(redisContext* context, Script script,
                               const std::vector<std::string>& args, Reply* reply, bool* broken) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(4 + fixed_args_.size() + args.size());
  lengths.reserve(argv.capacity());
  const auto add = [&](std::string_view word) {
    argv.push_back(word.data());
    lengths.push_back(word.size());
  };
  add("FCALL");
  add(FunctionName(script));
  add("1");  // one key: the prefix
  add(options_.key_prefix);
  for (const std::string& word : fixed_args_) add(word);
  for (const std::string& word : args) add(word);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Count(round_trips_);
    reply->reset(static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!*reply) {
      *broken = true;
      return Status::kStoreUnavailable;
    }
    if ((*reply)->type != REDIS_REPLY_ERROR) return Status::kOk;
    const std::string_view message((*reply)->str, (*reply)->len);
    if (attempt == 0 && message.find("Function not found") != std::string_view::npos) {
      // Redis restarted without persistence (or FUNCTION FLUSH): load the
      // library again.
      std::string error;
      if (!LoadLibrary(context, &error)) {
        *broken = true;
        return Status::kStoreUnavailable;
      }
      continue;
    }
    std::fprintf(stderr, "slotd: Redis answered an error: %.*s\n", static_cast<int>(message.size()),
                 message.data());
    return Status::kStoreUnavailable;
  }
  return Status::kStoreUnavailable;
}

Status RedisSlotStore::Run(Script script, const std::vector<std::string>& args, Reply* reply) {
  Context context = TakeConnection();
  if (!context) return Status::kStoreUnavailable;
  bool broken = false;
  const Status status = RunOnce(context.get(), script, args, reply, &broken);
  ReturnConnection(std::move(context), broken);
  if (status == Status::kOk && Size(reply->get()) == 0) return Status::kStoreUnavailable;
  return status;
}

// ---- limits -------------------------------------------------------------

Status RedisSlotStore::CreateLimit(const NewLimit& spec, LimitSnapshot* out) {
  if (spec.name.size() > options_.engine.max_name_bytes) return Status::kNameTooLong;
  if (!IsValidLimitName(spec.name)) return Status::kInvalidName;
  if (!IsValidCount(spec.limit) || !IsValidCount(spec.active_slots) ||
      !IsValidCount(spec.denied_slots) || !IsValidDecay(spec.slot_decay_per_second)) {
    return Status::kInvalidValue;
  }
  Reply reply;
  const Status status =
      Run(Script::kCreate,
          {spec.name, Fmt(spec.limit), spec.active ? "1" : "0", Fmt(spec.active_slots),
           Fmt(spec.denied_slots), Fmt(spec.slot_decay_per_second), FormatUuid(NewRandomUuid())},
          &reply);
  if (status != Status::kOk) return status;
  const std::string_view outcome = Outcome(reply.get());
  if (outcome == "TAKEN") return Status::kNameTaken;
  if (outcome == "LIMITS") return Status::kTooManyLimits;
  FillSnapshot(Element(reply.get(), 1), out);
  return Status::kOk;
}

Status RedisSlotStore::ReadLimit(const LimitKey& key, LimitSnapshot* out, bool with_holders) {
  if (const auto* name = std::get_if<std::string_view>(&key);
      name && name->size() > options_.engine.max_name_bytes) {
    return Status::kNotFound;
  }
  std::vector<std::string> args;
  AddKey(key, &args);
  args.push_back(with_holders ? "1" : "0");
  Reply reply;
  if (const Status status = Run(Script::kRead, args, &reply); status != Status::kOk) return status;
  if (Outcome(reply.get()) != "OK") return Status::kNotFound;
  FillSnapshot(Element(reply.get(), 1), out);
  return Status::kOk;
}

Status RedisSlotStore::ListLimits(std::string_view prefix, size_t offset, size_t max_count,
                                  std::vector<LimitSnapshot>* out, bool with_holders) {
  out->clear();
  if (max_count == 0) return Status::kOk;
  const int64_t count = max_count > size_t{1} << 53 ? -1 : static_cast<int64_t>(max_count);
  Reply reply;
  const Status status = Run(
      Script::kList,
      {std::string(prefix), std::to_string(offset), Fmt(count), with_holders ? "1" : "0"}, &reply);
  if (status != Status::kOk) return status;
  for (size_t i = 1; i < Size(reply.get()); ++i) {
    FillSnapshot(Element(reply.get(), i), &out->emplace_back());
  }
  return Status::kOk;
}

Status RedisSlotStore::UpdateLimit(const LimitKey& key, const LimitPatch& patch) {
  if (patch.name && patch.name->size() > options_.engine.max_name_bytes) {
    return Status::kNameTooLong;
  }
  if (patch.name && !IsValidLimitName(*patch.name)) return Status::kInvalidName;
  if ((patch.limit && !IsValidCount(*patch.limit)) ||
      (patch.active_slots && !IsValidCount(*patch.active_slots)) ||
      (patch.denied_slots && !IsValidCount(*patch.denied_slots)) ||
      (patch.slot_decay_per_second && !IsValidDecay(*patch.slot_decay_per_second))) {
    return Status::kInvalidValue;
  }
  if (const auto* name = std::get_if<std::string_view>(&key);
      name && name->size() > options_.engine.max_name_bytes) {
    return Status::kNotFound;
  }
  std::vector<std::string> args;
  AddKey(key, &args);
  const auto field = [&](const char* name, std::string value) {
    args.push_back(name);
    args.push_back(std::move(value));
  };
  if (patch.name) field("name", *patch.name);
  if (patch.active) field("active", *patch.active ? "1" : "0");
  if (patch.limit) field("limit", Fmt(*patch.limit));
  if (patch.active_slots) field("active_slots", Fmt(*patch.active_slots));
  if (patch.denied_slots) field("denied_slots", Fmt(*patch.denied_slots));
  if (patch.slot_decay_per_second) field("decay", Fmt(*patch.slot_decay_per_second));
  Reply reply;
  if (const Status status = Run(Script::kUpdate, args, &reply); status != Status::kOk) {
    return status;
  }
  const std::string_view outcome = Outcome(reply.get());
  if (outcome == "NOTFOUND") return Status::kNotFound;
  if (outcome == "TAKEN") return Status::kNameTaken;
  return Status::kOk;
}

Status RedisSlotStore::DeleteLimit(const LimitKey& key) {
  std::vector<std::string> args;
  AddKey(key, &args);
  args.push_back("0");
  Reply reply;
  if (const Status status = Run(Script::kDelete, args, &reply); status != Status::kOk) {
    return status;
  }
  return Outcome(reply.get()) == "OK" ? Status::kOk : Status::kNotFound;
}

Status RedisSlotStore::DeleteLimitAndRevokeLeases(const LimitKey& key) {
  std::vector<std::string> args;
  AddKey(key, &args);
  args.push_back("1");
  Reply reply;
  if (const Status status = Run(Script::kDelete, args, &reply); status != Status::kOk) {
    return status;
  }
  if (Outcome(reply.get()) != "OK") return Status::kNotFound;
  Count(revoked_, static_cast<uint64_t>(Integer(Element(reply.get(), 1))));
  return Status::kOk;
}

// ---- v2 slots and leases --------------------------------------------------

Status RedisSlotStore::Acquire(const AcquireRequest& request, AcquireOutcome* out) {
  if (request.slots <= 0 || request.slots > kMaxSlotCount) return Status::kInvalidValue;
  if (request.lease && request.lease->duration.count() <= 0) return Status::kInvalidValue;
  const Uuid lease_id = request.lease ? NewRandomUuid() : Uuid{};
  std::vector<std::string> args = {
      Fmt(request.slots),
      request.mode == AcquireMode::kRateLimit ? "rate" : "conc",
      request.lease ? FormatUuid(lease_id) : std::string(),
      request.lease ? Fmt(static_cast<int64_t>(request.lease->duration.count())) : "0",
      request.lease ? HolderTypeText(request.lease->holder) : std::string(),
      request.lease && request.lease->holder ? FormatUuid(request.lease->holder->id)
                                             : std::string(),
  };
  AddNames(request.names, "", &args);
  Reply reply;
  if (const Status status = Run(Script::kAcquire, args, &reply); status != Status::kOk) {
    return status;
  }
  const std::string_view outcome = Outcome(reply.get());
  if (outcome == "SLOTS") return Status::kSlotsExceedLimit;
  if (outcome == "NODECAY") {
    out->names_without_decay.clear();
    for (size_t i = 1; i < Size(reply.get()); ++i) {
      out->names_without_decay.emplace_back(Text(Element(reply.get(), i)));
    }
    return Status::kNoDecayForRateLimit;
  }
  if (outcome == "LOCKED") {
    out->retry_after_seconds =
        JitteredRetryAfter(Number(Element(reply.get(), 1)), *options_.engine.random);
    Count(refusals_);
    return Status::kLocked;
  }
  if (outcome == "LEASES") return Status::kTooManyLeases;
  FillRefs(reply.get(), 1, &out->limits);
  if (request.lease) out->lease_id = lease_id;
  Count(acquisitions_);
  return Status::kOk;
}

Status RedisSlotStore::Release(const ReleaseRequest& request, std::vector<LimitRef>* out) {
  if (request.slots <= 0 || request.slots > kMaxSlotCount) return Status::kInvalidValue;
  if (request.occupancy_seconds &&
      !(std::isfinite(*request.occupancy_seconds) && *request.occupancy_seconds > 0)) {
    return Status::kInvalidValue;
  }
  std::vector<std::string> args = {Fmt(request.slots), request.occupancy_seconds
                                                           ? Fmt(*request.occupancy_seconds)
                                                           : std::string()};
  AddNames(request.names, "", &args);
  Reply reply;
  if (const Status status = Run(Script::kRelease, args, &reply); status != Status::kOk) {
    return status;
  }
  FillRefs(reply.get(), 1, out);
  Count(releases_);
  return Status::kOk;
}

Status RedisSlotStore::RenewLease(const Uuid& lease_id, Micros duration) {
  if (duration.count() <= 0) return Status::kInvalidValue;
  Reply reply;
  const Status status = Run(
      Script::kRenew, {FormatUuid(lease_id), Fmt(static_cast<int64_t>(duration.count()))}, &reply);
  if (status != Status::kOk) return status;
  return Outcome(reply.get()) == "OK" ? Status::kOk : Status::kLeaseNotFound;
}

Status RedisSlotStore::ReleaseLease(const Uuid& lease_id) {
  Reply reply;
  if (const Status status = Run(Script::kReleaseLease, {FormatUuid(lease_id)}, &reply);
      status != Status::kOk) {
    return status;
  }
  if (Outcome(reply.get()) != "OK") return Status::kLeaseNotFound;
  Count(releases_);
  return Status::kOk;
}

Status RedisSlotStore::ExpireLeases(size_t* ended) {
  constexpr int64_t kBatch = 1000;
  *ended = 0;
  for (;;) {
    Reply reply;
    if (const Status status = Run(Script::kSweep, {Fmt(kBatch)}, &reply); status != Status::kOk) {
      return status;
    }
    const int64_t count = Integer(Element(reply.get(), 1));
    *ended += static_cast<size_t>(count);
    Count(expired_, static_cast<uint64_t>(count));
    if (count < kBatch) return Status::kOk;
  }
}

void RedisSlotStore::SweepLoop(Micros interval) {
  MutexLock lock(&sweeper_mutex_);
  while (!sweeper_stop_) {
    sweeper_mutex_.Unlock();
    size_t ended = 0;
    (void)ExpireLeases(&ended);  // Redis down: the next round tries again
    sweeper_mutex_.Lock();
    if (sweeper_stop_) break;
    sweeper_wakeup_.WaitWithDeadline(&sweeper_mutex_, std::chrono::steady_clock::now() + interval);
  }
}

void RedisSlotStore::StartSweeper(Micros interval) {
  StopSweeper();
  {
    MutexLock lock(&sweeper_mutex_);
    sweeper_stop_ = false;
  }
  sweeper_ = std::thread([this, interval] { SweepLoop(interval); });
}

void RedisSlotStore::StopSweeper() {
  {
    MutexLock lock(&sweeper_mutex_);
    sweeper_stop_ = true;
  }
  sweeper_wakeup_.SignalAll();
  if (sweeper_.joinable()) sweeper_.join();
}

// ---- v1 tag limits --------------------------------------------------------

Status RedisSlotStore::UpsertTagLimit(std::string_view tag, int64_t limit, LimitSnapshot* out,
                                      bool* created) {
  if (kTagPrefix.size() + tag.size() > options_.engine.max_name_bytes) {
    return Status::kNameTooLong;
  }
  const std::string name = TagLimitName(tag);
  if (tag.empty() || !IsValidLimitName(name)) return Status::kInvalidName;
  if (!IsValidCount(limit)) return Status::kInvalidValue;
  Reply reply;
  const Status status =
      Run(Script::kUpsertTag, {name, Fmt(limit), FormatUuid(NewRandomUuid())}, &reply);
  if (status != Status::kOk) return status;
  if (Outcome(reply.get()) == "LIMITS") return Status::kTooManyLimits;
  *created = Text(Element(reply.get(), 1)) == "1";
  FillSnapshot(Element(reply.get(), 2), out);
  return Status::kOk;
}

Status RedisSlotStore::IncrementByTaskRun(std::span<const std::string_view> tags,
                                          const Uuid& task_run, TagIncrementOutcome* out) {
  std::vector<std::string> args = {FormatUuid(task_run), FormatUuid(NewRandomUuid())};
  AddNames(tags, kTagPrefix, &args);
  Reply reply;
  if (const Status status = Run(Script::kIncrementV1, args, &reply); status != Status::kOk) {
    return status;
  }
  const std::string_view outcome = Outcome(reply.get());
  if (outcome == "ZERO") {
    out->refusing_tag = std::string(Text(Element(reply.get(), 1)));
    return Status::kZeroLimit;
  }
  if (outcome == "LOCKED") {
    out->refusing_tag = std::string(Text(Element(reply.get(), 1)));
    out->retry_after_seconds = options_.engine.tag_wait_seconds;
    Count(refusals_);
    return Status::kLocked;
  }
  if (outcome == "LEASES") return Status::kTooManyLeases;
  FillRefs(reply.get(), 1, &out->limits);
  Count(acquisitions_);
  return Status::kOk;
}

Status RedisSlotStore::DecrementByTaskRun(std::span<const std::string_view> tags,
                                          const Uuid& task_run, std::vector<LimitRef>* out) {
  std::vector<std::string> args = {FormatUuid(task_run)};
  AddNames(tags, kTagPrefix, &args);
  Reply reply;
  if (const Status status = Run(Script::kDecrementV1, args, &reply); status != Status::kOk) {
    return status;
  }
  FillRefs(reply.get(), 1, out);
  Count(releases_);
  return Status::kOk;
}

Status RedisSlotStore::ResetTagLimit(std::string_view tag, std::span<const Uuid> slot_override) {
  const std::string name = TagLimitName(tag);
  if (name.size() > options_.engine.max_name_bytes) return Status::kNotFound;
  std::vector<Uuid> holders;
  std::unordered_set<Uuid, UuidHash> seen;
  for (const Uuid& run : slot_override) {
    if (seen.insert(run).second) holders.push_back(run);
  }
  std::vector<std::string> args = {name, std::to_string(holders.size())};
  for (const Uuid& run : holders) {
    args.push_back(FormatUuid(run));
    args.push_back(FormatUuid(NewRandomUuid()));
  }
  Reply reply;
  if (const Status status = Run(Script::kResetTag, args, &reply); status != Status::kOk) {
    return status;
  }
  const std::string_view outcome = Outcome(reply.get());
  if (outcome == "NOTFOUND") return Status::kNotFound;
  if (outcome == "LEASES") return Status::kTooManyLeases;
  Count(revoked_, static_cast<uint64_t>(Integer(Element(reply.get(), 1))));
  return Status::kOk;
}

// ---- no wait line ---------------------------------------------------------

Status RedisSlotStore::AcquireOrWait(const AcquireRequest& request, AcquireOutcome* out, WaitTerms,
                                     WaitId*) {
  return Acquire(request, out);
}

Status RedisSlotStore::IncrementByTaskRunOrWait(std::span<const std::string_view> tags,
                                                const Uuid& task_run, TagIncrementOutcome* out,
                                                WaitTerms, WaitId*) {
  return IncrementByTaskRun(tags, task_run, out);
}

// ---- monitoring ---------------------------------------------------------

EngineCounters RedisSlotStore::Counters() const {
  EngineCounters counters;
  counters.acquisitions = acquisitions_.load(std::memory_order_relaxed);
  counters.refusals = refusals_.load(std::memory_order_relaxed);
  counters.releases = releases_.load(std::memory_order_relaxed);
  counters.expired_leases = expired_.load(std::memory_order_relaxed);
  counters.revoked_leases = revoked_.load(std::memory_order_relaxed);
  return counters;
}

Status RedisSlotStore::ReadFigures(size_t max_named, EngineFigures* out) {
  *out = EngineFigures();
  Reply reply;
  const int64_t named =
      max_named > size_t{1} << 53 ? kMaxSlotCount : static_cast<int64_t>(max_named);
  if (const Status status = Run(Script::kFigures, {Fmt(named)}, &reply); status != Status::kOk) {
    return status;
  }
  const size_t named_count = static_cast<size_t>(Integer(Element(reply.get(), 3)));
  for (size_t i = 4; i < Size(reply.get()); ++i) {
    const redisReply* row = Element(reply.get(), i);
    LimitFigures figures;
    figures.name = std::string(Text(Element(row, 0)));
    figures.active = Text(Element(row, 1)) == "1";
    figures.limit = Integer(Element(row, 2));
    figures.active_slots = Integer(Element(row, 3));
    figures.denied_slots = Integer(Element(row, 4));
    figures.holders = static_cast<uint64_t>(Integer(Element(row, 5)));
    if (out->named.size() < named_count) {
      out->named.push_back(std::move(figures));
      continue;
    }
    EngineFigures::Sum& sum = out->others[figures.name.starts_with(kTagPrefix) ? 1 : 0];
    ++sum.count;
    sum.active_count += figures.active ? 1 : 0;
    sum.limit += static_cast<double>(figures.limit);
    sum.active_slots += static_cast<double>(figures.active_slots);
    sum.denied_slots += static_cast<double>(figures.denied_slots);
    sum.holders += figures.holders;
  }
  return Status::kOk;
}

Status RedisSlotStore::ReadHolders(std::string_view name, std::vector<HolderLease>* out) {
  out->clear();
  if (name.size() > options_.engine.max_name_bytes) return Status::kNotFound;
  Reply reply;
  if (const Status status = Run(Script::kHolders, {std::string(name)}, &reply);
      status != Status::kOk) {
    return status;
  }
  if (Outcome(reply.get()) != "OK") return Status::kNotFound;
  for (size_t i = 1; i < Size(reply.get()); ++i) {
    const redisReply* row = Element(reply.get(), i);
    HolderLease& lease = out->emplace_back();
    lease.lease_id = UuidOf(Element(row, 0));
    const std::string_view type = Text(Element(row, 1));
    if (!type.empty()) {
      lease.holder = Holder{static_cast<HolderType>(type[0] - '0'), UuidOf(Element(row, 2))};
    }
    lease.slots = Integer(Element(row, 3));
    lease.created_at = Time(Element(row, 4));
    lease.expiration = Time(Element(row, 5));
  }
  return Status::kOk;
}

size_t RedisSlotStore::LimitCount() const {
  Reply reply;
  if (const_cast<RedisSlotStore*>(this)->Run(Script::kCounts, {}, &reply) != Status::kOk) return 0;
  return static_cast<size_t>(Integer(Element(reply.get(), 1)));
}

size_t RedisSlotStore::LeaseCount() const {
  Reply reply;
  if (const_cast<RedisSlotStore*>(this)->Run(Script::kCounts, {}, &reply) != Status::kOk) return 0;
  return static_cast<size_t>(Integer(Element(reply.get(), 2)));
}

}  // namespace slotd::redis
