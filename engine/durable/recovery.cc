#include "engine/durable/recovery.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "engine/durable/change_codec.h"
#include "engine/durable/data_files.h"

namespace slotd::durable {

namespace {

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

class Replayer {
 public:
  Replayer(const std::string& dir, SlotEngine* engine, const RecoveryOptions& options,
           RecoveryResult* result, std::string* error)
      : dir_(dir), engine_(engine), options_(options), result_(result), error_(error) {}

  bool Run();

 private:
  bool LoadNewestSnapshot(const std::vector<uint64_t>& snapshots);
  // Replays one journal; *stop when the rest of the journals must be set aside.
  bool ReplayJournal(uint64_t number, bool last, bool* stop);
  bool Apply(std::span<const uint8_t> payload, const std::string& path, size_t offset);
  // Damage at `offset` of `path`: the error, or (keeping what is before it)
  // a log line, with *keep set.
  bool Damaged(const std::string& path, size_t offset, std::string_view reason, bool* keep);
  void SetAside(uint64_t first_journal, const std::vector<uint64_t>& journals);
  void Log(const std::string& line) const {
    if (options_.log) {
      options_.log(line);
    } else {
      std::fprintf(stderr, "slotd: %s\n", line.c_str());
    }
  }

  const std::string& dir_;
  SlotEngine* engine_;
  const RecoveryOptions& options_;
  RecoveryResult* result_;
  std::string* error_;
  Change change_;
};

bool Replayer::Run() {
  DataFiles files;
  if (!ListDataFiles(dir_, &files, error_)) return false;
  if (!LoadNewestSnapshot(files.snapshots)) return false;
  const uint64_t first = result_->snapshot_number > 0 ? result_->snapshot_number : 1;
  std::vector<uint64_t> journals;
  for (uint64_t number : files.journals) {
    if (number >= first) journals.push_back(number);
  }
  result_->journal_number = first;
  result_->journal_size = 0;
  uint64_t expected = first;
  for (size_t i = 0; i < journals.size(); ++i) {
    if (journals[i] != expected) {
      bool keep = false;
      if (!Damaged(JournalPath(dir_, expected), 0, "missing (a later journal exists)", &keep)) {
        return false;
      }
      SetAside(journals[i], journals);
      return true;
    }
    bool stop = false;
    if (!ReplayJournal(journals[i], i + 1 == journals.size(), &stop)) return false;
    result_->journal_number = journals[i];
    if (stop) {
      SetAside(journals[i] + 1, journals);
      return true;
    }
    ++expected;
  }
  if (journals.empty() && result_->snapshot_number > 0) {
    bool keep = false;
    const std::string path = JournalPath(dir_, first);
    if (!Damaged(path, 0, "missing (the snapshot before it needs it)", &keep)) return false;
  }
  return true;
}

bool Replayer::LoadNewestSnapshot(const std::vector<uint64_t>& snapshots) {
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    const std::string path = SnapshotPath(dir_, *it);
    MappedFile file;
    std::string reason;
    size_t frames_end = 0;
    uint64_t records = 0;
    if (!file.Open(path, &reason) ||
        !CheckSnapshot(file.bytes(), *it, &frames_end, &records, &reason)) {
      Log(path + ": ignoring this snapshot (" + reason + "); trying an older one");
      continue;
    }
    std::span<const uint8_t> rest = Bytes(file.bytes()).subspan(kFileHeaderBytes);
    rest = rest.first(frames_end - kFileHeaderBytes);
    engine_->ReserveLeases(records);
    size_t offset = kFileHeaderBytes;
    while (!rest.empty()) {
      // CheckSnapshot read every frame and its CRC already.
      const FrameRead frame = ReadFrame(rest, /*check_crc=*/false);
      if (!Apply(frame.payload, path, offset)) return false;
      rest = rest.subspan(frame.size);
      offset += frame.size;
    }
    result_->snapshot_number = *it;
    return true;
  }
  return true;
}

bool Replayer::ReplayJournal(uint64_t number, bool last, bool* stop) {
  const std::string path = JournalPath(dir_, number);
  MappedFile file;
  if (!file.Open(path, error_)) return false;
  const std::string_view bytes = file.bytes();
  uint64_t header_number = 0;
  if (bytes.size() < kFileHeaderBytes && last) {
    // Created, but the crash came before its header was whole.
    Log(path + ": cut a torn header (" + std::to_string(bytes.size()) + " bytes)");
    result_->journal_size = 0;
    return true;
  }
  if (!ParseFileHeader(bytes, kJournalMagic, &header_number) || header_number != number) {
    bool keep = false;
    if (!Damaged(path, 0, "not a slotd journal header", &keep)) return false;
    result_->journal_size = 0;
    *stop = true;
    return true;
  }
  std::span<const uint8_t> all = Bytes(bytes);
  // Every CRC first (on two threads); the frames up to `checked_end` are
  // then read without their CRC, and the first bad one, if any, is read
  // again below to say what is wrong with it.
  const FramesChecked checked = CheckFrames(all.subspan(kFileHeaderBytes));
  const size_t checked_end = kFileHeaderBytes + checked.bytes;
  engine_->ReserveLeases(checked.frames);
  size_t offset = kFileHeaderBytes;
  while (offset < all.size()) {
    const std::span<const uint8_t> rest = all.subspan(offset);
    const FrameRead frame = ReadFrame(rest, /*check_crc=*/offset >= checked_end);
    if (frame.outcome != FrameRead::Outcome::kOk) {
      // Torn: the file ends inside this record, or it is the last one and
      // only its CRC is off, or only zeros follow (space the file system
      // allocated but the crash never filled).
      const bool zeros = std::all_of(rest.begin(), rest.end(), [](uint8_t b) { return b == 0; });
      const bool torn =
          last && (frame.outcome == FrameRead::Outcome::kTruncated || zeros ||
                   (frame.outcome == FrameRead::Outcome::kBadCrc && frame.size == rest.size()));
      if (torn) {
        Log(path + ": cut a torn record at offset " + std::to_string(offset) + " (" +
            std::to_string(rest.size()) + " bytes, " + FrameOutcomeName(frame.outcome) +
            "): the last write before the process stopped");
        break;
      }
      bool keep = false;
      if (!Damaged(path, offset, FrameOutcomeName(frame.outcome), &keep)) return false;
      *stop = true;
      break;
    }
    if (!Apply(frame.payload, path, offset)) return false;
    offset += frame.size;
  }
  result_->journal_size = offset;
  return true;
}

bool Replayer::Apply(std::span<const uint8_t> payload, const std::string& path, size_t offset) {
  if (!DecodeChange(payload, &change_)) {
    *error_ = path + ": record at offset " + std::to_string(offset) +
              " passes its CRC but is not a change this slotd reads";
    return false;
  }
  const Status status = engine_->ApplyChange(change_);
  if (status != Status::kOk) {
    *error_ = path + ": record at offset " + std::to_string(offset) + " does not fit (" +
              StatusName(status) + "): raise --max-limits or --max-leases";
    return false;
  }
  ++result_->changes_replayed;
  return true;
}

bool Replayer::Damaged(const std::string& path, size_t offset, std::string_view reason,
                       bool* keep) {
  const std::string where =
      path + ": bad record at offset " + std::to_string(offset) + " (" + std::string(reason) + ")";
  if (!options_.keep_records_before_damage) {
    *error_ = where +
              "; slotd will not start and lose what follows silently. Start once with "
              "--recover-to-damage to keep every record before it and set the rest aside";
    return false;
  }
  Log(where + "; keeping every record before it and setting the rest aside (--recover-to-damage)");
  *keep = true;
  return true;
}

void Replayer::SetAside(uint64_t first_journal, const std::vector<uint64_t>& journals) {
  for (uint64_t number : journals) {
    if (number < first_journal) continue;
    const std::string path = JournalPath(dir_, number);
    if (::rename(path.c_str(), (path + ".discarded").c_str()) == 0) {
      Log(path + ": set aside as " + path + ".discarded");
    }
  }
}

}  // namespace

