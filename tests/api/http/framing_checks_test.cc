#include "api/http/framing_checks.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <utility>

using namespace slotd::api;
namespace http = boost::beast::http;

namespace {

http::fields Fields(std::initializer_list<std::pair<const char*, std::string>> lines) {
  http::fields fields;
  for (const auto& [name, value] : lines) fields.insert(name, value);
  return fields;
}

// "none", or the refusal as "status detail".
std::string Verdict(const std::optional<Refusal>& refusal) {
  if (!refusal) return "none";
  return std::to_string(refusal->status) + " " + std::string(refusal->detail);
}

std::string Framing(std::initializer_list<std::pair<const char*, std::string>> lines,
                    unsigned version = 11) {
  return Verdict(CheckMessageFraming(Fields(lines), version));
}

}  // namespace

TEST_CASE("one Content-Length of digits passes, and any other Content-Length is a 400",
          "[framing_checks]") {
  CHECK(Framing({}) == "none");
  CHECK(Framing({{"Content-Length", "0"}}) == "none");
  CHECK(Framing({{"content-length", "12"}}) == "none");
  CHECK(Framing({{"Content-Length", "5, 5"}}) == "400 Bad Request");
  CHECK(Framing({{"Content-Length", "5"}, {"Content-Length", "5"}}) == "400 Bad Request");
  CHECK(Framing({{"Content-Length", ""}}) == "400 Bad Request");
  CHECK(Framing({{"Content-Length", "+5"}}) == "400 Bad Request");
}

TEST_CASE("Transfer-Encoding must be one line ending in one chunked, in HTTP/1.1 alone",
          "[framing_checks]") {
  CHECK(Framing({{"Transfer-Encoding", "chunked"}}) == "none");
  CHECK(Framing({{"Transfer-Encoding", "CHUNKED"}}) == "none");
  CHECK(Framing({{"Transfer-Encoding", " ,chunked, "}}) == "none");
  CHECK(Framing({{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}}) == "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", "identity"}, {"Content-Length", "3"}}) == "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}) ==
        "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}) ==
        "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", "chunked, identity"}}) == "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", "chunked, chunked"}}) == "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", ""}}) == "400 Bad Request");
  CHECK(Framing({{"Transfer-Encoding", "chunked"}}, 10) == "400 Bad Request");
}

TEST_CASE("a transfer coding other than chunked is a 501", "[framing_checks]") {
  CHECK(Framing({{"Transfer-Encoding", "gzip, chunked"}}) == "501 Not Implemented");
  CHECK(Framing({{"Transfer-Encoding", "identity"}}) == "501 Not Implemented");
  CHECK(Framing({{"Transfer-Encoding", "gzip"}}) == "501 Not Implemented");
  CHECK(Framing({{"Transfer-Encoding", "chunked;x=1"}}) == "501 Not Implemented");
}

TEST_CASE("HTTP/1.1 needs exactly one valid Host, HTTP/1.0 at most one", "[framing_checks]") {
  CHECK(Verdict(CheckHost(Fields({{"Host", "h:80"}}), 11)) == "none");
  CHECK(Verdict(CheckHost(Fields({{"Host", ""}}), 11)) == "none");
  CHECK(Verdict(CheckHost(Fields({}), 11)) == "400 Bad Request");
  CHECK(Verdict(CheckHost(Fields({{"Host", "a"}, {"Host", "a"}}), 11)) == "400 Bad Request");
  CHECK(Verdict(CheckHost(Fields({{"Host", "a b"}}), 11)) == "400 Bad Request");
  CHECK(Verdict(CheckHost(Fields({}), 10)) == "none");
  CHECK(Verdict(CheckHost(Fields({{"Host", "a"}, {"Host", "b"}}), 10)) == "400 Bad Request");
}

TEST_CASE("an expectation other than 100-continue is a 417 in HTTP/1.1 only", "[framing_checks]") {
  bool wants_continue = true;
  CHECK(Verdict(CheckExpect(Fields({}), 11, &wants_continue)) == "none");
  CHECK_FALSE(wants_continue);
  CHECK(Verdict(CheckExpect(Fields({{"Expect", "100-Continue"}}), 11, &wants_continue)) == "none");
  CHECK(wants_continue);
  CHECK(Verdict(CheckExpect(Fields({{"Expect", "200-ok"}}), 11, &wants_continue)) ==
        "417 Expectation Failed");
  CHECK(Verdict(CheckExpect(Fields({{"Expect", "100-continue"}, {"Expect", "x"}}), 11,
                            &wants_continue)) == "417 Expectation Failed");
  CHECK(Verdict(CheckExpect(Fields({{"Expect", "200-ok"}}), 10, &wants_continue)) == "none");
  CHECK_FALSE(wants_continue);
}

