#include "api/http/request_reader.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "api/http/framing_checks.h"

using namespace slotd::api;
using Step = RequestReader::Step;

namespace {

const std::string kAuth = "admin:pass";
constexpr const char* kGoodAuthorization = "Authorization: Basic YWRtaW46cGFzcw==\r\n";

std::string Post(const std::string& target, const std::string& body,
                 const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The request each smuggling payload hides: it must never come out.
const std::string kSmuggled =
    Post("/api/v2/concurrency_limits/increment", R"({"names":["smuggled"],"slots":1})");

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: h\r\n" + extra + "\r\n";
}

// What a connection would see: each event in order. A request is
// "METHOD path[?query] body=<body>", with " close" when the connection may
// not carry another; a refusal "refuse <status> <body>". `piece` is how many
// bytes arrive per read (0: all at once). Stops at a refusal, as the
// connection would.
struct Run {
  std::vector<std::string> events;
  std::vector<ApiRequest> requests;  // copies of the views' text live in `texts`
  std::string unconsumed;            // bytes left when the stream ended
  size_t peak_unconsumed = 0;
};

Run Feed(std::string_view stream, const ReaderSettings& settings, size_t piece = 0) {
  Run run;
  RequestReader reader(&settings);
  std::string pending;
  size_t at = 0;
  bool refused = false;
  while (!refused && at < stream.size()) {
    const size_t take = piece == 0 ? stream.size() : std::min(piece, stream.size() - at);
    pending.append(stream.substr(at, take));
    at += take;
    while (true) {
      size_t consumed = 0;
      const Step step = reader.Put(pending, &consumed);
      REQUIRE(consumed <= pending.size());
      pending.erase(0, consumed);
      run.peak_unconsumed = std::max(run.peak_unconsumed, pending.size());
      if (step == Step::kNeedMore) break;
      if (step == Step::kContinue) {
        run.events.push_back("100 continue");
        continue;
      }
      if (step == Step::kRefuse) {
        run.events.push_back("refuse " + std::to_string(reader.refusal().status) + " " +
                             reader.refusal().body);
        refused = true;
        break;
      }
      const ApiRequest& request = reader.request();
      std::string event = std::string(request.method) + " " + std::string(request.path);
      if (!request.raw_query.empty()) event += "?" + std::string(request.raw_query);
      event += " body=" + std::string(request.body);
      if (!reader.keep_alive()) event += " close";
      run.events.push_back(event);
      reader.Next();
    }
  }
  run.unconsumed = pending;
  return run;
}

ReaderSettings Settings(size_t max_body = 1 << 20) {
  ReaderSettings settings;
  settings.max_body_bytes = max_body;
  settings.server_address = "127.0.0.1";
  settings.server_port = 4200;
  return settings;
}

ReaderSettings WithAuth() {
  ReaderSettings settings = Settings();
  settings.auth_string = &kAuth;
  return settings;
}

// The events for `stream`, after checking they are the same whether it
// arrives whole, a byte at a time, or in pieces of a few sizes.
std::vector<std::string> Events(std::string_view stream, const ReaderSettings& settings) {
  const Run whole = Feed(stream, settings);
  for (size_t piece : {1, 2, 3, 7, 64, 1000}) {
    INFO("in pieces of " << piece);
    REQUIRE(Feed(stream, settings, piece).events == whole.events);
  }
  return whole.events;
}

std::vector<std::string> Events(std::string_view stream) { return Events(stream, Settings()); }

const std::string kBadRequest = R"(refuse 400 {"detail":"Bad Request"})";
const std::string kUnauthorized = R"(refuse 401 {"exception_message":"Unauthorized"})";
const std::string kTooLarge = R"(refuse 413 {"detail":"Request body too large"})";

using Events_ = std::vector<std::string>;

}  // namespace

