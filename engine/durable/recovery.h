// Start-up: the newest valid snapshot, then every journal after it, applied
// to an empty engine.
//
// A record cut short at the very end of the last journal (a crash during its
// write) is a torn tail: it is cut off, with a log line, and start-up goes
// on. Any other bad record (a bad CRC with good records after it, damage in
// an older file, a missing journal) stops start-up with an error naming the
// file and the offset, unless RecoveryOptions::keep_records_before_damage,
// which keeps everything before the damage and sets the rest aside
// (renamed *.discarded).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/slot_engine.h"

namespace slotd::durable {

struct RecoveryOptions {
  bool keep_records_before_damage = false;
  std::function<void(std::string_view)> log;
};

struct RecoveryResult {
  uint64_t snapshot_number = 0;  // 0: none loaded
  uint64_t journal_number = 1;   // where new changes go
  uint64_t journal_size = 0;     // its whole records end here (0: a new file)
  size_t changes_replayed = 0;   // snapshot records and journal records
};

// Rebuilds `engine` (empty, with no sink appending yet) from `dir`. False
// with *error (one line naming the file and what is wrong).
[[nodiscard]] bool Recover(const std::string& dir, SlotEngine* engine,
                           const RecoveryOptions& options, RecoveryResult* result,
                           std::string* error);

// Whether `bytes` are a complete snapshot numbered `number`; *frames_end is
// where its frames end (the footer's offset) and *records how many there
// are. Used by Recover and the tests.
[[nodiscard]] bool CheckSnapshot(std::string_view bytes, uint64_t number, size_t* frames_end,
                                 uint64_t* records, std::string* reason);

}  // namespace slotd::durable
