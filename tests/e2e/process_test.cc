// The slotd process: its listening line, its logs, and how it stops.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using Clock = std::chrono::steady_clock;

TEST_CASE("the server prints exactly one listening line", "[process]") {
  SlotdProcess server;
  INFO("line: " << server.listening_line());
  CHECK(server.listening_line().rfind("slotd listening on http://", 0) == 0);
  CHECK(server.listening_line().find(":" + std::to_string(server.port()) + "/api") !=
        std::string::npos);
  auto cli = server.client();
  RequireStatus(cli->Get("/api/health"), 200);
  ExitStatus status = server.stop(SIGTERM);
  CHECK(status.clean());
  CHECK(server.remaining_stdout().empty());
}

TEST_CASE("two servers on port 0 listen on different ports", "[process]") {
  SlotdProcess first;
  SlotdProcess second;
  CHECK(first.port() != second.port());
  auto cli = second.client();
  RequireStatus(cli->Get("/api/health"), 200);
}

TEST_CASE("SIGTERM stops the server with exit code 0", "[process]") {
  SlotdProcess server;
  ExitStatus status = server.stop(SIGTERM);
  INFO(status.describe() << "\nstderr: " << server.stderr_text());
  CHECK(status.clean());
}

TEST_CASE("SIGINT stops the server with exit code 0", "[process]") {
  SlotdProcess server;
  {
    auto cli = server.client();
    RequireStatus(cli->Get("/api/ready"), 200);
  }
  ExitStatus status = server.stop(SIGINT);
  INFO(status.describe() << "\nstderr: " << server.stderr_text());
  CHECK(status.clean());
}

TEST_CASE("access log lines go to stderr unless --quiet", "[process]") {
  ServerOptions loud;
  loud.quiet = false;
  SlotdProcess logging(loud);
  SlotdProcess quiet;
  RequireStatus(logging.client()->Get("/api/hello"), 200);
  RequireStatus(quiet.client()->Get("/api/hello"), 200);
  CHECK(logging.stop().clean());
  CHECK(quiet.stop().clean());
  INFO("stderr without --quiet:\n" << logging.stderr_text());
  CHECK(logging.stderr_text().find("/api/hello") != std::string::npos);
  INFO("stderr with --quiet:\n" << quiet.stderr_text());
  CHECK(quiet.stderr_text().find("/api/hello") == std::string::npos);
}

TEST_CASE("the server exits 0 on SIGTERM while requests are in flight", "[process][load]") {
  SlotdProcess server;
  {
    auto cli = server.client();
    CreateV2Limit(*cli, "busy", 3);
    CreateTagLimit(*cli, "busy", 3);
  }
  constexpr int kThreads = 8;
  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, transport_errors{0}, odd_statuses{0};
  std::atomic<int64_t> slowest_ms{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client cli("127.0.0.1", server.port());
      cli.set_keep_alive(t % 2 == 0);
      cli.set_connection_timeout(2, 0);
      cli.set_read_timeout(8, 0);
      cli.set_write_timeout(8, 0);
      cli.set_tcp_nodelay(true);
      for (int i = 0; !done.load(); ++i) {
        auto start = Clock::now();
        httplib::Result res = (i % 3 == 0) ? cli.Get("/api/health")
                              : (i % 3 == 1)
                                  ? PostJson(cli, "/api/v2/concurrency_limits/increment-with-lease",
                                             R"({"slots":1,"names":["busy"]})")
                                  : V1Increment(cli, R"(["busy"])", NewUuid());
        int64_t ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        int64_t seen = slowest_ms.load();
        while (ms > seen && !slowest_ms.compare_exchange_weak(seen, ms)) {
        }
        if (res) {
          ++answered;
          if (res->status != 200 && res->status != 423) ++odd_statuses;
        } else {
          ++transport_errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int answered_before_stop = answered.load();
  ExitStatus status = server.stop(SIGTERM, std::chrono::seconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // clients see the closed port
  done = true;
  for (auto& thread : threads) thread.join();

  INFO(status.describe() << "; answered " << answered.load() << " (before SIGTERM "
                         << answered_before_stop << "), transport errors "
                         << transport_errors.load() << ", slowest request " << slowest_ms.load()
                         << " ms\nstderr: " << server.stderr_text());
  CHECK(status.clean());
  CHECK(answered_before_stop > 0);
  CHECK(odd_statuses.load() == 0);
  CHECK(slowest_ms.load() < 5000);
}

TEST_CASE("SIGTERM stops the server promptly with idle and half-sent requests open", "[process]") {
  SlotdProcess server;
  std::vector<RawConnection> open;
  for (int i = 0; i < 20; ++i) {
    RawConnection connection(server.port());
    REQUIRE(connection.connected());
    if (i % 2 == 0) {
      REQUIRE(connection.send_all("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      REQUIRE(connection.read_response(std::chrono::seconds(5)).has_value());
    } else {
      REQUIRE(connection.send_all("POST /api/v2/concurrency_limits/ HTTP/1.1\r\nHost: 1"));
    }
    open.push_back(std::move(connection));
  }
  auto start = Clock::now();
  ExitStatus status = server.stop(SIGTERM, std::chrono::seconds(10));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  INFO(status.describe() << " after " << took.count() << " ms");
  CHECK(status.clean());
  CHECK(took < std::chrono::seconds(3));
}

}  // namespace
}  // namespace slotd::e2e
