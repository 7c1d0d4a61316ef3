#include "api/prefect/process_figures.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace slotd::api {
namespace {

// The whole of a small /proc file; empty if it cannot be read.
std::string ReadSmallFile(const char* path) {
  std::string text;
  if (FILE* file = std::fopen(path, "re")) {
    char buffer[4096];
    size_t read = 0;
    while ((read = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, read);
    std::fclose(file);
  }
  return text;
}

// The boot time from /proc/stat's "btime" line, in seconds since the epoch.
std::optional<uint64_t> BootTime() {
  const std::string stat = ReadSmallFile("/proc/stat");
  const size_t at = stat.find("\nbtime ");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(stat.c_str() + at + 7, nullptr, 10);
}

uint64_t CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count > 0 ? count - 1 : 0;  // less the directory being read
}

}  // namespace

std::optional<ProcessFigures> ReadProcessFigures() {
  const std::string stat = ReadSmallFile("/proc/self/stat");
  // Fields after the command name, which is in parentheses and may hold
  // spaces and parentheses of its own: field 3 (state) onwards.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  unsigned long long utime = 0, stime = 0, threads = 0, start_ticks = 0, vsize = 0, rss = 0;
  const int fields = std::sscanf(stat.c_str() + close + 1,
                                 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
                                 "%*d %*d %llu %*d %llu %llu %llu",
                                 &utime, &stime, &threads, &start_ticks, &vsize, &rss);
  if (fields != 6) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  ProcessFigures figures;
  figures.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  figures.resident_bytes = rss * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  figures.virtual_bytes = vsize;
  figures.threads = threads;
  figures.open_fds = CountOpenFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) figures.max_fds = limit.rlim_cur;
  if (const std::optional<uint64_t> boot = BootTime()) {
    figures.start_time_unix = static_cast<double>(*boot) + static_cast<double>(start_ticks) / ticks;
  }
  return figures;
}

}  // namespace slotd::api
