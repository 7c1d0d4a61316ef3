// Expected values are what Prefect 3.9.1 (Starlette 1.10) answered.
#include "api/prefect/redirect_location.h"

#include <catch2/catch.hpp>

namespace slotd::api::test {

namespace {

ApiRequest To(std::string_view host, std::string_view query = "") {
  ApiRequest request;
  request.host_header = host;
  request.raw_query = query;
  request.server_address = "127.0.0.1";
  request.server_port = 4719;
  return request;
}

}  // namespace

TEST_CASE("a Host header that is a host and a port up to 65535 is kept as sent", "[redirect]") {
  for (const char* host : {"example.com", "EXAMPLE.com:80", "h:0080", "[::1]:5", "[::1]",
                           "[v1.x:y]", "a-b.c_d~e!$&'()*+,;=%41", "h:00000065535"}) {
    INFO(host);
    CHECK(IsUsableHostHeader(host));
  }
  for (const char* host : {"", "bad host", "h:99999", "h:65536", "h:", "a@b", "[zz::1]:5", "[::1",
                           "[::1]x", "::1", "h:1:2", ":80", "[1.2.3.4]"}) {
    INFO(host);
    CHECK_FALSE(IsUsableHostHeader(host));
  }
}

TEST_CASE("a redirect names the Host header, else the server's address", "[redirect]") {
  CHECK(RedirectLocation(To("localhost:4719"), "/api/health") ==
        "http://localhost:4719/api/health");
  CHECK(RedirectLocation(To("bad host"), "/api/health") == "http://127.0.0.1:4719/api/health");
  ApiRequest request = To("");
  request.server_address = "::1";
  request.server_port = 80;
  CHECK(RedirectLocation(request, "/api/health") == "http://[::1]/api/health");
  request.tls = true;
  CHECK(RedirectLocation(request, "/api/health") == "https://[::1]:80/api/health");
}

TEST_CASE("a redirect's path is quoted as Starlette quotes its decoded path", "[redirect]") {
  const std::string base = "http://h/api/v2/concurrency_limits/";
  CHECK(RedirectLocation(To("h"), "/api/v2/concurrency_limits/a#b\\c%d\"e<f?g") ==
        base + "a%23b%5Cc%d%22e%3Cf%3Fg");
  CHECK(RedirectLocation(To("h"), "/api/v2/concurrency_limits/a;b,c!$&'()*+=@~") ==
        base + "a;b,c!$&'()*+=@~");
  CHECK(RedirectLocation(To("h"), "/api/v2/concurrency_limits/\xC3\xA9") == base + "%C3%A9");
  // Bytes that are not UTF-8: one U+FFFD per maximal invalid sequence.
  CHECK(RedirectLocation(To("h"), "/api/v2/concurrency_limits/\xFF") == base + "%EF%BF%BD");
  CHECK(RedirectLocation(To("h"), "/api/v2/concurrency_limits/\xE2\x82x") == base + "%EF%BF%BDx");
}

TEST_CASE("a redirect keeps the query as sent, quoting only what quote would", "[redirect]") {
  CHECK(RedirectLocation(To("h", "a=1&b=%20x"), "/api/health") == "http://h/api/health?a=1&b=%20x");
  CHECK(RedirectLocation(To("h", "q=\xC3\xA9&r=\"<>`{}|^"), "/api/health") ==
        "http://h/api/health?q=%C3%A9&r=%22%3C%3E%60%7B%7D%7C%5E");
  CHECK(RedirectLocation(To("h", ""), "/api/health") == "http://h/api/health");
}

}  // namespace slotd::api::test
