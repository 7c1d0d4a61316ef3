// A slotd server run as a child process for one end-to-end test.
//
// The constructor starts `slotd --port 0 [--quiet] <args>`, waits (bounded)
// for its one stdout line `slotd listening on http(s)://HOST:PORT/api` and keeps
// the port. The destructor stops the server with SIGTERM (SIGKILL after a
// timeout) and records a test failure unless it exited with status 0, so a
// crash or a sanitizer report in the server fails the test that caused it.
// Clients only ever connect to 127.0.0.1.
//
// With SLOTD_E2E_STORE=redis in the environment (the e2e-redis ctest
// label), each server runs on a redis-server of its own (--store
// redis://...), started before it and stopped after it, unless its args
// name a store already (--store, --data-dir).
#ifndef SLOTD_TESTS_E2E_SLOTD_PROCESS_H_
#define SLOTD_TESTS_E2E_SLOTD_PROCESS_H_

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/redis/redis_server.h"

namespace slotd::e2e {

// How a server process ended.
struct ExitStatus {
  bool exited = false;                // it returned from main or called exit()
  int code = -1;                      // its exit code, when `exited`
  int signal = 0;                     // the signal that ended it, when not `exited`
  bool killed_after_timeout = false;  // it ignored the stop signal

  bool clean() const { return exited && code == 0 && !killed_after_timeout; }
  std::string describe() const;
};

struct ServerOptions {
  std::vector<std::string> args;  // after `--port 0` (and `--quiet`)
  // Added to (or replacing in) the test's environment. The auth variable
  // PREFECT_SERVER_API_AUTH_STRING is removed unless given here.
  std::vector<std::pair<std::string, std::string>> env;
  bool quiet = true;
};

// Options with only extra arguments, or only one environment variable.
ServerOptions WithArgs(std::vector<std::string> args);
ServerOptions WithEnv(std::string name, std::string value);

class SlotdProcess {
 public:
  explicit SlotdProcess(ServerOptions options = {});
  ~SlotdProcess();
  SlotdProcess(const SlotdProcess&) = delete;
  SlotdProcess& operator=(const SlotdProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The line the server printed, without its newline.
  const std::string& listening_line() const { return listening_line_; }

  // A client for 127.0.0.1:port() with bounded connect/read/write timeouts.
  std::unique_ptr<httplib::Client> client() const;

  // Sends `sig` and waits up to `timeout` for the process to end, then
  // SIGKILLs it. Idempotent: later calls return the first result.
  ExitStatus stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits up to `timeout` without signalling; SIGKILLs on timeout.
  ExitStatus wait(std::chrono::milliseconds timeout);

  // Everything the server wrote to stderr so far.
  std::string stderr_text() const;
  // Everything written to stdout after the listening line; call after stop().
  std::string remaining_stdout();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int stdout_fd_ = -1;
  std::string stderr_path_;
  std::string listening_line_;
  std::string stdout_rest_;  // bytes read past the first line
  bool stopped_ = false;
  ExitStatus status_;
  // The server's own Redis (SLOTD_E2E_STORE=redis); a member, so it is
  // stopped after the destructor's body has stopped the server.
  std::unique_ptr<slotd::test::RedisServer> redis_;
};

// Whether the servers of this run keep their limits in Redis
// (SLOTD_E2E_STORE=redis).
bool OnRedisStore();

// The path of the slotd binary under test.
const char* SlotdBinary();

}  // namespace slotd::e2e

#endif  // SLOTD_TESTS_E2E_SLOTD_PROCESS_H_
