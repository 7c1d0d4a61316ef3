#include "tests/redis/redis_server.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

extern char** environ;

namespace slotd::test {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("FreePort");
    std::abort();
  }
  close(fd);
  return ntohs(address.sin_port);
}

RedisServer::RedisServer(bool persistent) : port_(FreePort()), persistent_(persistent) {
  char pattern[] = "/tmp/slotd-redis-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  dir_ = pattern;
  Start();
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::system(("rm -rf '" + dir_ + "'").c_str());
}

void RedisServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::Start() {
  const std::string port = std::to_string(port_);
  std::vector<std::string> args = {"redis-server",     "--port", port,    "--bind", "127.0.0.1",
                                   "--save",           "",       "--dir", dir_,     "--logfile",
                                   dir_ + "/redis.log"};
  for (const char* arg : {"--appendonly", persistent_ ? "yes" : "no"}) args.push_back(arg);
  if (persistent_) {
    for (const char* arg : {"--appendfsync", "always"}) args.push_back(arg);
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
    std::perror("redis-server (install Debian's redis-server package)");
    std::abort();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    redisContext* context = redisConnect("127.0.0.1", port_);
    if (context != nullptr && context->err == 0) {
      auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
      const bool ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
      if (reply) freeReplyObject(reply);
      redisFree(context);
      if (ok) return;
    } else if (context != nullptr) {
      redisFree(context);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr, "redis-server on port %d did not answer within 10 s\n", port_);
  std::abort();
}

}  // namespace slotd::test
