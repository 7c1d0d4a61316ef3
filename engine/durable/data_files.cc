#include "engine/durable/data_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace slotd::durable {

namespace {

std::string Numbered(const std::string& dir, const char* prefix, uint64_t number,
                     const char* suffix) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%020" PRIu64 "%s", prefix, number, suffix);
  return dir + "/" + name;
}

// The number in "<prefix><20 digits><suffix>", if `name` is that.
bool ParseNumbered(std::string_view name, std::string_view prefix, std::string_view suffix,
                   uint64_t* number) {
  if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return false;
  }
  uint64_t value = 0;
  for (char c : name.substr(prefix.size(), 20)) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = value;
  return true;
}

}  // namespace

std::string JournalPath(const std::string& dir, uint64_t number) {
  return Numbered(dir, "journal-", number, ".log");
}

std::string SnapshotPath(const std::string& dir, uint64_t number) {
  return Numbered(dir, "snapshot-", number, ".snap");
}

bool ListDataFiles(const std::string& dir, DataFiles* out, std::string* error) {
  DIR* listing = opendir(dir.c_str());
  if (!listing) {
    *error = ErrnoMessage(dir, "cannot list the data dir", errno);
    return false;
  }
  out->journals.clear();
  out->snapshots.clear();
  while (const dirent* entry = readdir(listing)) {
    uint64_t number;
    if (ParseNumbered(entry->d_name, "journal-", ".log", &number)) {
      out->journals.push_back(number);
    } else if (ParseNumbered(entry->d_name, "snapshot-", ".snap", &number)) {
      out->snapshots.push_back(number);
    }
  }
  closedir(listing);
  std::sort(out->journals.begin(), out->journals.end());
  std::sort(out->snapshots.begin(), out->snapshots.end());
  return true;
}

std::string FileHeader(std::string_view magic, uint64_t value) {
  std::string header(magic);
  for (int i = 0; i < 8; ++i) header.push_back(static_cast<char>(value >> (8 * i)));
  return header;
}

bool ParseFileHeader(std::string_view bytes, std::string_view magic, uint64_t* value) {
  if (bytes.size() < magic.size() + 8 || !bytes.starts_with(magic)) return false;
  uint64_t parsed = 0;
  for (int i = 0; i < 8; ++i) {
    parsed |= uint64_t{static_cast<uint8_t>(bytes[magic.size() + i])} << (8 * i);
  }
  *value = parsed;
  return true;
}

int WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return 0;
}

MappedFile::~MappedFile() {
  if (size_ > 0) ::munmap(const_cast<char*>(data_), size_);
}

bool MappedFile::Open(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = ErrnoMessage(path, "cannot open", errno);
    return false;
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    *error = ErrnoMessage(path, "cannot stat", errno);
    ::close(fd);
    return false;
  }
  const size_t size = static_cast<size_t>(status.st_size);
  if (size > 0) {
    // MAP_POPULATE: read ahead and map every page now, not a fault at a time.
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (mapped == MAP_FAILED) {
      *error = ErrnoMessage(path, "cannot map", errno);
      ::close(fd);
      return false;
    }
    data_ = static_cast<const char*>(mapped);
    size_ = size;
  }
  ::close(fd);
  return true;
}

int FsyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int result = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

std::string ErrnoMessage(const std::string& path, std::string_view message, int err) {
  return path + ": " + std::string(message) + " (" + std::strerror(err) + ")";
}

}  // namespace slotd::durable
