// One line per request on stderr: "POST /api/v2/concurrency_limits/increment 200 57us".
#pragma once

#include <cstdint>
#include <string_view>

namespace slotd::api {

class AccessLog {
 public:
  explicit AccessLog(bool enabled) : enabled_(enabled) {}

  // Formats the line on the stack and writes it with a single write(2), so
  // lines from concurrent requests never interleave and no lock is taken.
  // Control characters in the target print as '?', and a very long target
  // is cut short.
  void Record(std::string_view method, std::string_view target, int status, int64_t micros) const;

 private:
  const bool enabled_;
};

}  // namespace slotd::api
