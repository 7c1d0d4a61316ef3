// Holds many keep-alive connections open on a server, for
// bench/http/connections.sh: opens --connections TCP connections to
// HOST:PORT, sends one request on each (GET --path, HTTP/1.1, keep-alive)
// and reads its whole answer, then keeps them all open, idle, for
// --hold-seconds while the caller looks at the server's memory and threads.
//
//   slotd_hold_connections --port P [--host 127.0.0.1] [--connections 10000]
//       [--path /api/health] [--hold-seconds 2] [--parallel 128]
//       [--timeout-seconds 60]
//
// One thread and one epoll set; at most --parallel connections are between
// connect() and their answer at a time, so that the server's listen backlog
// is not flooded (a dropped SYN costs a second's retransmit). Prints, each on
// one line to stdout:
//   held N of M connections in T s (answered A, closed by the server B, failed F)
//   after S s: K still open
// N counts connections answered 200 and still open when the last answer came;
// the second line is written once --hold-seconds have passed (K: how many the
// server has not closed since). A failure (refused, reset, an answer other
// than 200, no answer within --timeout-seconds) is counted, and the first one
// is described on stderr. Exits 0 if every connection was held, else 1.
//
// It raises its own open-file limit to the hard limit. Connections are closed
// with SO_LINGER 0 (a reset): 10,000 ordinary closes would leave as many
// local ports in TIME_WAIT for a minute, and a second run against another
// server would run out of them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace slotd::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 10000;
  std::string path = "/api/health";
  double hold_seconds = 2;
  int parallel = 128;
  double timeout_seconds = 60;
};

enum class State { kConnecting, kAwaitingAnswer, kHeld, kDone };

struct Connection {
  int fd = -1;
  State state = State::kConnecting;
  std::string received;
  size_t sent = 0;
};

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "hold_connections: %s\n"
               "usage: slotd_hold_connections --port P [--host H] [--connections N] [--path P]\n"
               "       [--hold-seconds S] [--parallel N] [--timeout-seconds S]\n",
               message);
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) Usage("every flag takes a value");
    const char* value = argv[++i];
    if (flag == "--host") {
      o.host = value;
    } else if (flag == "--port") {
      o.port = std::atoi(value);
    } else if (flag == "--connections") {
      o.connections = std::atoi(value);
    } else if (flag == "--path") {
      o.path = value;
    } else if (flag == "--hold-seconds") {
      o.hold_seconds = std::atof(value);
    } else if (flag == "--parallel") {
      o.parallel = std::atoi(value);
    } else if (flag == "--timeout-seconds") {
      o.timeout_seconds = std::atof(value);
    } else {
      Usage("unknown flag");
    }
  }
  if (o.port <= 0 || o.port > 65535) Usage("--port is required (1..65535)");
  if (o.connections <= 0 || o.parallel <= 0) Usage("--connections and --parallel must be > 0");
  return o;
}

// Raises the soft open-file limit to the hard one; fails if that still
// cannot hold `needed` descriptors.
bool RaiseOpenFileLimit(int needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < static_cast<rlim_t>(needed)) {
    std::fprintf(stderr, "hold_connections: the open-file limit (%llu) is below %d\n",
                 static_cast<unsigned long long>(limit.rlim_cur), needed);
    return false;
  }
  return true;
}

// Whether `received` holds a whole answer; sets *status. Answers must carry a
// Content-Length (the servers measured here always send one).
bool AnswerComplete(const std::string& received, int* status, bool* malformed) {
  size_t head_end = received.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  *status = 0;
  if (std::sscanf(received.c_str(), "HTTP/1.%*d %d", status) != 1) {
    *malformed = true;
    return true;
  }
  size_t length = 0;
  bool has_length = false;
  size_t line = received.find("\r\n") + 2;
  while (line < head_end) {
    size_t next = received.find("\r\n", line);
    std::string_view field(received.data() + line, next - line);
    constexpr std::string_view kName = "content-length:";
    if (field.size() > kName.size() && strncasecmp(field.data(), kName.data(), kName.size()) == 0) {
      length = std::strtoull(std::string(field.substr(kName.size())).c_str(), nullptr, 10);
      has_length = true;
    }
    line = next + 2;
  }
  if (!has_length) {
    *malformed = true;
    return true;
  }
  return received.size() >= head_end + 4 + length;
}

class Holder {
 public:
  explicit Holder(const Options& options) : o_(options), connections_(options.connections) {
    request_ = "GET " + o_.path + " HTTP/1.1\r\nHost: " + o_.host + ":" + std::to_string(o_.port) +
               "\r\nAccept: */*\r\n\r\n";
    address_.sin_family = AF_INET;
    address_.sin_port = htons(static_cast<uint16_t>(o_.port));
    if (inet_pton(AF_INET, o_.host.c_str(), &address_.sin_addr) != 1) Usage("--host: IPv4 only");
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
  }

  ~Holder() {
    for (Connection& c : connections_) {
      if (c.fd >= 0) close(c.fd);
    }
    if (epoll_ >= 0) close(epoll_);
  }

