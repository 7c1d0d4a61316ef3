// The websocket /api/events/in on a real slotd, driven with raw frames: what
// the RFC 6455 handshake answers, what each hostile frame is closed with,
// that nothing hostile reaches the ring, and that a stop closes a session.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kUpgrade =
    "GET /api/events/in HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n";

// One frame as a client sends it: masked (unless told otherwise) with a
// fixed key.
std::string Frame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() < 65536) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<uint64_t>(payload.size()) >> shift) & 0xff));
    }
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) out.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  }
  return out;
}

std::string Event(std::string_view name) {
  return R"({"occurred":"2026-12-01T10:00:00Z","event":)" + JsonString(name) +
         R"(,"resource":{"prefect.resource.id":"r"},"id":"6f7d1f0c-0a4b-4c53-9a0e-5a1c7c0e8b11"})";
}

// A connection upgraded to the events websocket (the 101 read).
RawConnection Open(int port, std::string_view extra_headers = {}) {
  RawConnection conn(port);
  REQUIRE(conn.connected());
  REQUIRE(conn.send_all(std::string(kUpgrade) + std::string(extra_headers) + "\r\n"));
  const std::string head = conn.read_raw(5s, "\r\n\r\n");
  REQUIRE(head.starts_with("HTTP/1.1 101"));
  CHECK(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);  // RFC 6455's example
  return conn;
}

// The status code of the close frame the server sends next (-1: none
// before it closed).
int CloseCode(RawConnection& conn) {
  const std::string bytes = conn.read_raw(10s);
  for (size_t at = 0; at + 2 <= bytes.size();) {
    const auto opcode = static_cast<uint8_t>(bytes[at]) & 0x0f;
    const size_t length =
        static_cast<uint8_t>(bytes[at + 1]) & 0x7f;  // server frames here are short
    if (opcode == 0x8 && length >= 2 && at + 4 <= bytes.size()) {
      return (static_cast<uint8_t>(bytes[at + 2]) << 8) | static_cast<uint8_t>(bytes[at + 3]);
    }
    at += 2 + length;
  }
  return -1;
}

int64_t EventCount(SlotdProcess& server) {
  auto cli = server.client();
  auto res = PostJson(*cli, "/api/events/filter",
                      R"({"filter":{"occurred":{"since":"2026-01-01T00:00:00Z"}}})");
  RequireStatus(res, 200);
  Json doc(res->body);
  return doc.root()["total"].get_int64().value();
}

// The event count once it reaches `expected`, or after 10 s: a frame sent on
// one connection is kept a moment after another connection may ask.
int64_t EventCountReaching(SlotdProcess& server, int64_t expected) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int64_t count = EventCount(server);
  while (count != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    count = EventCount(server);
  }
  return count;
}

TEST_CASE("events sent as text frames are kept, and hostile frames get RFC 6455's close codes",
          "[events]") {
  SlotdProcess server(WithArgs({"--max-body-bytes", "4096"}));
  {
    RawConnection conn = Open(server.port());
    REQUIRE(conn.send_all(Frame(0x9, "ping")));  // ping: answered with the same payload
    const std::string pong = conn.read_raw(5s, "ping");
    CHECK(pong == "\x8a\x04ping");
    // One event in two fragments, with a ping between them.
    const std::string text = Event("e2e.fragmented");
    REQUIRE(conn.send_all(Frame(0x1, text.substr(0, 10), false) + Frame(0x9, "") +
                          Frame(0x0, text.substr(10), true)));
    REQUIRE(conn.send_all(Frame(0x8, "\x03\xe8")));  // close 1000
    CHECK(CloseCode(conn) == 1000);
  }
  CHECK(EventCount(server) == 1);

  struct Case {
    const char* what;
    std::string frames;
    int code;
  };
  const Case cases[] = {
      {"unmasked frame", Frame(0x1, Event("e2e.x"), true, false), 1002},
      {"reserved opcode", Frame(0x3, "x"), 1002},
      {"bad UTF-8", Frame(0x1, "{\"event\":\"\xff\xfe\"}"), 1007},
      {"message over --max-body-bytes", Frame(0x1, std::string(5000, ' ')), 1009},
      {"fragments flooding past the bound",
       [] {
         std::string out = Frame(0x1, std::string(1000, ' '), false);
         for (int i = 0; i < 8; ++i) out += Frame(0x0, std::string(1000, ' '), false);
         return out;
       }(),
       1009},
      {"binary message", Frame(0x2, Event("e2e.binary")), 1003},
      {"invalid JSON", Frame(0x1, "{not json"), 1011},
      {"JSON that is not an event", Frame(0x1, R"({"event":"e2e.partial"})"), 1011},
      {"continuation with nothing to continue", Frame(0x0, "x"), 1002},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    RawConnection conn = Open(server.port());
    REQUIRE(conn.send_all(c.frames));
    CHECK(CloseCode(conn) == c.code);
  }
  CHECK(EventCount(server) == 1);
}

TEST_CASE("the events socket needs the credentials every route needs", "[events]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  RawConnection without(server.port());
  REQUIRE(without.send_all(std::string(kUpgrade) + "\r\n"));
  CHECK(without.read_raw(5s, "\r\n\r\n").starts_with("HTTP/1.1 401"));
  // With credentials but not Prefect's subprotocol: refused as Prefect's uvicorn does.
  RawConnection legacy(server.port());
  REQUIRE(legacy.send_all(std::string(kUpgrade) + "Authorization: Basic YWRtaW46cGFzcw==\r\n\r\n"));
  CHECK(legacy.read_raw(5s, "\r\n\r\n").starts_with("HTTP/1.1 403"));
  // Prefect's protocol: the subprotocol, then the auth message with the token.
  RawConnection conn =
      Open(server.port(),
           "Authorization: Basic YWRtaW46cGFzcw==\r\nSec-WebSocket-Protocol: prefect\r\n");
  REQUIRE(conn.send_all(Frame(0x1, R"({"type":"auth","token":"wrong"})")));
  CHECK(CloseCode(conn) == 1008);
  RawConnection good =
      Open(server.port(),
           "Authorization: Basic YWRtaW46cGFzcw==\r\nSec-WebSocket-Protocol: prefect\r\n");
  REQUIRE(good.send_all(Frame(0x1, R"({"type":"auth","token":"admin:pass"})")));
  CHECK(good.read_raw(5s, "}").ends_with(R"({"type":"auth_success"})"));
}

TEST_CASE("an open events session does not keep the server from stopping", "[events]") {
  SlotdProcess server;
  RawConnection conn = Open(server.port());
  REQUIRE(conn.send_all(Frame(0x1, Event("e2e.before-stop"))));
  CHECK(EventCountReaching(server, 1) == 1);
  const ExitStatus status = server.stop(SIGTERM, 10s);
  CHECK(status.clean());
  CHECK(CloseCode(conn) == 1001);
}

}  // namespace
}  // namespace slotd::e2e
