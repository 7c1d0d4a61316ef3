#include "slotd_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <thread>

namespace slotd::contend {
namespace {

constexpr int kStartupTimeoutMs = 10000;
constexpr auto kStopTimeout = std::chrono::seconds(5);

// Reads the child's first stdout line, bounded by kStartupTimeoutMs.
std::string ReadFirstLine(int fd) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStartupTimeoutMs);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[256];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(chunk, static_cast<size_t>(n));
  }
  return line.substr(0, line.find('\n'));
}

// "slotd listening on http://HOST:PORT/api" -> "http://127.0.0.1:PORT/api".
std::string UrlFromLine(const std::string& line) {
  const std::string prefix = "slotd listening on http://";
  if (line.rfind(prefix, 0) != 0) return "";
  std::string rest = line.substr(prefix.size());
  auto slash = rest.find('/');
  auto colon = rest.rfind(':', slash);
  if (slash == std::string::npos || colon == std::string::npos) return "";
  return "http://127.0.0.1" + rest.substr(colon);
}

}  // namespace

std::string LocalSlotd::Start(const std::string& binary) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return std::string("pipe: ") + strerror(errno);
  pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) return std::string("fork: ") + strerror(errno);
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the tool died before prctl
    dup2(out[1], STDOUT_FILENO);
    execl(binary.c_str(), binary.c_str(), "--port", "0", "--quiet", (char*)nullptr);
    _exit(127);
  }
  close(out[1]);
  // The read end stays open while slotd runs: closing it would turn any
  // later line slotd prints into a SIGPIPE.
  stdout_fd_ = out[0];
  std::string line = ReadFirstLine(stdout_fd_);
  url_ = UrlFromLine(line);
  if (url_.empty()) {
    std::string how = Stop();
    return "slotd (" + binary + ") did not announce its address; it printed \"" + line + "\"" +
           (how.empty() ? "" : "; " + how);
  }
  return "";
}

std::string LocalSlotd::Stop() {
  if (pid_ <= 0) return "";
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string how;
  if (done == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    how = "slotd ignored SIGTERM and was killed";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    how = "slotd could not be started";
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    how = "slotd ended with status " + std::to_string(status);
  }
  pid_ = -1;
  close(stdout_fd_);
  stdout_fd_ = -1;
  return how;
}

LocalSlotd::~LocalSlotd() { Stop(); }

std::string SlotdBesideThisProgram() {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  std::string path(self, static_cast<size_t>(n));
  std::string candidate = path.substr(0, path.rfind('/') + 1) + "slotd";
  return access(candidate.c_str(), X_OK) == 0 ? candidate : "";
}

}  // namespace slotd::contend