  // Opens and answers every connection; returns how many are held.
  int OpenAll() {
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(o_.timeout_seconds));
    std::vector<epoll_event> events(1024);
    while (answered_ + failed_ + closed_by_server_before_answer_ < o_.connections) {
      while (next_ < o_.connections && in_flight_ < o_.parallel) Start(next_++);
      if (Clock::now() > deadline) {
        Fail(nullptr, "no answer within --timeout-seconds");
        break;
      }
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < n; ++i) Handle(events[i]);
    }
    // Connections still waiting past the deadline count as failed.
    for (Connection& c : connections_) {
      if (c.state == State::kConnecting || c.state == State::kAwaitingAnswer) {
        ++failed_;
        Finish(&c);
      }
    }
    seconds_to_open_ = std::chrono::duration<double>(Clock::now() - start).count();
    return held_;
  }

  // Watches the held connections for `seconds`, counting those the server
  // closes; returns how many are still open.
  int Hold(double seconds) {
    const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::duration<double>(seconds));
    std::vector<epoll_event> events(1024);
    for (Clock::time_point now = Clock::now(); now < until; now = Clock::now()) {
      int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1);
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), ms);
      for (int i = 0; i < n; ++i) Handle(events[i]);
    }
    return held_;
  }

  void Report() const {
    std::printf(
        "held %d of %d connections in %.2f s (answered %d, closed by the server %d, failed %d)\n",
        held_, o_.connections, seconds_to_open_, answered_,
        closed_by_server_ + closed_by_server_before_answer_, failed_);
    std::fflush(stdout);
  }

  // What went wrong first, or empty.
  const std::string& first_failure() const { return first_failure_; }

 private:
  void Start(int index) {
    Connection& c = connections_[index];
    ++in_flight_;
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      Fail(&c, std::strerror(errno));
      return;
    }
    linger reset{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&address_), sizeof address_) != 0 &&
        errno != EINPROGRESS) {
      Fail(&c, std::strerror(errno));
      return;
    }
    epoll_event event{};
    event.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    event.data.u32 = static_cast<uint32_t>(index);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event);
  }

  void Handle(const epoll_event& event) {
    Connection& c = connections_[event.data.u32];
    if (c.state == State::kDone) return;
    if (c.state == State::kConnecting && (event.events & (EPOLLOUT | EPOLLERR))) {
      int error = 0;
      socklen_t size = sizeof error;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) {
        Fail(&c, std::strerror(error));
        return;
      }
      c.state = State::kAwaitingAnswer;
    }
    if (c.state == State::kAwaitingAnswer && c.sent < request_.size()) {
      ssize_t n = send(c.fd, request_.data() + c.sent, request_.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) {
        Fail(&c, std::strerror(errno));
        return;
      }
      if (n > 0) c.sent += static_cast<size_t>(n);
      if (c.sent == request_.size()) Watch(c, event.data.u32, EPOLLIN | EPOLLRDHUP);
    }
    if (event.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) Read(&c);
  }

  void Read(Connection* c) {
    char buffer[4096];
    for (;;) {
      ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        if (c->state == State::kHeld) {
          Fail(c, "bytes after the answer");
          return;
        }
        c->received.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      // Closed (n == 0) or reset.
      if (c->state == State::kHeld) {
        ++closed_by_server_;
        --held_;
      } else {
        ++closed_by_server_before_answer_;
        if (first_failure_.empty()) first_failure_ = "closed by the server before its answer";
        --in_flight_;
      }
      Finish(c);
      return;
    }
    if (c->state != State::kAwaitingAnswer) return;
    int status = 0;
    bool malformed = false;
    if (!AnswerComplete(c->received, &status, &malformed)) return;
    if (malformed || status != 200) {
      Fail(c, malformed ? "an answer without a status or a Content-Length"
                        : ("answered " + std::to_string(status)).c_str());
      return;
    }
    c->state = State::kHeld;
    c->received = std::string();
    ++answered_;
    ++held_;
    --in_flight_;
  }

  void Watch(const Connection& c, uint32_t index, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u32 = index;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
  }

  void Fail(Connection* c, const char* why) {
    if (first_failure_.empty()) first_failure_ = why;
    if (c == nullptr) return;
    if (c->state == State::kHeld) --held_;
    if (c->state == State::kConnecting || c->state == State::kAwaitingAnswer) --in_flight_;
    ++failed_;
    Finish(c);
  }

  void Finish(Connection* c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = State::kDone;
  }

  const Options o_;
  std::vector<Connection> connections_;
  std::string request_;
  sockaddr_in address_{};
  int epoll_ = -1;
  int next_ = 0;
  int in_flight_ = 0;
  int answered_ = 0;
  int held_ = 0;
  int failed_ = 0;
  int closed_by_server_ = 0;
  int closed_by_server_before_answer_ = 0;
  double seconds_to_open_ = 0;
  std::string first_failure_;
};

}  // namespace
}  // namespace slotd::bench

int main(int argc, char** argv) {
  using slotd::bench::Holder;
  const slotd::bench::Options options = slotd::bench::ParseOptions(argc, argv);
  if (!slotd::bench::RaiseOpenFileLimit(options.connections + 16)) return 2;
  Holder holder(options);
  int held = holder.OpenAll();
  holder.Report();
  if (!holder.first_failure().empty()) {
    std::fprintf(stderr, "hold_connections: first failure: %s\n", holder.first_failure().c_str());
  }
  int still_open = holder.Hold(options.hold_seconds);
  std::printf("after %g s: %d still open\n", options.hold_seconds, still_open);
  return held == options.connections ? 0 : 1;
}
