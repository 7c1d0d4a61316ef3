// The slotd server the tool starts for itself when no --url is given:
// `slotd --port 0 --quiet`, on a free port of 127.0.0.1, stopped (SIGTERM)
// when this object goes away. The child is also told to die with the tool
// (PR_SET_PDEATHSIG), so an interrupted run leaves no server behind.
#pragma once

#include <sys/types.h>

#include <string>

namespace slotd::contend {

class LocalSlotd {
 public:
  LocalSlotd() = default;
  ~LocalSlotd();
  LocalSlotd(const LocalSlotd&) = delete;
  LocalSlotd& operator=(const LocalSlotd&) = delete;

  // Starts `binary` and waits (up to 10 s) for its line
  // "slotd listening on http://HOST:PORT/api". Returns "" or what went wrong.
  std::string Start(const std::string& binary);
  // The API root, with 127.0.0.1 as the host.
  const std::string& url() const { return url_; }
  // Stops the server; returns "" or how it ended if not cleanly.
  std::string Stop();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
};

// The slotd that sits next to this program's own binary (both land at the
// top of the build tree), or "" when it cannot be found.
std::string SlotdBesideThisProgram();

}  // namespace slotd::contend
