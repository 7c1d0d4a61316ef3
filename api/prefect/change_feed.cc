#include "api/prefect/change_feed.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "api/json/writer.h"
#include "api/prefect/responses.h"

namespace slotd::api {

std::optional<uint64_t> ParseLastEventId(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view EventTypeOf(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kCreateLimit:
      return "limit.created";
    case ChangeKind::kDeleteLimit:
      return "limit.deleted";
    case ChangeKind::kResetV1:
      return "limit.reset";
    case ChangeKind::kAcquire:
    case ChangeKind::kIncrementV1:
      return "slots.acquired";
    case ChangeKind::kDeny:
      return "slots.refused";
    case ChangeKind::kRelease:
    case ChangeKind::kReleaseLease:
      return "slots.released";
    case ChangeKind::kExpireLease:
      return "lease.expired";
    case ChangeKind::kRenewLease:
      return "lease.renewed";
    case ChangeKind::kUpdateLimit:
    case ChangeKind::kSnapshotLimit:  // never appended while serving
    case ChangeKind::kSnapshotLease:
      break;
  }
  return "limit.updated";
}

namespace {

void WriteHolder(JsonWriter& writer, const std::optional<Holder>& holder) {
  if (!holder) return writer.Null();
  writer.BeginObject();
  writer.Key("type").String(HolderTypeName(holder->type));
  writer.Key("id").Uuid(holder->id);
  writer.EndObject();
}

void WriteLease(JsonWriter& writer, const LeaseSnapshot& lease) {
  writer.BeginObject();
  writer.Key("id").Uuid(lease.id);
  writer.Key("slots").Int(lease.slots);
  writer.Key("limit_ids").BeginArray();
  for (const Uuid& id : lease.limit_ids) writer.Uuid(id);
  writer.EndArray();
  writer.Key("holder");
  WriteHolder(writer, lease.holder);
  writer.Key("expiration").Timestamp(lease.expiration);
  writer.EndObject();
}

LeaseSnapshot FromImage(const LeaseImage& image) {
  LeaseSnapshot lease;
  lease.id = image.id;
  lease.limit_ids = image.limit_ids;
  lease.slots = image.slots;
  if (image.has_holder) {
    lease.holder = Holder{static_cast<HolderType>(image.holder_type), image.holder_id};
  }
  lease.created_at = image.created_at;
  lease.expiration = image.expiration;
  return lease;
}

}  // namespace

ChangeFeed::ChangeFeed(Settings settings) : settings_(settings) {}

ChangeFeed::~ChangeFeed() { StopThread(); }

void ChangeFeed::StartThread() {
  thread_ = std::thread([this] { ThreadLoop(); });
}

void ChangeFeed::StopThread() {
  {
    MutexLock lock(&thread_mutex_);
    stop_ = true;
  }
  thread_wake_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void ChangeFeed::ThreadLoop() {
  MutexLock lock(&thread_mutex_);
  while (!stop_) {
    // Not signalled by Append (that would cost the engine a wake-up per
    // change): the feed looks every batch_interval while it watches, and
    // every second otherwise (to end the resume window).
    const auto interval = Watching() ? settings_.batch_interval : std::chrono::seconds(1);
    thread_wake_.WaitWithDeadline(&thread_mutex_, SteadyClock::now() + interval);
    if (stop_) break;
    thread_mutex_.Unlock();
    ProcessPending();
    Tick(SteadyClock::now());
    thread_mutex_.Lock();
  }
}

void ChangeFeed::Append(const Change& change) {
  MutexLock lock(&queue_mutex_);
  if (pending_.count == settings_.max_pending) {
    pending_gap_ = next_id_++;
    return;
  }
  if (pending_.count == pending_.changes.size()) {
    pending_.changes.emplace_back();
    pending_.ids.emplace_back();
  }
  // Assigned into a kept element, so its vectors' capacity is reused.
  pending_.changes[pending_.count] = change;
  pending_.ids[pending_.count] = next_id_++;
  ++pending_.count;
}

void ChangeFeed::ProcessPending() {
  uint64_t gap = 0;
  {
    MutexLock ring(&ring_mutex_);
    MutexLock queue(&queue_mutex_);
    std::swap(working_, pending_);
    pending_.count = 0;
    if (pending_gap_) {
      gap = *pending_gap_;
      pending_gap_.reset();
      ring_.clear();
      ring_first_id_ = gap + 1;
    }
  }
  if (working_.count == 0) return;
  std::vector<std::string> texts;
  texts.reserve(working_.count);
  uint64_t first_id = 0;
  for (size_t i = 0; i < working_.count; ++i) {
    if (working_.ids[i] <= gap) continue;  // before a gap: of no use
    if (texts.empty()) first_id = working_.ids[i];
    FormatEvent(working_.changes[i], working_.ids[i], &texts.emplace_back());
  }
  working_.count = 0;
  if (!texts.empty()) {
    MutexLock ring(&ring_mutex_);
    // Ids are contiguous from the ring's first: gaps are applied above,
    // by this thread alone.
    if (ring_.empty()) ring_first_id_ = first_id;
    uint64_t bytes = 0;
    for (std::string& text : texts) {
      bytes += text.size();
      ring_.push_back(std::move(text));
    }
    bytes_appended_.fetch_add(bytes, std::memory_order_relaxed);
    while (ring_.size() > std::max<size_t>(settings_.ring_size, 1)) {
      ring_.pop_front();
      ++ring_first_id_;
    }
  }
  MutexLock lock(&readers_mutex_);
  for (const std::shared_ptr<Reader>& reader : readers_) reader->Wake();
}

void ChangeFeed::Tick(SteadyClock::time_point now) {
  MutexLock readers(&readers_mutex_);
  if (!readers_.empty() || now - last_reader_left_ < settings_.resume_window) return;
  MutexLock queue(&queue_mutex_);
  SetWatching(false);
}

ChangeFeed::Start ChangeFeed::Subscribe(std::shared_ptr<Reader> reader,
                                        std::optional<uint64_t> last_id) {
  MutexLock readers(&readers_mutex_);
  readers_.push_back(std::move(reader));
  MutexLock ring(&ring_mutex_);
  MutexLock queue(&queue_mutex_);
  if (!Watching()) {
    // What changed while nobody watched is unknown to the feed.
    pending_gap_ = next_id_++;
    SetWatching(true);
  }
  Start start;
  start.cursor = next_id_;
  if (!last_id) return start;
  // The first id from which every event is still kept or queued.
  const uint64_t complete_from = std::max(ring_first_id_, pending_gap_ ? *pending_gap_ + 1 : 0);
  if (*last_id >= next_id_ || *last_id + 1 < complete_from) {
    start.reset = true;
    start.reset_id = next_id_ - 1;
    return start;
  }
  start.cursor = *last_id + 1;
  return start;
}

void ChangeFeed::Unsubscribe(const Reader* reader) {
  MutexLock lock(&readers_mutex_);
  auto it = std::find_if(readers_.begin(), readers_.end(),
                         [reader](const std::shared_ptr<Reader>& r) { return r.get() == reader; });
  if (it == readers_.end()) return;
  readers_.erase(it);
  if (readers_.empty()) last_reader_left_ = SteadyClock::now();
}

size_t ChangeFeed::ReaderCount() const {
  MutexLock lock(&readers_mutex_);
  return readers_.size();
}

ChangeFeed::ReadOutcome ChangeFeed::ReadFrom(uint64_t* cursor, size_t max_bytes,
                                             std::string* out) const {
  MutexLock lock(&ring_mutex_);
  if (*cursor < ring_first_id_) return ReadOutcome::kLost;
  const size_t start = out->size();
  for (uint64_t index = *cursor - ring_first_id_;
       index < ring_.size() && (out->size() - start < max_bytes || out->size() == start); ++index) {
    out->append(ring_[index]);
    ++*cursor;
  }
  return ReadOutcome::kOk;
}

uint64_t ChangeFeed::NewestId() const {
  MutexLock lock(&ring_mutex_);
  return ring_first_id_ + ring_.size() - 1;
}

std::string ChangeFeed::ResetText(uint64_t id, std::string_view reason) {
  std::string text = "id: " + std::to_string(id) + "\nevent: reset\ndata: ";
  JsonWriter writer(&text);
  writer.BeginObject();
  writer.Key("reason").String(reason);
  writer.EndObject();
  text += "\n\n";
  return text;
}

void ChangeFeed::FormatEvent(const Change& change, uint64_t id, std::string* out) const {
  out->reserve(160 + 320 * change.limits.size());
  out->append("id: ");
  out->append(std::to_string(id));
  out->append("\nevent: ");
  out->append(EventTypeOf(change.kind));
  out->append("\ndata: ");
  JsonWriter writer(out);
  writer.BeginObject();
  writer.Key("at").Timestamp(change.at);
  writer.Key("limits").BeginArray();
  LimitSnapshot snapshot;
  for (const LimitImage& image : change.limits) {
    engine_->SnapshotOfImage(image, change.at, &snapshot);
    WriteLimitV2(writer, snapshot);
  }
  writer.EndArray();
  writer.Key("deleted").BeginArray();
  for (const Uuid& limit_id : change.deleted_limits) writer.Uuid(limit_id);
  writer.EndArray();
  if ((change.kind == ChangeKind::kAcquire || change.kind == ChangeKind::kIncrementV1) &&
      change.new_leases.size() == 1) {
    writer.Key("lease");
    WriteLease(writer, FromImage(change.new_leases.front()));
  }
  if (change.renewed_lease) {
    // A renewal carries only the lease's id and expiration; the rest is
    // read now (a lease released meanwhile is written without it).
    LeaseSnapshot lease;
    writer.Key("lease");
    if (engine_->ReadLease(*change.renewed_lease, &lease) == Status::kOk) {
      lease.expiration = change.renewed_expiration;
      WriteLease(writer, lease);
    } else {
      writer.BeginObject();
      writer.Key("id").Uuid(*change.renewed_lease);
      writer.Key("expiration").Timestamp(change.renewed_expiration);
      writer.EndObject();
    }
  }
  if (!change.ended_leases.empty()) {
    writer.Key("ended_leases").BeginArray();
    for (const Uuid& lease_id : change.ended_leases) writer.Uuid(lease_id);
    writer.EndArray();
  }
  writer.EndObject();
  out->append("\n\n");
}

}  // namespace slotd::api
