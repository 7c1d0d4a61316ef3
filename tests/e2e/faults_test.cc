// Clients that vanish: mid-request, mid-answer, with a reset. The server
// keeps serving, and no slot is taken by a request that never completed.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

// Opens a connection, sends `bytes`, and closes it: with `reset`, abortively
// (SO_LINGER 0), so the server sees ECONNRESET instead of an orderly close.
void SendAndVanish(int port, std::string_view bytes, bool reset) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  if (reset) {
    linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  close(fd);
}

std::string Request(std::string_view method, std::string_view path, std::string_view body) {
  return std::string(method) + " " + std::string(path) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

constexpr std::string_view kAcquire = R"({"names":["vanish"],"slots":1,"mode":"concurrency"})";

TEST_CASE("a client that vanishes mid-request takes no slot and the server keeps serving",
          "[faults]") {
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "vanish", 5);
  const std::string full = Request("POST", "/api/v2/concurrency_limits/increment", kAcquire);
  for (bool reset : {false, true}) {
    for (size_t cut : {size_t{10}, full.find("\r\n\r\n"), full.size() - 5}) {
      INFO("cut at byte " << cut << (reset ? " with a reset" : ""));
      SendAndVanish(server.port(), std::string_view(full).substr(0, cut), reset);
      RequireStatus(cli->Get("/api/health"), 200);
    }
  }
  // A request cut short is never served; let any the server still reads end.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(ActiveSlots(*cli, "vanish") == 0);
}

TEST_CASE("a client that vanishes before reading its answer still holds what it asked for",
          "[faults]") {
  // The request arrived whole, so it was served; the slot is the client's
  // to release (or, with a lease, the sweeper's at expiry).
  SlotdProcess server;
  auto cli = server.client();
  CreateV2Limit(*cli, "vanish", 5);
  SendAndVanish(server.port(), Request("POST", "/api/v2/concurrency_limits/increment", kAcquire),
                true);
  int64_t active = 0;
  for (int attempt = 0; attempt < 100 && active == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    active = ActiveSlots(*cli, "vanish");
  }
  CHECK(active == 1);
  RequireStatus(PostJson(*cli, "/api/v2/concurrency_limits/decrement", std::string(kAcquire)), 200);
  CHECK(ActiveSlots(*cli, "vanish") == 0);
}

TEST_CASE("clients resetting mid-answer of a large list leave the server serving", "[faults]") {
  SlotdProcess server;
  auto cli = server.client();
  for (int i = 0; i < 200; ++i) CreateV2Limit(*cli, "many-" + std::to_string(i), 1);
  const std::string list = Request("POST", "/api/v2/concurrency_limits/filter", R"({"limit":200})");
  for (int i = 0; i < 50; ++i) SendAndVanish(server.port(), list, true);
  for (int i = 0; i < 20; ++i) RequireStatus(cli->Get("/api/health"), 200);
  auto listed = PostJson(*cli, "/api/v2/concurrency_limits/filter", R"({"limit":200})");
  RequireStatus(listed, 200);
  CHECK(Names(listed->body).size() == 200);
}

}  // namespace
}  // namespace slotd::e2e
