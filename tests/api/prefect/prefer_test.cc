#include "api/prefect/prefer.h"

#include <catch2/catch.hpp>

namespace slotd::api::test {
namespace {

TEST_CASE("Prefer: the wait preference is read as RFC 7240 writes it", "[prefer]") {
  CHECK(ParsePreferWait("wait=10") == 10);
  CHECK(ParsePreferWait("respond-async, wait=100") == 100);
  CHECK(ParsePreferWait("WAIT = 7 ; ignored=param") == 7);
  CHECK(ParsePreferWait("wait=\"30\"") == 30);
  CHECK(ParsePreferWait("wait=0") == 0);
  CHECK(ParsePreferWait("wait=5, wait=9") == 5);  // the first one counts
  CHECK(ParsePreferWait("wait=99999999999999999999") == (int64_t{1} << 31) - 1);
}

TEST_CASE("Prefer: anything else is no wait", "[prefer]") {
  CHECK_FALSE(ParsePreferWait(""));
  CHECK_FALSE(ParsePreferWait("respond-async"));
  CHECK_FALSE(ParsePreferWait("wait"));
  CHECK_FALSE(ParsePreferWait("wait="));
  CHECK_FALSE(ParsePreferWait("wait=-1"));
  CHECK_FALSE(ParsePreferWait("wait=1.5"));
  CHECK_FALSE(ParsePreferWait("waiting=5"));
  CHECK_FALSE(ParsePreferWait("return=minimal"));
}

}  // namespace
}  // namespace slotd::api::test
