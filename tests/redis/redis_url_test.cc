// --store redis://...: what ParseRedisUrl takes and refuses.
#include "engine/redis/redis_url.h"

#include <catch2/catch.hpp>

namespace slotd::redis {
namespace {

TEST_CASE("a redis URL gives host, port, credentials and DB", "[redis][url]") {
  RedisAddress address;
  std::string error;
  REQUIRE(ParseRedisUrl("redis://localhost", &address, &error));
  CHECK(address.host == "localhost");
  CHECK(address.port == 6379);
  CHECK(address.db == 0);
  CHECK(address.password.empty());
  REQUIRE(ParseRedisUrl("redis://u%40x:p%3Aw@10.0.0.1:7000/3", &address, &error));
  CHECK(address.host == "10.0.0.1");
  CHECK(address.port == 7000);
  CHECK(address.user == "u@x");
  CHECK(address.password == "p:w");
  CHECK(address.db == 3);
  REQUIRE(ParseRedisUrl("redis://secret@h:1/", &address, &error));
  CHECK(address.user.empty());
  CHECK(address.password == "secret");
  CHECK(address.db == 0);
  REQUIRE(ParseRedisUrl("redis://[::1]:6380", &address, &error));
  CHECK(address.host == "::1");
  CHECK(address.port == 6380);
}

TEST_CASE("a bad redis URL is refused with a reason", "[redis][url]") {
  const char* bad[] = {"",
                       "http://h:1",
                       "rediss://h:1",
                       "redis://",
                       "redis://:1",
                       "redis://h:0",
                       "redis://h:65536",
                       "redis://h:x",
                       "redis://h:1/x",
                       "redis://h:1/70000",
                       "redis://h:1?db=1",
                       "redis://h:1#x",
                       "redis://u:%zz@h",
                       "redis://u:%4@h",
                       "redis://[::1",
                       "redis://[::1]x"};
  for (const char* url : bad) {
    RedisAddress address;
    std::string error;
    INFO(url);
    CHECK_FALSE(ParseRedisUrl(url, &address, &error));
    CHECK_FALSE(error.empty());
  }
  RedisAddress address;
  std::string error;
  CHECK_FALSE(ParseRedisUrl("rediss://h:1", &address, &error));
  CHECK(error.find("TLS") != std::string::npos);
}

}  // namespace
}  // namespace slotd::redis
