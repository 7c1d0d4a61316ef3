#include "engine/redis/redis_url.h"

#include <charconv>

namespace slotd::redis {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool PercentDecode(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out->push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return false;
    out->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

bool ParseNumber(std::string_view text, int low, int high, int* out) {
  if (text.empty()) return false;
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  if (value < low || value > high) return false;
  *out = value;
  return true;
}

}  // namespace

bool ParseRedisUrl(std::string_view url, RedisAddress* out, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  constexpr std::string_view kTlsScheme = "rediss://";
  if (url.starts_with(kTlsScheme)) {
    *error =
        "rediss:// (TLS) is not supported: this build's hiredis (Debian 12's 0.14) has no TLS; "
        "reach Redis over a trusted network or a TLS tunnel (stunnel) with redis://";
    return false;
  }
  if (!url.starts_with(kScheme)) {
    *error = "--store takes redis://[user:password@]HOST:PORT[/DB]";
    return false;
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    *error = "--store: a redis:// URL takes no query or fragment";
    return false;
  }
  RedisAddress address;
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    const std::string_view user = userinfo.substr(0, colon);
    const std::string_view password =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    if (!PercentDecode(user, &address.user) || !PercentDecode(password, &address.password)) {
      *error = "--store: bad percent-encoding in the user or password";
      return false;
    }
    if (colon == std::string_view::npos) {
      // redis://secret@host: a password alone, as redis-cli reads it.
      address.password = std::move(address.user);
      address.user.clear();
    }
  }
  const size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !ParseNumber(db, 0, 65535, &address.db)) {
      *error = "--store: the DB after the '/' must be a number in 0..65535";
      return false;
    }
  }
  std::string_view host = hostport;
  if (hostport.starts_with('[')) {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      *error = "--store: an IPv6 host needs its closing ']'";
      return false;
    }
    host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty() && !hostport.starts_with(':')) {
      *error = "--store: expected ':PORT' after the IPv6 host";
      return false;
    }
    if (!hostport.empty() && !ParseNumber(hostport.substr(1), 1, 65535, &address.port)) {
      *error = "--store: the port must be a number in 1..65535";
      return false;
    }
  } else {
    const size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      if (!ParseNumber(hostport.substr(colon + 1), 1, 65535, &address.port)) {
        *error = "--store: the port must be a number in 1..65535";
        return false;
      }
    }
  }
  if (host.empty()) {
    *error = "--store: the redis:// URL has no host";
    return false;
  }
  address.host = std::string(host);
  *out = std::move(address);
  return true;
}

}  // namespace slotd::redis
