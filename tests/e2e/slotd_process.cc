#include "slotd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartupTimeout = std::chrono::seconds(10);
constexpr const char* kAuthVariable = "PREFECT_SERVER_API_AUTH_STRING";

std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string_view name = text.substr(0, text.find('='));
    bool replaced = name == kAuthVariable;
    for (const auto& [key, value] : extra) replaced = replaced || name == key;
    if (!replaced) env.emplace_back(text);
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Parses "slotd listening on http://HOST:PORT/api"; returns 0 when malformed.
int ParsePort(const std::string& line) {
  const std::string https_prefix = "slotd listening on https://";  // with --tls-cert
  const std::string prefix =
      line.rfind(https_prefix, 0) == 0 ? https_prefix : "slotd listening on http://";
  const std::string suffix = "/api";
  if (line.rfind(prefix, 0) != 0 || line.size() <= prefix.size() + suffix.size() ||
      line.compare(line.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return 0;
  }
  std::string authority = line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
  auto colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0) return 0;
  std::string digits = authority.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  int port = std::stoi(digits);
  return port > 0 && port < 65536 ? port : 0;
}

}  // namespace

const char* SlotdBinary() { return SLOTD_BINARY; }

bool OnRedisStore() {
  const char* store = std::getenv("SLOTD_E2E_STORE");
  return store != nullptr && std::string_view(store) == "redis";
}

ServerOptions WithArgs(std::vector<std::string> args) {
  ServerOptions options;
  options.args = std::move(args);
  return options;
}

ServerOptions WithEnv(std::string name, std::string value) {
  ServerOptions options;
  options.env.emplace_back(std::move(name), std::move(value));
  return options;
}

std::string ExitStatus::describe() const {
  std::ostringstream out;
  if (exited) {
    out << "exited with code " << code;
  } else {
    out << "killed by signal " << signal << " (" << strsignal(signal) << ")";
  }
  if (killed_after_timeout) out << " after ignoring the stop signal";
  return out.str();
}

SlotdProcess::SlotdProcess(ServerOptions options) {
  char stderr_template[] = "/tmp/slotd-e2e-stderr-XXXXXX";
  int stderr_fd = mkstemp(stderr_template);
  if (stderr_fd < 0) throw std::runtime_error("mkstemp failed");
  close(stderr_fd);
  stderr_path_ = stderr_template;

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");

  std::vector<std::string> argv_strings = {SlotdBinary(), "--port", "0"};
  if (options.quiet) argv_strings.push_back("--quiet");
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  const bool names_store = std::any_of(options.args.begin(), options.args.end(), [](auto& arg) {
    return arg.starts_with("--store") || arg.starts_with("--data-dir");
  });
  if (OnRedisStore() && !names_store) {
    redis_ = std::make_unique<slotd::test::RedisServer>();
    argv_strings.push_back("--store");
    argv_strings.push_back(redis_->url());
  }
  std::vector<std::string> env_strings = ChildEnvironment(options.env);
  auto argv = CStrings(argv_strings);
  auto envp = CStrings(env_strings);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(), O_WRONLY | O_APPEND, 0);
  // The test runner ignores SIGPIPE; the server starts with defaults.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults, mask;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&mask);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &mask);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  int rc = posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  stdout_fd_ = out_pipe[0];
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error(std::string("cannot start ") + SlotdBinary() + ": " + strerror(rc));
  }

  // Read the first stdout line, bounded in time.
  std::string buffer;
  auto deadline = Clock::now() + kStartupTimeout;
  while (buffer.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[512];
    ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
  }
  auto newline = buffer.find('\n');
  if (newline != std::string::npos) {
    listening_line_ = buffer.substr(0, newline);
    stdout_rest_ = buffer.substr(newline + 1);
    port_ = ParsePort(listening_line_);
  }
  if (port_ == 0) {
    ExitStatus status = stop(SIGKILL, std::chrono::seconds(5));
    std::string message = "slotd did not announce its port; stdout: '" + buffer + "'; " +
                          status.describe() + "; stderr: " + stderr_text();
    throw std::runtime_error(message);
  }
}

SlotdProcess::~SlotdProcess() {
  if (pid_ > 0 && !stopped_) {
    ExitStatus status = stop();
    if (!status.clean()) {
      FAIL_CHECK("slotd " << status.describe() << " on SIGTERM; stderr:\n" << stderr_text());
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

std::unique_ptr<httplib::Client> SlotdProcess::client() const {
  auto cli = std::make_unique<httplib::Client>("127.0.0.1", port_);
  cli->set_connection_timeout(5, 0);
  cli->set_read_timeout(10, 0);
  cli->set_write_timeout(10, 0);
  // httplib writes headers and body separately; without TCP_NODELAY a
  // keep-alive request waits out the peer's delayed ACK (~40 ms).
  cli->set_tcp_nodelay(true);
  return cli;
}

ExitStatus SlotdProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (stopped_ || pid_ <= 0) return status_;
  kill(pid_, sig);
  return wait(timeout);
}

ExitStatus SlotdProcess::wait(std::chrono::milliseconds timeout) {
  if (stopped_ || pid_ <= 0) return status_;
  auto deadline = Clock::now() + timeout;
  int raw = 0;
  pid_t done = 0;
  while ((done = waitpid(pid_, &raw, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (done == 0) {
    status_.killed_after_timeout = true;
    kill(pid_, SIGKILL);
    done = waitpid(pid_, &raw, 0);
  }
  stopped_ = true;
  if (done == pid_) {
    status_.exited = WIFEXITED(raw);
    status_.code = status_.exited ? WEXITSTATUS(raw) : -1;
    status_.signal = WIFSIGNALED(raw) ? WTERMSIG(raw) : 0;
  }
  return status_;
}

std::string SlotdProcess::stderr_text() const { return ReadFile(stderr_path_); }

std::string SlotdProcess::remaining_stdout() {
  std::string out = stdout_rest_;
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (stdout_fd_ >= 0 && Clock::now() < deadline) {
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) {
      if (stopped_) break;
      continue;
    }
    char chunk[512];
    ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) break;
    out.append(chunk, static_cast<size_t>(n));
  }
  stdout_rest_.clear();
  return out;
}

}  // namespace slotd::e2e
