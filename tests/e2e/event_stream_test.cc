// GET /api/slotd/events on a real slotd: the stream's order, resuming with
// Last-Event-ID, resets, a bad Last-Event-ID, authentication, the connection
// cap, a slow client dropped while the others and the engine go on, the
// keepalive, and a stop with streams open.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "raw_http.h"
#include "slotd_process.h"

namespace slotd::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kIncrement = "/api/v2/concurrency_limits/increment";
constexpr const char* kDecrement = "/api/v2/concurrency_limits/decrement";
const auto kWait = kSanitized ? 20s : 5s;

struct Event {
  uint64_t id = 0;
  std::string type;
  std::string data;
};

// One stream, read event by event.
class Stream {
 public:
  explicit Stream(int port, std::optional<std::string> last_event_id = std::nullopt,
                  std::string authorization = "", int receive_buffer = 0)
      : connection_(port, receive_buffer) {
    REQUIRE(connection_.connected());
    std::string request = "GET /api/slotd/events HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (last_event_id) request += "Last-Event-ID: " + *last_event_id + "\r\n";
    if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
    request += "\r\n";
    REQUIRE(connection_.send_all(request));
  }

  // The answer's head (status line and headers).
  std::string Head() { return connection_.read_raw(kWait, "\r\n\r\n"); }

  // The next event (comments skipped), or one with type "" if none came.
  Event Next(std::chrono::milliseconds timeout = kWait) {
    for (;;) {
      const std::string block = connection_.read_raw(timeout, "\n\n");
      if (!block.ends_with("\n\n")) return {};
      if (block.starts_with(":")) {
        comments.push_back(block);
        continue;
      }
      Event event;
      size_t at = 0;
      while (at < block.size()) {
        const size_t end = block.find('\n', at);
        const std::string line = block.substr(at, end - at);
        at = end + 1;
        if (line.starts_with("id: ")) event.id = std::stoull(line.substr(4));
        if (line.starts_with("event: ")) event.type = line.substr(7);
        if (line.starts_with("data: ")) event.data = line.substr(6);
      }
      return event;
    }
  }

  RawConnection& connection() { return connection_; }
  std::vector<std::string> comments;

 private:
  RawConnection connection_;
};

void CheckStreamHead(Stream& stream) {
  const std::string head = stream.Head();
  INFO(head);
  CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(head.find("content-type: text/event-stream\r\n") != std::string::npos);
  CHECK(head.find("cache-control: no-cache\r\n") != std::string::npos);
}

void Create(httplib::Client& cli, const std::string& name, int limit) {
  RequireStatus(PostJson(cli, "/api/v2/concurrency_limits/",
                         R"({"name":")" + name + R"(","limit":)" + std::to_string(limit) + "}"),
                201);
}

int64_t ActiveSlotsIn(const Event& event) {
  Json json(event.data);
  REQUIRE(json.valid());
  simdjson::dom::array limits = json.root()["limits"].get_array().value();
  REQUIRE(limits.size() >= 1);
  return (*limits.begin())["active_slots"].get_int64().value();
}

}  // namespace

TEST_CASE("the event stream sends every change in order with increasing ids", "[event_stream]") {
  SlotdProcess server;
  auto cli = server.client();
  Stream stream(server.port());
  CheckStreamHead(stream);
  Create(*cli, "a", 2);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["a"],"slots":1})"), 200);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["a"],"slots":2})"), 423);
  RequireStatus(PostJson(*cli, kDecrement, R"({"names":["a"],"slots":1})"), 200);
  RequireStatus(cli->Delete("/api/v2/concurrency_limits/a"), 204);

  const std::vector<std::string> types = {"limit.created", "slots.acquired", "slots.refused",
                                          "slots.released", "limit.deleted"};
  std::vector<Event> events;
  for (size_t i = 0; i < types.size(); ++i) events.push_back(stream.Next());
  for (size_t i = 0; i < types.size(); ++i) {
    INFO(i);
    CHECK(events[i].type == types[i]);
    if (i > 0) CHECK(events[i].id == events[i - 1].id + 1);
  }
  CHECK(ActiveSlotsIn(events[1]) == 1);
  CHECK(ActiveSlotsIn(events[3]) == 0);
  // The after-image is the v2 read of the limit, field for field.
  Json created(events[0].data);
  REQUIRE(created.valid());
  CHECK(Keys(created.root()) == std::vector<std::string>{"at", "limits", "deleted"});
  CHECK(Keys(*created.root()["limits"].get_array().value().begin()) == kConcurrencyLimitV2Keys);
  CHECK(IsTimestamp(created.root()["at"].get_string().value()));
  Json deleted(events[4].data);
  REQUIRE(deleted.valid());
  CHECK(deleted.root()["limits"].get_array().value().size() == 0);
  CHECK(deleted.root()["deleted"].get_array().value().size() == 1);
}

