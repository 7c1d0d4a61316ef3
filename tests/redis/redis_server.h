// A redis-server (Debian's package) run as a child process for a test, on a
// free port of 127.0.0.1, with no persistence and its files in a fresh
// temporary dir. Kill() and Start() let a test take it down and bring it
// back on the same port.
#pragma once

#include <sys/types.h>

#include <string>

namespace slotd::test {

class RedisServer {
 public:
  // Starts it; aborts the test run if it cannot. Persistent: an append-only
  // file fsynced on every write, so a Kill() and Start() keep every change
  // Redis answered.
  explicit RedisServer(bool persistent = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // SIGKILLs it (no shutdown, nothing saved) and waits for it to end.
  void Kill();
  // Starts it again on the same port and waits until it answers PING.
  void Start();
  bool running() const { return pid_ > 0; }

 private:
  int port_ = 0;
  bool persistent_ = false;
  pid_t pid_ = -1;
  std::string dir_;
};

// A port of 127.0.0.1 that nothing listened on a moment ago.
int FreePort();

}  // namespace slotd::test