bool CheckSnapshot(std::string_view bytes, uint64_t number, size_t* frames_end, uint64_t* records,
                   std::string* reason) {
  uint64_t header_number = 0;
  if (!ParseFileHeader(bytes, kSnapshotMagic, &header_number) || header_number != number) {
    *reason = "not a slotd snapshot header";
    return false;
  }
  if (bytes.size() < kFileHeaderBytes + kSnapshotFooterBytes) {
    *reason = "truncated";
    return false;
  }
  const size_t end = bytes.size() - kSnapshotFooterBytes;
  uint64_t count = 0;
  if (!ParseFileHeader(bytes.substr(end), kSnapshotEndMagic, &count)) {
    *reason = "truncated (no footer)";
    return false;
  }
  const std::span<const uint8_t> rest =
      Bytes(bytes.substr(kFileHeaderBytes, end - kFileHeaderBytes));
  const FramesChecked checked = CheckFrames(rest);
  const uint64_t seen = checked.frames;
  if (checked.bytes < rest.size()) {
    *reason = std::string("record ") + std::to_string(seen) + ": " +
              FrameOutcomeName(ReadFrame(rest.subspan(checked.bytes)).outcome);
    return false;
  }
  if (seen != count) {
    *reason =
        "holds " + std::to_string(seen) + " records, its footer says " + std::to_string(count);
    return false;
  }
  *frames_end = end;
  *records = count;
  return true;
}

bool Recover(const std::string& dir, SlotEngine* engine, const RecoveryOptions& options,
             RecoveryResult* result, std::string* error) {
  *result = RecoveryResult{};
  return Replayer(dir, engine, options, result, error).Run();
}

}  // namespace slotd::durable