TEST_CASE("a request is read with its path decoded, its query and its fields", "[reader]") {
  ReaderSettings settings = Settings();
  settings.tls = true;
  RequestReader reader(&settings);
  const std::string stream =
      "POST /api/v2/a%20b%zz?client=x+y&k=v HTTP/1.1\r\nHost: example:80\r\n"
      "Content-Type: text/plain\r\nx-prefect-api-version: 0.8.4\r\nContent-Length: 2\r\n\r\nhi";
  size_t consumed = 0;
  REQUIRE(reader.Put(stream, &consumed) == Step::kRequest);
  CHECK(consumed == stream.size());
  const ApiRequest& request = reader.request();
  CHECK(request.method == "POST");
  CHECK(request.path == "/api/v2/a b%zz");
  CHECK(request.raw_query == "client=x+y&k=v");
  CHECK(request.body == "hi");
  CHECK(request.content_type == "text/plain");
  CHECK_FALSE(request.chunked);
  CHECK(request.host_header == "example:80");
  CHECK(request.tls);
  CHECK(request.server_address == "127.0.0.1");
  CHECK(request.server_port == 4200);
  CHECK(request.api_version_header == "0.8.4");
  CHECK(request.csrf_client == "x y");
  CHECK(reader.keep_alive());
  CHECK_FALSE(reader.is_head());
  CHECK_FALSE(reader.accepts_gzip());
  CHECK(reader.log_method() == "POST");
  CHECK(reader.log_target() == "/api/v2/a%20b%zz?client=x+y&k=v");
}

TEST_CASE("absent fields are absent from the request", "[reader]") {
  ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  REQUIRE(reader.Put("GET /api/csrf-token HTTP/1.0\r\n\r\n", &consumed) == Step::kRequest);
  const ApiRequest& request = reader.request();
  CHECK_FALSE(request.content_type);
  CHECK(request.host_header.empty());
  CHECK(request.api_version_header.empty());
  CHECK_FALSE(request.csrf_client);
  CHECK(request.body.empty());
  CHECK_FALSE(reader.keep_alive());
}

TEST_CASE("the reader is idle until a byte of a request arrives", "[reader]") {
  ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  CHECK_FALSE(reader.started());
  CHECK(reader.Put("", &consumed) == Step::kNeedMore);
  CHECK_FALSE(reader.started());
  CHECK(reader.log_method() == "-");
  CHECK(reader.log_target() == "-");
  CHECK(reader.Put("GE", &consumed) == Step::kNeedMore);
  CHECK(consumed == 0);
  CHECK(reader.started());
  REQUIRE(reader.Put(Get("/x"), &consumed) == Step::kRequest);
  reader.Next();
  CHECK_FALSE(reader.started());
}

TEST_CASE("pipelined requests come out in order, each leaving the next unconsumed",
          "[reader][pipelining]") {
  const std::string stream = Get("/a") + Post("/b", "{}") + Get("/c?q=1", "Connection: close\r\n");
  CHECK(Events(stream) == Events_{"GET /a body=", "POST /b body={}", "GET /c?q=1 body= close"});
}

TEST_CASE("nothing after a refused request is read", "[reader][pipelining]") {
  const std::string stream =
      Get("/a") + "GET /b HTTP/1.1\r\nContent-Length : 0\r\n\r\n" + Get("/c") + kSmuggled;
  CHECK(Events(stream) == Events_{"GET /a body=", kBadRequest});
  ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  REQUIRE(reader.Put("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &consumed) == Step::kRefuse);
  reader.Next();
  CHECK(reader.Put(Get("/ok"), &consumed) == Step::kRefuse);
  CHECK(consumed == 0);
}

TEST_CASE("a body-less method's Content-Length body is read as its body, not a request",
          "[reader][smuggling]") {
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    INFO(method);
    const std::string stream = std::string(method) + " /api/health HTTP/1.1\r\nHost: h\r\n" +
                               "Content-Length: " + std::to_string(kSmuggled.size()) + "\r\n\r\n" +
                               kSmuggled;
    CHECK(Events(stream) == Events_{std::string(method) + " /api/health body=" + kSmuggled});
  }
}

TEST_CASE("Transfer-Encoding CHUNKED is chunked, whatever its case", "[reader][smuggling]") {
  const std::string stream =
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n3\r\n{}x\r\n0\r\n\r\n" +
      Get("/b");
  CHECK(Events(stream) == Events_{"POST /a body={}x", "GET /b body="});
}

TEST_CASE("Transfer-Encoding with Content-Length is refused in either order",
          "[reader][smuggling]") {
  const std::string body = "3\r\nabc\r\n0\r\n\r\n" + kSmuggled;
  for (const char* fields : {"Transfer-Encoding: identity\r\nContent-Length: 5\r\n",
                             "Content-Length: 5\r\nTransfer-Encoding: identity\r\n",
                             "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    INFO(fields);
    CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n" + body) ==
          Events_{kBadRequest});
  }
}

TEST_CASE("two Transfer-Encoding lines are refused", "[reader][smuggling]") {
  for (const char* fields : {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                             "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"}) {
    INFO(fields);
    CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\n" + std::string(fields) +
                 "\r\n3\r\nabc\r\n0\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  }
}

TEST_CASE("whitespace before a field's colon is refused", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nabcde" + kSmuggled) ==
        Events_{kBadRequest});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\nabcde" + kSmuggled) ==
        Events_{kBadRequest});
}

