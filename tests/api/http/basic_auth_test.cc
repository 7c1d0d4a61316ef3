#include "api/http/basic_auth.h"

#include <catch2/catch.hpp>

namespace slotd::api::test {

// base64("admin:pass") == "YWRtaW46cGFzcw=="
TEST_CASE("the right Basic credentials are accepted", "[auth]") {
  CHECK(IsAuthorized("Basic YWRtaW46cGFzcw==", "admin:pass"));
  CHECK(IsAuthorized("  Basic \t YWRtaW46cGFzcw==  ", "admin:pass"));
  CHECK(IsAuthorized("Basic YWRt*aW46cGFzcw==", "admin:pass"));  // Python skips non-alphabet
}

TEST_CASE("wrong, malformed or missing credentials are refused", "[auth]") {
  CHECK_FALSE(IsAuthorized("", "admin:pass"));
  CHECK_FALSE(IsAuthorized("Basic YWRtaW46d3Jvbmc=", "admin:pass"));  // admin:wrong
  CHECK_FALSE(IsAuthorized("basic YWRtaW46cGFzcw==", "admin:pass"));
  CHECK_FALSE(IsAuthorized("Bearer YWRtaW46cGFzcw==", "admin:pass"));
  CHECK_FALSE(IsAuthorized("Basic", "admin:pass"));
  CHECK_FALSE(IsAuthorized("Basic YWRtaW46cGFzcw== extra", "admin:pass"));
  CHECK_FALSE(IsAuthorized("Basic YWRtaW46cGFzcw", "admin:pass"));  // missing padding
  CHECK_FALSE(IsAuthorized("Basic YWRtaW46cGFzcw==", "admin:pas"));
  CHECK_FALSE(IsAuthorized("Basic /w==", "\xff"));  // not UTF-8
}

TEST_CASE("only GET of the exact raw /api/health and /api/ready paths is exempt", "[auth]") {
  CHECK(IsAuthExempt("GET", "/api/health"));
  CHECK(IsAuthExempt("GET", "/api/ready"));
  CHECK(IsAuthExempt("GET", "/api/health?probe=1"));
  CHECK_FALSE(IsAuthExempt("POST", "/api/health"));
  CHECK_FALSE(IsAuthExempt("HEAD", "/api/health"));
  CHECK_FALSE(IsAuthExempt("GET", "/api/health/"));
  CHECK_FALSE(IsAuthExempt("GET", "/api/%68ealth"));
  CHECK_FALSE(IsAuthExempt("GET", "/api/x/../health"));
  CHECK_FALSE(IsAuthExempt("GET", "/api/version"));
}

}  // namespace slotd::api::test