TEST_CASE("a client reconnecting with Last-Event-ID gets the events it missed", "[event_stream]") {
  SlotdProcess server;
  auto cli = server.client();
  uint64_t seen = 0;
  {
    Stream first(server.port());
    CheckStreamHead(first);
    Create(*cli, "r", 10);
    seen = first.Next().id;
    REQUIRE(seen > 0);
  }
  // Missed while away: two acquisitions.
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["r"],"slots":1})"), 200);
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["r"],"slots":1})"), 200);
  Stream again(server.port(), std::to_string(seen));
  CheckStreamHead(again);
  const Event one = again.Next();
  const Event two = again.Next();
  CHECK(one.id == seen + 1);
  CHECK(one.type == "slots.acquired");
  CHECK(ActiveSlotsIn(one) == 1);
  CHECK(two.id == seen + 2);
  CHECK(ActiveSlotsIn(two) == 2);
  // Then live.
  RequireStatus(PostJson(*cli, kDecrement, R"({"names":["r"],"slots":1})"), 200);
  const Event live = again.Next();
  CHECK(live.id == seen + 3);
  CHECK(live.type == "slots.released");
}

TEST_CASE("a Last-Event-ID the ring no longer covers gets a reset first", "[event_stream]") {
  SlotdProcess server(WithArgs({"--event-stream-ring", "2"}));
  auto cli = server.client();
  Stream first(server.port());
  CheckStreamHead(first);
  Create(*cli, "s", 100);
  const uint64_t created = first.Next().id;
  // Read one by one: a reader the ring overtakes is dropped.
  uint64_t newest = 0;
  for (int i = 0; i < 4; ++i) {
    RequireStatus(PostJson(*cli, kIncrement, R"({"names":["s"],"slots":1})"), 200);
    newest = first.Next().id;
  }
  REQUIRE(newest == created + 4);

  Stream old(server.port(), std::to_string(created));
  CheckStreamHead(old);
  const Event reset = old.Next();
  CHECK(reset.type == "reset");
  CHECK(reset.id == newest);
  Json reason(reset.data);
  REQUIRE(reason.valid());
  CHECK(Keys(reason.root()) == std::vector<std::string>{"reason"});
  // After the reset, live events follow.
  RequireStatus(PostJson(*cli, kIncrement, R"({"names":["s"],"slots":1})"), 200);
  CHECK(old.Next().id == newest + 1);

  Stream future(server.port(), "123456789");
  CheckStreamHead(future);
  CHECK(future.Next().type == "reset");
}

TEST_CASE("a Last-Event-ID that is not a decimal uint64 answers 400", "[event_stream]") {
  SlotdProcess server;
  for (const char* bad : {"abc", "-1", "1.5", "18446744073709551616", "0x1f"}) {
    INFO(bad);
    const auto res = RawRequest(server.port(), "GET", "/api/slotd/events",
                                {std::string("Last-Event-ID: ") + bad});
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(res->header("Content-Type") == "application/json");
    Json body(res->body);
    REQUIRE(body.valid());
    CHECK(Keys(body.root()) == std::vector<std::string>{"detail"});
  }
  // Other methods are not the stream.
  const auto post = RawRequest(server.port(), "POST", "/api/slotd/events");
  REQUIRE(post);
  CHECK(post->status == 405);
}

TEST_CASE("with an auth string the event stream needs credentials", "[event_stream]") {
  SlotdProcess server(WithEnv("PREFECT_SERVER_API_AUTH_STRING", "admin:pass"));
  const auto res = RawRequest(server.port(), "GET", "/api/slotd/events");
  REQUIRE(res);
  CHECK(res->status == 401);
  const auto wrong = RawRequest(server.port(), "GET", "/api/slotd/events",
                                {"Authorization: Basic YWRtaW46d3Jvbmc="});  // admin:wrong
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
  Stream stream(server.port(), std::nullopt, "Basic YWRtaW46cGFzcw==");
  CheckStreamHead(stream);
  auto cli = server.client();
  cli->set_basic_auth("admin", "pass");
  Create(*cli, "x", 1);
  CHECK(stream.Next().type == "limit.created");
}