TEST_CASE("a folded field line, or one starting with whitespace, is refused",
          "[reader][smuggling]") {
  CHECK(Events("GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n" + kSmuggled) ==
        Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n" + kSmuggled) ==
        Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.1\r\n Host: h\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n " +
               std::to_string(kSmuggled.size()) + "\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
}

TEST_CASE("junk instead of the CRLF after chunk data is refused", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX" +
               kSmuggled) == Events_{kBadRequest});
}

TEST_CASE("a chunk trailer is refused", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
               "0\r\nX-Trailer: a\r\n\r\n" +
               kSmuggled) == Events_{kBadRequest});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
               "Authorization: Basic YWRtaW46cGFzcw==\r\n\r\n" +
               kSmuggled) == Events_{kBadRequest});
}

TEST_CASE("a bad request line is refused and nothing after it is read", "[reader][smuggling]") {
  for (const char* line :
       {"GET /a HTTP/1.1 x\r\n", "GET  /a HTTP/1.1\r\n", "GET /a  HTTP/1.1\r\n", "GET /a\r\n",
        "GET /a HTTP/2.0\r\n", "GET /a HTTP/1.1\n", "G(T /a HTTP/1.1\r\n", "\r\n",
        "GET /a\x01 HTTP/1.1\r\n", "GET /a b HTTP/1.1\r\n", "GET /a HTTP/1.1\rX\n"}) {
    INFO("request line " << line);
    CHECK(Events(std::string(line) + "Host: h\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  }
}

TEST_CASE("a head over its bounds is refused 414 or 431 and nothing after it is read",
          "[reader][smuggling]") {
  const std::string long_line = "GET /a?" + std::string(kMaxRequestLineLength, 'q');
  CHECK(Events(long_line + " HTTP/1.1\r\nHost: h\r\n\r\n" + kSmuggled) ==
        Events_{R"(refuse 414 {"detail":"URI Too Long"})"});
  CHECK(Events(long_line) == Events_{R"(refuse 414 {"detail":"URI Too Long"})"});
  std::string flood = "GET /a HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 2000; ++i) flood += "X-F" + std::to_string(i) + ": v\r\n";
  CHECK(Events(flood + "\r\n" + kSmuggled) ==
        Events_{R"(refuse 431 {"detail":"Request Header Fields Too Large"})"});
  CHECK(Events("GET /a HTTP/1.1\r\nX-Endless: " + std::string(40000, 'a')) ==
        Events_{R"(refuse 431 {"detail":"Request Header Fields Too Large"})"});
  CHECK(Events(Get("/a", "X-Big: " + std::string(9000, 'a') + "\r\n") + kSmuggled) ==
        Events_{kBadRequest});
  std::string many = "GET /a HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 0; i < kMaxHeaderFields; ++i) many += "X: " + std::to_string(i) + "\r\n";
  CHECK(Events(many + "\r\n") ==
        Events_{R"(refuse 431 {"detail":"Request Header Fields Too Large"})"});
}

TEST_CASE("a head within the bounds is read whole, at 24 KiB", "[reader]") {
  std::string head = "GET /a?pad=" + std::string(8100, 'p') + " HTTP/1.1\r\nHost: h\r\n";
  for (int i = 10; i < 26; ++i) {
    head += "X-Pad-" + std::to_string(i) + ": " + std::string(988, 'h') + "\r\n";
  }
  REQUIRE(head.size() > 24000);
  const Events_ events = Events(head + "\r\n");
  REQUIRE(events.size() == 1);
  CHECK(events[0].starts_with("GET /a?pad=ppp"));
}

TEST_CASE("the head's bound counts from the request's first byte, however it arrives", "[reader]") {
  ReaderSettings settings = Settings();
  settings.max_head_bytes = 1000;
  const std::string fits = Get("/a", "X: " + std::string(1000 - 33, 'x') + "\r\n");
  REQUIRE(fits.size() == 1000);
  CHECK(Events(fits, settings) == Events_{"GET /a body="});
  const std::string over = Get("/a", "X: " + std::string(1000 - 32, 'x') + "\r\n");
  CHECK(Events(over, settings) ==
        Events_{R"(refuse 431 {"detail":"Request Header Fields Too Large"})"});
  // What the connection holds unconsumed never passes the bound.
  CHECK(Feed(over.substr(0, over.size() - 2), settings, 1).peak_unconsumed <= 1000);
}

TEST_CASE("Content-Length with Transfer-Encoding chunked is refused", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nTransfer-Encoding: "
               "chunked\r\n\r\n" +
               kSmuggled) == Events_{kBadRequest});
}

TEST_CASE("an unknown transfer coding is refused 501 at once", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") ==
        Events_{R"(refuse 501 {"detail":"Not Implemented"})"});
}

