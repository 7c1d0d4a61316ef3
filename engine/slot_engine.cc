// The engine's plumbing: construction, the shard locks, the catalog, and the
// name rule. Limits, slots, leases and the v1 view have files of their own.
#include <algorithm>
#include <unordered_set>

#include "engine/internal/engine_impl.h"

namespace slotd {

const char* StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "Ok";
    case Status::kNotFound:
      return "NotFound";
    case Status::kNameTaken:
      return "NameTaken";
    case Status::kInvalidName:
      return "InvalidName";
    case Status::kInvalidValue:
      return "InvalidValue";
    case Status::kSlotsExceedLimit:
      return "SlotsExceedLimit";
    case Status::kNoDecayForRateLimit:
      return "NoDecayForRateLimit";
    case Status::kLocked:
      return "Locked";
    case Status::kZeroLimit:
      return "ZeroLimit";
    case Status::kLeaseNotFound:
      return "LeaseNotFound";
    case Status::kTooManyLimits:
      return "TooManyLimits";
    case Status::kTooManyLeases:
      return "TooManyLeases";
    case Status::kNameTooLong:
      return "NameTooLong";
    case Status::kUnavailable:
      return "Unavailable";
    case Status::kWaiting:
      return "Waiting";
    case Status::kStoreUnavailable:
      return "StoreUnavailable";
  }
  return "Unknown";
}

bool IsValidLimitName(std::string_view name) {
  return !name.empty() && name.find_first_of("/%&><") == std::string_view::npos;
}

namespace {

EngineOptions WithDefaults(EngineOptions options) {
  if (!options.clock) options.clock = std::make_shared<SystemTimeSource>();
  if (!options.random) options.random = std::make_shared<ThreadLocalRandomSource>();
  options.limit_shards = std::max<size_t>(options.limit_shards, 1);
  options.lease_shards = std::max<size_t>(options.lease_shards, 1);
  return options;
}

}  // namespace

SlotEngine::SlotEngine(EngineOptions options)
    : options_(WithDefaults(std::move(options))), impl_(std::make_unique<Impl>(options_)) {}

SlotEngine::~SlotEngine() {
  StopSweeper();
  StopWaitTimer();
}

SlotEngine::Impl::Impl(const EngineOptions& engine_options)
    : options(engine_options),
      sink(engine_options.change_sink.get()),
      watcher(engine_options.change_watcher.get()),
      fan_out(sink, watcher),
      leases(engine_options.lease_shards, engine_options.max_leases),
      catalog(engine_options.max_limits) {
  shards.reserve(options.limit_shards);
  for (size_t i = 0; i < options.limit_shards; ++i)
    shards.push_back(std::make_unique<LimitShard>());
}

LimitState* SlotEngine::Impl::FindLocked(std::string_view name) {
  LimitShard::Map& limits = LimitsLocked(name);
  auto it = limits.find(name);
  return it == limits.end() ? nullptr : &it->second;
}

LimitState& SlotEngine::Impl::InsertLocked(LimitShard::Map::node_type node) {
  node.key() = node.mapped().name();
  return LimitsLocked(node.key()).insert(std::move(node)).position->second;
}

void SlotEngine::Impl::FindAllLocked(std::span<const std::string_view> names,
                                     std::vector<LimitState*>* found) {
  for (std::string_view name : names) {
    if (LimitState* limit = FindLocked(name)) found->push_back(limit);
  }
}

void SlotEngine::Impl::DeleteLocked(LimitState& limit) {
  for (const auto& entry : limit.leases()) {
    leases.DropLimit(entry.first, limit.id(), /*erase_if_empty=*/false);
  }
  catalog.Remove(limit);
  LimitShard::Map& limits = LimitsLocked(limit.name());
  limits.erase(limits.find(limit.name()));  // frees `limit`
}

size_t SlotEngine::LimitCount() const { return impl_->catalog.size(); }

// ---- changes ----------------------------------------------------------------

void Change::Clear() {
  kind = ChangeKind::kUpdateLimit;
  at = TimePoint();
  deleted_limits.clear();
  reset_limit.reset();
  ended_leases.clear();
  limits.clear();
  new_leases.clear();
  renewed_lease.reset();
  renewed_expiration = TimePoint();
}

Change& SlotEngine::Impl::BeginChange(ChangeKind kind, TimePoint at) {
  Change& change = ThreadScratch().change;
  change.Clear();
  change.kind = kind;
  change.at = at;
  return change;
}

void SlotEngine::Impl::AddImages(std::span<LimitState* const> limits, Change* change) {
  for (LimitState* limit : limits) limit->FillImage(&change->limits.emplace_back());
}

bool SlotEngine::AwaitDurable() { return !impl_->sink || impl_->sink->AwaitThreadChanges(); }

bool SlotEngine::DurabilityPending() const {
  return impl_->sink && impl_->sink->ThreadChangesPending();
}

void SlotEngine::WhenDurable(std::function<void(bool kept)> done) {
  if (!impl_->sink) return done(true);
  impl_->sink->WhenThreadChangesDurable(std::move(done));
}

// ---- locking ----------------------------------------------------------------

ShardGuard::ShardGuard(SlotEngine::Impl& impl, std::span<const std::string_view> names)
    : impl_(impl) {
  std::span<size_t> indices(inline_);
  if (names.size() > kInline) {
    overflow_.resize(names.size());
    indices = overflow_;
  }
  indices = indices.first(names.size());
  for (size_t i = 0; i < names.size(); ++i) indices[i] = impl.ShardIndex(names[i]);
  std::sort(indices.begin(), indices.end());
  auto last = std::unique(indices.begin(), indices.end());
  locked_ = indices.first(static_cast<size_t>(last - indices.begin()));
  for (size_t index : locked_) impl_.shards[index]->mutex.Lock();
}

ShardGuard::ShardGuard(SlotEngine::Impl& impl, std::string_view name) : impl_(impl) {
  inline_[0] = impl.ShardIndex(name);
  locked_ = std::span<size_t>(inline_).first(1);
  impl_.shards[inline_[0]]->mutex.Lock();
}

ShardGuard::ShardGuard(SlotEngine::Impl& impl, Index index) : impl_(impl) {
  inline_[0] = index.value;
  locked_ = std::span<size_t>(inline_).first(1);
  impl_.shards[inline_[0]]->mutex.Lock();
}

ShardGuard::~ShardGuard() {
  for (size_t i = locked_.size(); i-- > 0;) impl_.shards[locked_[i]]->mutex.Unlock();
}

CallScratch& ThreadScratch() {
  thread_local CallScratch scratch;
  return scratch;
}

void UniqueNames(std::span<const std::string_view> names, std::vector<std::string_view>* out) {
  out->clear();
  constexpr size_t kLinearScanMax = 16;
  if (names.size() <= kLinearScanMax) {
    for (std::string_view name : names) {
      if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(name);
    }
    return;
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(names.size());
  for (std::string_view name : names) {
    if (seen.insert(name).second) out->push_back(name);
  }
}

}  // namespace slotd