TEST_CASE("a body with a Content-Encoding is a 415", "[framing_checks]") {
  CHECK(Verdict(CheckContentEncoding(Fields({{"Content-Encoding", "gzip"}}), true)) ==
        "415 Unsupported Media Type");
  CHECK(Verdict(CheckContentEncoding(Fields({{"Content-Encoding", "gzip"}}), false)) == "none");
  CHECK(Verdict(CheckContentEncoding(Fields({}), true)) == "none");
}

TEST_CASE("field count and block over their bounds are 431, one long field line a 400",
          "[framing_checks]") {
  http::fields many;
  for (size_t i = 0; i <= kMaxHeaderFields; ++i) many.insert("X-" + std::to_string(i), "v");
  CHECK(Verdict(CheckFieldSizes(many)) == "431 Request Header Fields Too Large");
  http::fields block;
  for (int i = 0; i < 3; ++i) block.insert("X-" + std::to_string(i), std::string(6000, 'b'));
  CHECK(Verdict(CheckFieldSizes(block)) == "431 Request Header Fields Too Large");
  // name + value + 4 == the bound exactly.
  CHECK(Verdict(CheckFieldSizes(Fields({{"X-Big", std::string(kMaxFieldLineBytes - 9, 'a')}}))) ==
        "none");
  CHECK(Verdict(CheckFieldSizes(Fields({{"X-Big", std::string(kMaxFieldLineBytes - 8, 'a')}}))) ==
        "400 Bad Request");
}

TEST_CASE("a line of the fields that starts with whitespace is an obs-fold", "[framing_checks]") {
  CHECK_FALSE(HasObsFold("Host: h\r\nX: a b\r\n\r\n"));
  CHECK(HasObsFold("Host: h\r\nX: a\r\n b\r\n\r\n"));
  CHECK(HasObsFold("Host: h\r\nX: a\r\n\tb\r\n\r\n"));
  CHECK(HasObsFold(" Host: h\r\n\r\n"));
  CHECK_FALSE(HasObsFold("\r\n"));
}

TEST_CASE("the request line ends at the first line feed", "[framing_checks]") {
  CHECK(RequestLineEnd("GET / HTTP/1.1\r\nHost: h\r\n") == 16);
  CHECK(RequestLineEnd("GET / HTTP/1.1") == std::string_view::npos);
}

TEST_CASE("chunk extensions are bounded and hold no control byte but HTAB", "[framing_checks]") {
  CHECK(IsAcceptableChunkExtension(""));
  CHECK(IsAcceptableChunkExtension(";a=b;c=\"d\te\""));
  CHECK(IsAcceptableChunkExtension(";" + std::string(kMaxChunkExtensionBytes - 1, 'x')));
  CHECK_FALSE(IsAcceptableChunkExtension(";" + std::string(kMaxChunkExtensionBytes, 'x')));
  CHECK_FALSE(IsAcceptableChunkExtension(";a=\"\n\""));
  CHECK_FALSE(IsAcceptableChunkExtension(";a=\"\r\""));
  CHECK_FALSE(IsAcceptableChunkExtension(std::string(";a=\"\0\"", 6)));
  CHECK_FALSE(IsAcceptableChunkExtension(";a=\"\x7f\""));
}

TEST_CASE("a chunk line that ends inside a quoted extension value is told apart",
          "[framing_checks]") {
  CHECK_FALSE(EndsInsideQuotedString("5;a=b"));
  CHECK_FALSE(EndsInsideQuotedString("5;a=\"b\""));
  CHECK_FALSE(EndsInsideQuotedString("5;a=\"b\\\"c\""));
  CHECK(EndsInsideQuotedString("5;a=\"b"));
  CHECK(EndsInsideQuotedString("5;a=\"b\\\""));
  CHECK(EndsInsideQuotedString("5;a=\"b\\"));
}