TEST_CASE("chunked that is not the final coding is refused", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n" +
               kSmuggled) == Events_{kBadRequest});
}

TEST_CASE("a chunked body is refused 413 at the chunk that passes the limit", "[reader][memory]") {
  const ReaderSettings settings = Settings(16);
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(Events(head + "10\r\n" + std::string(16, 'a') + "\r\n0\r\n\r\n", settings) ==
        Events_{"POST /a body=" + std::string(16, 'a')});
  CHECK(Events(head + "8\r\n" + std::string(8, 'a') + "\r\n9\r\n", settings) == Events_{kTooLarge});
  // A 2 GiB chunk is refused at its size line, before any of it arrives.
  CHECK(Events(head + "80000000\r\n", settings) == Events_{kTooLarge});
  CHECK(Events(head + "FFFFFFFFFFFFFFFF\r\n", settings) == Events_{kTooLarge});
}

TEST_CASE("a Content-Length over the limit is refused 413 from the head", "[reader][memory]") {
  const ReaderSettings settings = Settings(128);
  CHECK(Events(Post("/a", std::string(128, ' ')), settings) ==
        Events_{"POST /a body=" + std::string(128, ' ')});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 129\r\n\r\n", settings) ==
        Events_{kTooLarge});
  for (const char* length :
       {"99999999999999999999999999", "18446744073709551615", "18446744073709551616"}) {
    INFO(length);
    CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::string(length) +
                     "\r\n\r\n{}",
                 settings) == Events_{kTooLarge});
  }
  for (const char* length : {"abc", "-1", "2, 22", "5, 5", "0x5"}) {
    INFO(length);
    CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::string(length) +
                     "\r\n\r\n{}",
                 settings) == Events_{kBadRequest});
  }
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
               settings) == Events_{kBadRequest});
}

TEST_CASE("a body with a Content-Encoding is refused 415 before it is read", "[reader][memory]") {
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\n";
  CHECK(Events(head + "Content-Length: 1000000\r\n\r\n") ==
        Events_{R"(refuse 415 {"detail":"Unsupported Media Type"})"});
  CHECK(Events(head + "Transfer-Encoding: chunked\r\n\r\n") ==
        Events_{R"(refuse 415 {"detail":"Unsupported Media Type"})"});
  CHECK(Events(head + "\r\n") == Events_{"POST /a body="});
}

TEST_CASE("with an auth string credentials are checked before any body byte is kept",
          "[reader][auth]") {
  const ReaderSettings settings = WithAuth();
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  RequestReader reader(&settings);
  size_t consumed = 0;
  const std::string stream = head + "100000\r\n" + std::string(1000, 'a');
  REQUIRE(reader.Put(stream, &consumed) == Step::kRefuse);
  CHECK(consumed == head.size());
  CHECK(reader.refusal().status == 401);
  CHECK(reader.refusal().body == R"({"exception_message":"Unauthorized"})");
  // Before the 413 and the 415 too.
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n", settings) ==
        Events_{kUnauthorized});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: "
               "9\r\n\r\n",
               settings) == Events_{kUnauthorized});
  CHECK(Events(Post("/a", "{}", kGoodAuthorization), settings) == Events_{"POST /a body={}"});
  CHECK(Events(Post("/a", "{}", std::string(kGoodAuthorization) + kGoodAuthorization), settings) ==
        Events_{kUnauthorized});
  CHECK(Events(Post("/a", "{}", "Authorization: Basic YWRtaW46d3Jvbmc=\r\n"), settings) ==
        Events_{kUnauthorized});
}

