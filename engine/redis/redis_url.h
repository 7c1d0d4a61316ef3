// The address of --store redis://[user:password@]HOST:PORT[/DB].
#pragma once

#include <string>
#include <string_view>

namespace slotd::redis {

struct RedisAddress {
  std::string host;
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone (or no AUTH)
  std::string password;  // empty: no AUTH
  int db = 0;
};

// Parses `url`. False with *error set on anything else: another scheme,
// rediss:// (this build's hiredis, Debian 12's 0.14, has no TLS), an empty
// host, a port outside 1..65535, a DB that is not a number in 0..65535,
// a query or fragment. User and password are percent-decoded.
bool ParseRedisUrl(std::string_view url, RedisAddress* out, std::string* error);

}  // namespace slotd::redis
