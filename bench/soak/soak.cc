// slotd_soak: mixed v1, v2 and lease traffic against one slotd on
// 127.0.0.1 from many connections for a while, checking the invariants as it
// goes (no limit ever reads above its limit, no client-side count of holders
// exceeds it) and that every counter is back to zero at the end.
//
//   slotd_soak PORT SECONDS [CONNECTIONS]
//
// Prints one summary line; exits 1 if an invariant broke. bench/soak/run.sh
// starts slotd, runs this and watches the server's resident memory.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kLimits = 4;  // v2 limits soak-0..3 and tag limits soak-tag-0..3
constexpr int kLimit = 5;   // slots on each
constexpr char kJson[] = "application/json";

struct Totals {
  std::atomic<long> requests{0}, acquired{0}, locked{0}, errors{0}, violations{0};
  std::atomic<int> held[kLimits] = {};  // v2 slots the clients believe they hold
};

// The integer after "key": in a JSON body, or -1.
long NumberAfter(const std::string& body, const std::string& key) {
  const size_t at = body.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtol(body.c_str() + at + key.size() + 3, nullptr, 10);
}

std::string StringAfter(const std::string& body, const std::string& key) {
  size_t at = body.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  at = body.find('"', at + key.size() + 3);
  return body.substr(at + 1, body.find('"', at + 1) - at - 1);
}

std::string RandomUuid(std::mt19937_64& rng) {
  char text[37];
  const uint64_t a = rng(), b = rng();
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-8%03x-%012llx", unsigned(a >> 32),
                unsigned(a >> 16) & 0xffff, unsigned(a) & 0xfff, unsigned(b >> 48) & 0xfff,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

class Worker {
 public:
  Worker(int port, int seed, Totals& totals) : cli_("127.0.0.1", port), rng_(seed), t_(totals) {
    cli_.set_keep_alive(true);
    cli_.set_tcp_nodelay(true);
    cli_.set_read_timeout(10, 0);
  }

  void Step() {
    const int k = static_cast<int>(rng_() % kLimits);
    const std::string v2 = "soak-" + std::to_string(k);
    switch (rng_() % 4) {
      case 0: {  // v2 slot, held, given back
        const std::string body = R"({"names":[")" + v2 + R"("],"slots":1,"mode":"concurrency"})";
        if (Post("/api/v2/concurrency_limits/increment", body) != 200) break;
        if (t_.held[k].fetch_add(1) + 1 > kLimit) ++t_.violations;
        t_.held[k].fetch_sub(1);
        Post("/api/v2/concurrency_limits/decrement", body);
        break;
      }
      case 1: {  // lease, renewed, released
        std::string answer;
        const std::string body = R"({"names":[")" + v2 + R"("],"slots":1,"lease_duration":60})";
        if (Post("/api/v2/concurrency_limits/increment-with-lease", body, &answer) != 200) break;
        const std::string lease = StringAfter(answer, "lease_id");
        Post("/api/v2/concurrency_limits/leases/" + lease + "/renew", R"({"lease_duration":60})");
        Post("/api/v2/concurrency_limits/decrement-with-lease", R"({"lease_id":")" + lease + "\"}");
        break;
      }
      case 2: {  // v1 tag slot for a task run
        const std::string body = R"({"names":["soak-tag-)" + std::to_string(k) +
                                 R"("],"task_run_id":")" + RandomUuid(rng_) + "\"}";
        if (Post("/api/concurrency_limits/increment", body) == 200) {
          Post("/api/concurrency_limits/decrement", body);
        }
        break;
      }
      default: {  // read: never above the limit
        auto res = cli_.Get("/api/v2/concurrency_limits/" + v2);
        Count(res ? res->status : 0);
        if (res && res->status == 200 && NumberAfter(res->body, "active_slots") > kLimit) {
          ++t_.violations;
        }
      }
    }
  }

  int Post(const std::string& path, const std::string& body, std::string* answer = nullptr) {
    auto res = cli_.Post(path, body, kJson);
    Count(res ? res->status : 0);
    if (res && answer) *answer = res->body;
    return res ? res->status : 0;
  }

 private:
  void Count(int status) {
    ++t_.requests;
    if (status == 423)
      ++t_.locked;
    else if (status == 0 || status >= 500)
      ++t_.errors;
    else
      ++t_.acquired;
  }

  httplib::Client cli_;
  std::mt19937_64 rng_;
  Totals& t_;
};

// Every limit back to no holder; counts the ones that are not.
long LeftOver(int port) {
  httplib::Client cli("127.0.0.1", port);
  long left = 0;
  for (int k = 0; k < kLimits; ++k) {
    auto v2 = cli.Get("/api/v2/concurrency_limits/soak-" + std::to_string(k));
    auto v1 = cli.Get("/api/concurrency_limits/tag/soak-tag-" + std::to_string(k));
    if (!v2 || NumberAfter(v2->body, "active_slots") != 0) ++left;
    if (!v1 || v1->body.find("\"active_slots\":[]") == std::string::npos) ++left;
  }
  return left;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT SECONDS [CONNECTIONS]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const double seconds = std::atof(argv[2]);
  const int connections = argc > 3 ? std::atoi(argv[3]) : 32;
  {
    httplib::Client setup("127.0.0.1", port);
    for (int k = 0; k < kLimits; ++k) {
      const std::string n = std::to_string(k), l = std::to_string(kLimit);
      setup.Post("/api/v2/concurrency_limits/", R"({"name":"soak-)" + n + R"(","limit":)" + l + "}",
                 kJson);
      setup.Post("/api/concurrency_limits/",
                 R"({"tag":"soak-tag-)" + n + R"(","concurrency_limit":)" + l + "}", kJson);
    }
  }
  Totals totals;
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      Worker worker(port, i + 1, totals);
      while (Clock::now() < until) worker.Step();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  const long left = LeftOver(port);
  std::printf(
      "requests %ld (%.0f/s) over %d connections in %.1f s: %ld ok, %ld locked (423), "
      "%ld errors; invariant violations %ld; limits not back to zero %ld\n",
      totals.requests.load(), totals.requests.load() / took, connections, took,
      totals.acquired.load(), totals.locked.load(), totals.errors.load(), totals.violations.load(),
      left);
  return totals.violations.load() == 0 && left == 0 && totals.errors.load() == 0 ? 0 : 1;
}