TEST_CASE("with an auth string health and ready are open on their exact raw path",
          "[reader][auth]") {
  const ReaderSettings settings = WithAuth();
  CHECK(Events(Get("/api/health"), settings) == Events_{"GET /api/health body="});
  CHECK(Events(Get("/api/ready?x=1"), settings) == Events_{"GET /api/ready?x=1 body="});
  CHECK(Events("GET http://h/api/health HTTP/1.1\r\nHost: h\r\n\r\n", settings) ==
        Events_{"GET /api/health body="});
  CHECK(Events(Get("/api/%68ealth"), settings) == Events_{kUnauthorized});
  CHECK(Events(Get("/api/health/"), settings) == Events_{kUnauthorized});
  CHECK(Events("HEAD /api/health HTTP/1.1\r\nHost: h\r\n\r\n", settings) == Events_{kUnauthorized});
}

TEST_CASE("with an auth string the live page's 401 asks a browser for Basic credentials",
          "[reader][auth]") {
  const ReaderSettings settings = WithAuth();
  for (const char* target : {"/", "/ui", "/ui/app.js", "/ui?x=1", "http://h/ui"}) {
    INFO(target);
    RequestReader reader(&settings);
    size_t consumed = 0;
    REQUIRE(reader.Put(Get(target), &consumed) == Step::kRefuse);
    CHECK(reader.refusal().status == 401);
    CHECK(reader.refusal().body == R"({"exception_message":"Unauthorized"})");
    CHECK(reader.refusal().extra_headers == "WWW-Authenticate: Basic realm=\"slotd\"\r\n");
  }
  // The API's 401 is Prefect's, with no challenge.
  for (const char* target : {"/api/hello", "/metrics", "/uix", "/api/slotd/limits/a/holders"}) {
    INFO(target);
    RequestReader reader(&settings);
    size_t consumed = 0;
    REQUIRE(reader.Put(Get(target), &consumed) == Step::kRefuse);
    CHECK(reader.refusal().status == 401);
    CHECK(reader.refusal().extra_headers.empty());
  }
  CHECK(Events(Get("/ui", kGoodAuthorization), settings) == Events_{"GET /ui body="});
}

TEST_CASE("If-None-Match is read for the live page's revalidation", "[reader]") {
  const ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  REQUIRE(reader.Put("GET /ui HTTP/1.1\r\nHost: h\r\nIf-None-Match: W/\"abc\"\r\n\r\n",
                     &consumed) == Step::kRequest);
  CHECK(reader.request().if_none_match == "W/\"abc\"");
  reader.Next();
  REQUIRE(reader.Put(Get("/ui"), &consumed) == Step::kRequest);
  CHECK(reader.request().if_none_match.empty());
}

TEST_CASE("a path with an encoded line feed is refused 401 without credentials, read with them",
          "[reader][auth]") {
  const ReaderSettings settings = WithAuth();
  CHECK(Events(Post("/api/v2/concurrency_limits/a%0Ab", "{}"), settings) == Events_{kUnauthorized});
  CHECK(Events(Post("/api/v2/concurrency_limits/a%0Ab", "{}", kGoodAuthorization), settings) ==
        Events_{"POST /api/v2/concurrency_limits/a\nb body={}"});
}

