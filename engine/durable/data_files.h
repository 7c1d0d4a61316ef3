// The files of a data dir and the system calls around them: names, headers,
// whole writes, fsync of a file and of the folder.
//
// DIR/LOCK                      flock'ed by the one slotd using DIR
// DIR/journal-<20 digits>.log   header, then one frame per change
// DIR/snapshot-<20 digits>.snap header, one frame per limit and per lease,
//                               footer; snapshot N holds every change of the
//                               journals before N, so start-up loads it and
//                               replays journal N, N+1, ...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slotd::durable {

inline constexpr std::string_view kJournalMagic = "SLOTDJNL";
inline constexpr std::string_view kSnapshotMagic = "SLOTDSNP";
inline constexpr std::string_view kSnapshotEndMagic = "SNAPEND!";
inline constexpr size_t kFileHeaderBytes = 16;      // magic, then the file's number (u64)
inline constexpr size_t kSnapshotFooterBytes = 16;  // end magic, then the frame count

std::string JournalPath(const std::string& dir, uint64_t number);
std::string SnapshotPath(const std::string& dir, uint64_t number);

// The numbers of the journals and snapshots in `dir`, ascending.
struct DataFiles {
  std::vector<uint64_t> journals;
  std::vector<uint64_t> snapshots;
};
[[nodiscard]] bool ListDataFiles(const std::string& dir, DataFiles* out, std::string* error);

// `magic` then `value` as 8 little-endian bytes.
std::string FileHeader(std::string_view magic, uint64_t value);
// Parses one; false unless `bytes` starts with `magic`.
[[nodiscard]] bool ParseFileHeader(std::string_view bytes, std::string_view magic, uint64_t* value);

// 0 or the errno of the write that failed (a short write continues).
int WriteAll(int fd, std::string_view bytes);
// A whole file mapped read-only (start-up reads each journal and snapshot
// once: mapped, its pages come from the page cache, where a copy into the
// heap cost a page fault and a zeroed page per 4 KiB, twice over as the
// buffer grew).
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // False with *error naming the file.
  [[nodiscard]] bool Open(const std::string& path, std::string* error);
  // Valid until the object goes; empty for an empty file.
  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};
// fsync of the folder, so a created, renamed or removed name in it lasts.
int FsyncDir(const std::string& dir);

// "path: message (strerror(err))".
std::string ErrnoMessage(const std::string& path, std::string_view message, int err);

}  // namespace slotd::durable