TEST_CASE("event streams count under the connection cap", "[event_stream]") {
  SlotdProcess server(WithArgs({"--max-connections", "2"}));
  Stream one(server.port());
  CheckStreamHead(one);
  Stream two(server.port());
  CheckStreamHead(two);
  const auto refused = RawRequest(server.port(), "GET", "/api/health");
  REQUIRE(refused);
  CHECK(refused->status == 503);
}

TEST_CASE("a client that does not read is dropped while the others and the engine go on",
          "[event_stream]") {
  SlotdProcess server;
  auto cli = server.client();
  // One increment naming many long-named limits makes one large event.
  std::string names;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "slow-" + std::to_string(i) + std::string(1000, 'n');
    Create(*cli, name, 1'000'000);
    names += (i ? ",\"" : "\"") + name + "\"";
  }
  const std::string body = R"({"names":[)" + names + R"(],"slots":1})";
  Stream reader(server.port());
  CheckStreamHead(reader);
  Stream stalled(server.port(), std::nullopt, "", /*receive_buffer=*/4096);
  CheckStreamHead(stalled);

  // Events of about 54 KB: 600 fill what the kernel buffers for the stalled
  // client (a few MB) and pass the 16 MiB a client may fall behind by.
  int answered = 0;
  uint64_t last_id = 0;
  int received = 0;
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 20; ++i) {
      auto res = PostJson(*cli, kIncrement, body);
      if (res && res->status == 200) ++answered;
    }
    // The reading client keeps up and sees every event.
    for (int i = 0; i < 20; ++i) {
      const Event event = reader.Next();
      if (event.type != "slots.acquired" || (last_id && event.id != last_id + 1)) break;
      last_id = event.id;
      ++received;
    }
  }
  CHECK(answered == 600);
  CHECK(received == 600);
  // Read only now: what the kernel held, then the end.
  CHECK(stalled.connection().closed_by_peer(kWait));
  // Still served.
  RequireStatus(PostJson(*cli, kIncrement, body), 200);
  CHECK(reader.Next().type == "slots.acquired");
}

TEST_CASE("a quiet stream gets a keepalive comment every 15 s", "[event_stream][slow]") {
  SlotdProcess server;
  Stream stream(server.port());
  CheckStreamHead(stream);
  const auto started = std::chrono::steady_clock::now();
  const std::string comment = stream.connection().read_raw(20s, "\n\n");
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(comment == ": keepalive\n\n");
  CHECK(waited >= 14s);
  CHECK(waited <= 19s);
}

TEST_CASE("SIGTERM ends open event streams and slotd exits cleanly", "[event_stream]") {
  SlotdProcess server;
  auto cli = server.client();
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(std::make_unique<Stream>(server.port()));
    CheckStreamHead(*streams.back());
  }
  Create(*cli, "t", 1);
  for (auto& stream : streams) CHECK(stream->Next().type == "limit.created");
  const auto started = std::chrono::steady_clock::now();
  const ExitStatus status = server.stop(SIGTERM);
  CHECK(status.clean());
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  for (auto& stream : streams) CHECK(stream->connection().closed_by_peer(1s));
}

}  // namespace slotd::e2e

namespace slotd::e2e {

TEST_CASE("with --data-dir the stream and the journal both get every change", "[event_stream]") {
  char pattern[] = "/tmp/slotd-stream-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  {
    SlotdProcess server(WithArgs({"--data-dir", dir}));
    auto cli = server.client();
    Stream stream(server.port());
    CheckStreamHead(stream);
    Create(*cli, "kept", 3);
    RequireStatus(PostJson(*cli, kIncrement, R"({"names":["kept"],"slots":2})"), 200);
    CHECK(stream.Next().type == "limit.created");
    const Event acquired = stream.Next();
    CHECK(acquired.type == "slots.acquired");
    CHECK(ActiveSlotsIn(acquired) == 2);
  }
  SlotdProcess again(WithArgs({"--data-dir", dir}));
  auto cli = again.client();
  auto res = cli->Get("/api/v2/concurrency_limits/kept");
  RequireStatus(res, 200);
  CHECK(Canonical(res->body).find(R"("active_slots":2)") != std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace slotd::e2e
