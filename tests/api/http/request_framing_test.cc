#include "api/http/request_framing.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

using namespace slotd::api;

namespace {

constexpr size_t kMaxBody = 1000;

httplib::Request WithHeaders(std::initializer_list<std::pair<std::string, std::string>> headers) {
  httplib::Request req;
  req.method = "POST";
  for (const auto& [name, value] : headers) req.headers.emplace(name, value);
  return req;
}

// "none", or the refusal as "status detail".
std::string Verdict(const httplib::Request& req, size_t max_body_bytes = kMaxBody) {
  const std::optional<FramingRefusal> refusal = CheckRequestFraming(req, max_body_bytes);
  if (!refusal) return "none";
  return std::to_string(refusal->status) + " " + refusal->detail;
}

// A request with `count` headers whose names and values total `bytes` as
// request_framing.h measures them (name, value and 4 bytes each).
httplib::Request WithHeaderBlock(size_t count, size_t bytes) {
  httplib::Request req;
  const size_t name_bytes = 6;  // "X-0000"
  size_t left = bytes;
  for (size_t i = 0; i < count; ++i) {
    std::string name = "X-" + std::to_string(1000 + i);
    const size_t share = i + 1 == count ? left : (bytes / count);
    req.headers.emplace(std::move(name), std::string(share - name_bytes - 4, 'v'));
    left -= share;
  }
  return req;
}

size_t BlockBytes(const httplib::Request& req) {
  size_t total = 0;
  for (const auto& [name, value] : req.headers) total += name.size() + value.size() + 4;
  return total;
}

}  // namespace

TEST_CASE("a request without Content-Length passes", "[framing]") {
  CHECK(Verdict(WithHeaders({})) == "none");
  CHECK(Verdict(WithHeaders({{"Host", "x"}, {"Transfer-Encoding", "chunked"}})) == "none");
}

TEST_CASE("a Content-Length up to the maximum body size passes", "[framing]") {
  CHECK(Verdict(WithHeaders({{"Content-Length", "0"}})) == "none");
  CHECK(Verdict(WithHeaders({{"Content-Length", "999"}})) == "none");
  CHECK(Verdict(WithHeaders({{"Content-Length", "1000"}})) == "none");
  CHECK(Verdict(WithHeaders({{"Content-Length", "0000001000"}})) == "none");
  CHECK(Verdict(WithHeaders({{"Content-Length", "0"}}), 0) == "none");
}

TEST_CASE("a Content-Length over the maximum is refused 413", "[framing]") {
  CHECK(Verdict(WithHeaders({{"Content-Length", "1001"}})) == "413 Request body too large");
  CHECK(Verdict(WithHeaders({{"Content-Length", "1"}}), 0) == "413 Request body too large");
}

TEST_CASE("a Content-Length too large for size_t is refused 413, not wrapped around", "[framing]") {
  // 2^64 + 5 would wrap to 5.
  CHECK(Verdict(WithHeaders({{"Content-Length", "18446744073709551621"}})) ==
        "413 Request body too large");
  CHECK(Verdict(WithHeaders({{"Content-Length", std::string(100, '9')}}), SIZE_MAX - 1) ==
        "413 Request body too large");
}

TEST_CASE("a Content-Length that is not one run of digits is refused 400", "[framing]") {
  for (const char* value : {"", "-1", "+5", "1.0", "0x10", "12a", "1 2", " 12", "12 ", "1,1"}) {
    INFO("Content-Length: '" << value << "'");
    CHECK(Verdict(WithHeaders({{"Content-Length", value}})) == "400 Bad Request");
  }
}

TEST_CASE("repeated Content-Length headers pass only when they all agree", "[framing]") {
  CHECK(Verdict(WithHeaders({{"Content-Length", "5"}, {"Content-Length", "5"}})) == "none");
  CHECK(Verdict(WithHeaders({{"Content-Length", "5"}, {"Content-Length", "05"}})) == "none");
  CHECK(Verdict(WithHeaders({{"Content-Length", "5"}, {"Content-Length", "6"}})) ==
        "400 Bad Request");
  CHECK(Verdict(WithHeaders({{"Content-Length", "5"}, {"Content-Length", "x"}})) ==
        "400 Bad Request");
  CHECK(Verdict(WithHeaders({{"Content-Length", "x"}, {"Content-Length", "x"}})) ==
        "400 Bad Request");
  // Agreeing on too much is still too much.
  CHECK(Verdict(WithHeaders({{"Content-Length", "2000"}, {"Content-Length", "2000"}})) ==
        "413 Request body too large");
}

TEST_CASE("Content-Length is found whatever the case of its name", "[framing]") {
  CHECK(Verdict(WithHeaders({{"content-length", "1001"}})) == "413 Request body too large");
  CHECK(Verdict(WithHeaders({{"CONTENT-LENGTH", "5"}, {"content-length", "6"}})) ==
        "400 Bad Request");
}

TEST_CASE("more than 256 header lines are refused 431", "[framing]") {
  const size_t roomy = kMaxHeaderCount * 20;
  REQUIRE(roomy <= kMaxHeaderBlockBytes);
  CHECK(Verdict(WithHeaderBlock(kMaxHeaderCount, roomy)) == "none");
  CHECK(Verdict(WithHeaderBlock(kMaxHeaderCount + 1, roomy)) ==
        "431 Request Header Fields Too Large");
}

TEST_CASE("a header block over 16 KiB is refused 431", "[framing]") {
  const httplib::Request at_limit = WithHeaderBlock(4, kMaxHeaderBlockBytes);
  REQUIRE(BlockBytes(at_limit) == kMaxHeaderBlockBytes);
  CHECK(Verdict(at_limit) == "none");
  const httplib::Request over = WithHeaderBlock(4, kMaxHeaderBlockBytes + 1);
  REQUIRE(BlockBytes(over) == kMaxHeaderBlockBytes + 1);
  CHECK(Verdict(over) == "431 Request Header Fields Too Large");
}

TEST_CASE("a header block too large is refused 431 before its Content-Length is looked at",
          "[framing]") {
  httplib::Request req = WithHeaderBlock(4, kMaxHeaderBlockBytes);
  req.headers.emplace("Content-Length", "nonsense");
  CHECK(Verdict(req) == "431 Request Header Fields Too Large");
}

TEST_CASE("the head's byte bound lets through every head the other bounds accept", "[framing]") {
  // Request line, the header block with ": " and CRLF per line, blank line.
  CHECK(kMaxHeadBytes > kMaxRequestLineBytes + kMaxHeaderBlockBytes + 2);
}
