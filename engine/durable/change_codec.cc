#include "engine/durable/change_codec.h"

#include <boost/crc.hpp>
#include <cstring>
#include <thread>

namespace slotd::durable {

namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr size_t kUuidBytes = 16;

void PutU8(std::string* out, uint8_t value) { out->push_back(static_cast<char>(value)); }

void PutU32(std::string* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void PutU64(std::string* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

void PutI64(std::string* out, int64_t value) { PutU64(out, static_cast<uint64_t>(value)); }

void PutF64(std::string* out, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  PutU64(out, bits);
}

void PutTime(std::string* out, TimePoint t) { PutI64(out, t.time_since_epoch().count()); }

void PutUuid(std::string* out, const Uuid& id) {
  out->append(reinterpret_cast<const char*>(id.data), kUuidBytes);
}

void PutCount(std::string* out, size_t count) { PutU32(out, static_cast<uint32_t>(count)); }

void PutUuids(std::string* out, const std::vector<Uuid>& ids) {
  PutCount(out, ids.size());
  for (const Uuid& id : ids) PutUuid(out, id);
}

void PutOptionalUuid(std::string* out, const std::optional<Uuid>& id) {
  PutU8(out, id ? 1 : 0);
  if (id) PutUuid(out, *id);
}

void PutImage(std::string* out, const LimitImage& image) {
  PutUuid(out, image.id);
  PutCount(out, image.name.size());
  out->append(image.name);
  PutTime(out, image.created);
  PutTime(out, image.updated);
  PutU8(out, image.active ? 1 : 0);
  PutI64(out, image.limit);
  PutF64(out, image.slot_decay_per_second);
  PutF64(out, image.avg_slot_occupancy_seconds);
  PutF64(out, image.active_level);
  PutTime(out, image.active_level_at);
  PutF64(out, image.denied_level);
  PutTime(out, image.denied_level_at);
  PutU64(out, image.next_lease_sequence);
}

void PutLease(std::string* out, const LeaseImage& lease) {
  PutUuid(out, lease.id);
  PutCount(out, lease.limit_ids.size());
  for (size_t i = 0; i < lease.limit_ids.size(); ++i) {
    PutUuid(out, lease.limit_ids[i]);
    PutU64(out, lease.sequences[i]);
  }
  PutI64(out, lease.slots);
  PutU8(out, lease.has_holder ? 1 : 0);
  PutU8(out, lease.holder_type);
  PutUuid(out, lease.holder_id);
  PutTime(out, lease.created_at);
  PutTime(out, lease.expiration);
}

// Reads a payload front to back; any read past the end marks it failed and
// yields zeros, so a decoder checks ok() once at the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  uint8_t U8() {
    const uint8_t* p = Take(1);
    return p ? p[0] : 0;
  }
  uint32_t U32() {
    const uint8_t* p = Take(4);
    uint32_t value = 0;
    for (int i = 0; p && i < 4; ++i) value |= uint32_t{p[i]} << (8 * i);
    return value;
  }
  uint64_t U64() {
    const uint8_t* p = Take(8);
    uint64_t value = 0;
    for (int i = 0; p && i < 8; ++i) value |= uint64_t{p[i]} << (8 * i);
    return value;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  double F64() {
    const uint64_t bits = U64();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
  TimePoint Time() { return TimePoint(Micros(I64())); }
  bool Bool() {
    const uint8_t value = U8();
    if (value > 1) ok_ = false;
    return value == 1;
  }
  Uuid Id() {
    Uuid id{};
    if (const uint8_t* p = Take(kUuidBytes)) std::memcpy(id.data, p, kUuidBytes);
    return id;
  }
  // A count of items of at least `min_item_bytes` each: refused when the
  // rest of the payload could not hold that many, so damage cannot make a
  // decoder reserve gigabytes.
  size_t Count(size_t min_item_bytes) {
    const size_t count = U32();
    if (count > (bytes_.size() - pos_) / min_item_bytes) {
      ok_ = false;
      return 0;
    }
    return count;
  }
  void String(std::string* out) {
    const size_t size = Count(1);
    const uint8_t* p = Take(size);
    if (p) out->assign(reinterpret_cast<const char*>(p), size);
  }
  std::optional<Uuid> OptionalId() {
    if (!Bool()) return std::nullopt;
    return Id();
  }
  void Ids(std::vector<Uuid>* out) {
    out->resize(Count(kUuidBytes));
    for (Uuid& id : *out) id = Id();
  }

 private:
  const uint8_t* Take(size_t n) {
    if (!ok_ || n > bytes_.size() - pos_) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

constexpr size_t kMinImageBytes = kUuidBytes + 4 + 8 * 11 + 1;
constexpr size_t kMinLeaseBytes = kUuidBytes * 2 + 4 + 8 * 3 + 2;

void ReadImage(Reader& in, LimitImage* image) {
  image->id = in.Id();
  in.String(&image->name);
  image->created = in.Time();
  image->updated = in.Time();
  image->active = in.Bool();
  image->limit = in.I64();
  image->slot_decay_per_second = in.F64();
  image->avg_slot_occupancy_seconds = in.F64();
  image->active_level = in.F64();
  image->active_level_at = in.Time();
  image->denied_level = in.F64();
  image->denied_level_at = in.Time();
  image->next_lease_sequence = in.U64();
}

void ReadLease(Reader& in, LeaseImage* lease) {
  lease->id = in.Id();
  const size_t held = in.Count(kUuidBytes + 8);
  lease->limit_ids.resize(held);
  lease->sequences.resize(held);
  for (size_t i = 0; i < held; ++i) {
    lease->limit_ids[i] = in.Id();
    lease->sequences[i] = in.U64();
  }
  lease->slots = in.I64();
  lease->has_holder = in.Bool();
  lease->holder_type = in.U8();
  lease->holder_id = in.Id();
  lease->created_at = in.Time();
  lease->expiration = in.Time();
}

bool IsKnownKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(ChangeKind::kCreateLimit) &&
         kind <= static_cast<uint8_t>(ChangeKind::kSnapshotLease);
}

}  // namespace

void EncodeChange(const Change& change, std::string* out) {
  PutU8(out, kFormatVersion);
  PutU8(out, static_cast<uint8_t>(change.kind));
  PutTime(out, change.at);
  PutUuids(out, change.deleted_limits);
  PutOptionalUuid(out, change.reset_limit);
  PutUuids(out, change.ended_leases);
  PutCount(out, change.limits.size());
  for (const LimitImage& image : change.limits) PutImage(out, image);
  PutCount(out, change.new_leases.size());
  for (const LeaseImage& lease : change.new_leases) PutLease(out, lease);
  PutOptionalUuid(out, change.renewed_lease);
  PutTime(out, change.renewed_expiration);
}

bool DecodeChange(std::span<const uint8_t> payload, Change* out) {
  Reader in(payload);
  out->Clear();
  if (in.U8() != kFormatVersion) return false;
  const uint8_t kind = in.U8();
  if (!IsKnownKind(kind)) return false;
  out->kind = static_cast<ChangeKind>(kind);
  out->at = in.Time();
  in.Ids(&out->deleted_limits);
  out->reset_limit = in.OptionalId();
  in.Ids(&out->ended_leases);
  out->limits.resize(in.Count(kMinImageBytes));
  for (LimitImage& image : out->limits) ReadImage(in, &image);
  out->new_leases.resize(in.Count(kMinLeaseBytes));
  for (LeaseImage& lease : out->new_leases) ReadLease(in, &lease);
  out->renewed_lease = in.OptionalId();
  out->renewed_expiration = in.Time();
  return in.ok() && in.at_end();
}

uint32_t Crc32(std::span<const uint8_t> bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

size_t BeginFrame(std::string* out) {
  const size_t offset = out->size();
  out->append(kFrameHeaderBytes, '\0');
  return offset;
}

void EndFrame(std::string& buffer, size_t offset) {
  const auto length = static_cast<uint32_t>(buffer.size() - offset - kFrameHeaderBytes);
  for (int i = 0; i < 4; ++i) buffer[offset + i] = static_cast<char>(length >> (8 * i));
}

void SealFrames(std::string& buffer, size_t from) {
  size_t offset = from;
  while (offset + kFrameHeaderBytes <= buffer.size()) {
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= uint32_t{static_cast<uint8_t>(buffer[offset + i])} << (8 * i);
    }
    const auto* payload =
        reinterpret_cast<const uint8_t*>(buffer.data() + offset + kFrameHeaderBytes);
    const uint32_t crc = Crc32({payload, length});
    for (int i = 0; i < 4; ++i) buffer[offset + 4 + i] = static_cast<char>(crc >> (8 * i));
    offset += kFrameHeaderBytes + length;
  }
}

FrameRead ReadFrame(std::span<const uint8_t> bytes, bool check_crc) {
  FrameRead read;
  if (bytes.size() < kFrameHeaderBytes) {
    read.outcome = FrameRead::Outcome::kTruncated;
    return read;
  }
  uint32_t length = 0;
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) {
    length |= uint32_t{bytes[i]} << (8 * i);
    crc |= uint32_t{bytes[4 + i]} << (8 * i);
  }
  // No change encodes to nothing (a payload starts with its version), so a
  // zero length is damage too: zeros past a journal's end (space the file
  // system allocated that the crash never filled) read as frames of length
  // 0 whose CRC matches.
  if (length == 0 || length > kMaxPayloadBytes) {
    read.outcome = FrameRead::Outcome::kBadLength;
    return read;
  }
  if (bytes.size() - kFrameHeaderBytes < length) {
    read.outcome = FrameRead::Outcome::kTruncated;
    return read;
  }
  read.payload = bytes.subspan(kFrameHeaderBytes, length);
  read.size = kFrameHeaderBytes + length;
  if (check_crc && Crc32(read.payload) != crc) read.outcome = FrameRead::Outcome::kBadCrc;
  return read;
}

namespace {

// The good frames of `bytes`, one after the other, on this thread.
FramesChecked CheckFramesHere(std::span<const uint8_t> bytes) {
  FramesChecked checked;
  while (checked.bytes < bytes.size()) {
    const FrameRead frame = ReadFrame(bytes.subspan(checked.bytes));
    if (frame.outcome != FrameRead::Outcome::kOk) break;
    ++checked.frames;
    checked.bytes += frame.size;
  }
  return checked;
}

// Below this, a second thread costs more than it saves.
constexpr size_t kParallelCheckBytes = 4 << 20;

}  // namespace

FramesChecked CheckFrames(std::span<const uint8_t> bytes) {
  if (bytes.size() < kParallelCheckBytes) return CheckFramesHere(bytes);
  // The lengths alone (no CRC) find the first frame past the middle and
  // where the readable frames end; the halves before and after that frame
  // are checked at once.
  size_t middle = 0;
  size_t end = 0;
  while (end < bytes.size()) {
    const FrameRead frame = ReadFrame(bytes.subspan(end), /*check_crc=*/false);
    if (frame.outcome != FrameRead::Outcome::kOk) break;
    end += frame.size;
    if (middle == 0 && end >= bytes.size() / 2) middle = end;
  }
  if (middle == 0 || middle == end) return CheckFramesHere(bytes.first(end));
  FramesChecked second;
  std::thread helper([&] { second = CheckFramesHere(bytes.subspan(middle, end - middle)); });
  FramesChecked first = CheckFramesHere(bytes.first(middle));
  helper.join();
  if (first.bytes < middle) return first;  // a bad frame in the first half
  first.frames += second.frames;
  first.bytes += second.bytes;
  return first;
}

const char* FrameOutcomeName(FrameRead::Outcome outcome) {
  switch (outcome) {
    case FrameRead::Outcome::kOk:
      return "ok";
    case FrameRead::Outcome::kTruncated:
      return "the file ends inside the record";
    case FrameRead::Outcome::kBadLength:
      return "impossible record length";
    case FrameRead::Outcome::kBadCrc:
      return "CRC mismatch";
  }
  return "unknown";
}

}  // namespace slotd::durable