TEST_CASE("HTTP/1.1 without exactly one valid Host is refused", "[reader][smuggling]") {
  CHECK(Events("GET /a HTTP/1.1\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n" + kSmuggled) ==
        Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.1\r\nHost: a/b\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.0\r\n\r\n") == Events_{"GET /a body= close"});
  CHECK(Events("GET /a HTTP/1.1\r\nHost:\r\n\r\n") == Events_{"GET /a body="});
}

TEST_CASE("a NUL, a bare CR or a bare LF in a field is refused", "[reader][smuggling]") {
  std::string nul = "GET /a HTTP/1.1\r\nHost: h\r\nX: a";
  nul.push_back('\0');
  CHECK(Events(nul + "b\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n" + kSmuggled) ==
        Events_{kBadRequest});
  CHECK(Events("GET /a HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n" + kSmuggled) ==
        Events_{kBadRequest});
}

TEST_CASE("an absolute-form target is read, its authority taken for the Host",
          "[reader][smuggling]") {
  ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  REQUIRE(reader.Put("GET http://other:81/api/ready/?a=1 HTTP/1.1\r\nHost: h\r\n\r\n", &consumed) ==
          Step::kRequest);
  CHECK(reader.request().path == "/api/ready/");
  CHECK(reader.request().raw_query == "a=1");
  CHECK(reader.request().host_header == "other:81");
}

TEST_CASE("only OPTIONS takes the asterisk form, and no other form but origin and absolute",
          "[reader]") {
  CHECK(Events("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == Events_{"OPTIONS * body="});
  CHECK(Events("GET * HTTP/1.1\r\nHost: h\r\n\r\n") == Events_{kBadRequest});
  CHECK(Events("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n") == Events_{kBadRequest});
  CHECK(Events("GET api/a HTTP/1.1\r\nHost: h\r\n\r\n") == Events_{kBadRequest});
  CHECK(Events("GET ftp://h/a HTTP/1.1\r\nHost: h\r\n\r\n") == Events_{kBadRequest});
}

TEST_CASE("Connection close in any case or list ends the connection", "[reader]") {
  CHECK(Events(Get("/a", "Connection: Close\r\n")) == Events_{"GET /a body= close"});
  CHECK(Events(Get("/a", "Connection: keep-alive, close\r\n")) == Events_{"GET /a body= close"});
  CHECK(Events("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == Events_{"GET /a body="});
  CHECK(Events(Get("/a", "Connection: keep-alive\r\n")) == Events_{"GET /a body="});
}

TEST_CASE("chunk sizes that are not plain hex are refused", "[reader][smuggling]") {
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* size : {"0x2", "+2", " 2", "2 ", "-2", "g"}) {
    INFO("chunk size " << size);
    CHECK(Events(head + size + "\r\nab\r\n0\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  }
}

TEST_CASE("chunk extensions with control bytes, or too long, are refused", "[reader][smuggling]") {
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(Events(head + "2;a=b\r\nab\r\n0;c=\"d\"\r\n\r\n") == Events_{"POST /a body=ab"});
  CHECK(Events(head + "2;a=\"\nx\"\r\nab\r\n0\r\n\r\n" + kSmuggled) == Events_{kBadRequest});
  CHECK(Events(head + "2;a=\"" + std::string(300, 'x') + "\"\r\nab\r\n0\r\n\r\n") ==
        Events_{kBadRequest});
  CHECK(Events(head + "0;a=\"\r\"\r\n\r\n") == Events_{kBadRequest});
  // Beast would read the quoted value past the line and, fed in pieces,
  // take the chunk's size off the body limit on every retry.
  CHECK(Events(head + "5;a=\"\r\n\r\n+" + std::string(100, 'x') + "\"\r\n", Settings(16)) ==
        Events_{kBadRequest});
}

TEST_CASE("a chunk line that does not end within its bound is refused", "[reader][memory]") {
  const std::string head = "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  const Run run = Feed(head + std::string(5000, '0'), Settings(), 100);
  CHECK(run.events == Events_{kBadRequest});
  CHECK(run.peak_unconsumed <= kMaxChunkLineBytes + 100);
  CHECK(Events(head + std::string(2000, '0') + "1\r\na\r\n0\r\n\r\n") == Events_{kBadRequest});
  CHECK(Events(head + "1\r\na\r\n0\r\nX: " + std::string(2000, 't')) == Events_{kBadRequest});
  CHECK(Events(head + std::string(500, '0') + "1\r\na\r\n0\r\n\r\n") == Events_{"POST /a body=a"});
}

TEST_CASE("Expect 100-continue is answered only once the credentials and size pass", "[reader]") {
  const ReaderSettings settings = Settings(100);
  CHECK(Events(Post("/a", "{}", "Expect: 100-continue\r\n"), settings) ==
        Events_{"100 continue", "POST /a body={}"});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: "
               "101\r\n\r\n",
               settings) == Events_{kTooLarge});
  CHECK(Events("POST /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: "
               "2\r\n\r\n",
               WithAuth()) == Events_{kUnauthorized});
  CHECK(Events(Get("/a", "Expect: 100-continue\r\n"), settings) == Events_{"GET /a body="});
  CHECK(Events(Post("/a", "{}", "Expect: 100-continue\r\n") + Get("/b"), settings) ==
        Events_{"100 continue", "POST /a body={}", "GET /b body="});
}

TEST_CASE("an expectation other than 100-continue is refused 417", "[reader]") {
  CHECK(Events(Post("/a", "{}", "Expect: 200-ok\r\n")) ==
        Events_{R"(refuse 417 {"detail":"Expectation Failed"})"});
}

TEST_CASE("Transfer-Encoding in an HTTP/1.0 request is refused", "[reader][smuggling]") {
  CHECK(Events("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + kSmuggled) ==
        Events_{kBadRequest});
}

TEST_CASE("HEAD and gzip acceptance are told apart", "[reader]") {
  ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  REQUIRE(reader.Put("HEAD /a HTTP/1.1\r\nHost: h\r\nAccept-Encoding: br, gzip;q=1\r\n\r\n",
                     &consumed) == Step::kRequest);
  CHECK(reader.is_head());
  CHECK(reader.accepts_gzip());
  CHECK(reader.log_method() == "HEAD");
}

TEST_CASE("a refused head is logged with the method and target when its line was read",
          "[reader]") {
  ReaderSettings settings = Settings();
  RequestReader reader(&settings);
  size_t consumed = 0;
  REQUIRE(reader.Put("GET /api/health HTTP/1.1\r\nX: " + std::string(40000, 'a'), &consumed) ==
          Step::kRefuse);
  CHECK(reader.refusal().status == 431);
  CHECK(reader.log_method() == "GET");
  CHECK(reader.log_target() == "/api/health");
  RequestReader endless(&settings);
  REQUIRE(endless.Put("GET /api/health?" + std::string(9000, 'q'), &consumed) == Step::kRefuse);
  CHECK(endless.refusal().status == 414);
  CHECK(endless.log_method() == "-");
  CHECK(endless.log_target() == "-");
}

// A reader and the bytes it left unconsumed, given again with the next ones.
struct Feeder {
  explicit Feeder(const ReaderSettings* settings) : reader(settings) {}
  Step Put(std::string_view more) {
    pending += more;
    size_t consumed = 0;
    const Step step = reader.Put(pending, &consumed);
    pending.erase(0, consumed);
    return step;
  }
  RequestReader reader;
  std::string pending;
};

TEST_CASE("bodies are reserved from the shared budget before a byte is kept, and given back",
          "[reader][bounds]") {
  BodyBudget budget(100);
  ReaderSettings settings = Settings(80);
  settings.body_budget = &budget;
  const std::string sixty = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 60\r\n\r\n";
  Feeder first(&settings);
  Feeder second(&settings);
  // The first request's head reserves its 60 bytes before any has arrived.
  REQUIRE(first.Put(sixty) == Step::kNeedMore);
  CHECK(budget.held() == 60);
  // A second body of 60 does not fit beside it: 503, retry soon, nothing held.
  REQUIRE(second.Put(sixty) == Step::kRefuse);
  CHECK(second.reader.refusal().status == 503);
  CHECK(second.reader.refusal().retry_after == "1");
  CHECK(second.reader.refusal().body ==
        R"({"detail":"Server busy: too many request bodies in memory"})");
  CHECK(budget.held() == 60);
  // Answered and moved on: the bytes are free again, for chunked bodies
  // counted chunk by chunk.
  REQUIRE(first.Put(std::string(60, 'x')) == Step::kRequest);
  first.reader.Next();
  CHECK(budget.held() == 0);
  const std::string chunked =
      "POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n28\r\n" +
      std::string(40, 'y') + "\r\n";
  Feeder third(&settings);
  REQUIRE(third.Put(chunked) == Step::kNeedMore);
  CHECK(budget.held() == 40);
  Feeder fourth(&settings);
  REQUIRE(fourth.Put(chunked) == Step::kNeedMore);
  CHECK(budget.held() == 80);
  // The fourth's next chunk would pass the budget, though not its own limit.
  REQUIRE(fourth.Put("1e\r\n" + std::string(30, 'z') + "\r\n") == Step::kRefuse);
  CHECK(fourth.reader.refusal().status == 503);
  CHECK(budget.held() == 40);
  // A chunk past the request's own limit is still 413.
  REQUIRE(third.Put("29\r\n" + std::string(41, 'w') + "\r\n") == Step::kRefuse);
  CHECK(third.reader.refusal().status == 413);
  CHECK(budget.held() == 0);
}

TEST_CASE("a reader destroyed mid-body gives its reservation back", "[reader][bounds]") {
  BodyBudget budget(100);
  ReaderSettings settings = Settings(80);
  settings.body_budget = &budget;
  {
    RequestReader reader(&settings);
    size_t consumed = 0;
    REQUIRE(reader.Put("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\nabc", &consumed) ==
            Step::kNeedMore);
    CHECK(budget.held() == 50);
  }
  CHECK(budget.held() == 0);
}
