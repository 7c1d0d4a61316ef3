// One line per request on stderr: "POST /api/v2/concurrency_limits/increment 200 57us",
// or with --log-format json the same fields as one JSON object:
// {"method":"POST","target":"/api/v2/concurrency_limits/increment","status":200,"micros":57}.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotd::api {

class AccessLog {
 public:
  explicit AccessLog(bool enabled, bool json = false) : enabled_(enabled), json_(json) {}

  // Formats the line on the stack and writes it with a single write(2), so
  // lines from concurrent requests never interleave and no lock is taken.
  // Control characters in the method and target print as '?' (in JSON
  // also bytes past ASCII, so the line is always valid JSON, and '"' and '\'
  // are escaped), and a very long target is cut short, ending in "...".
  void Record(std::string_view method, std::string_view target, int status, int64_t micros) const;

  // The line Record writes, into `line` (at least kMaxLine bytes); returns
  // its length, the '\n' included.
  static constexpr size_t kMaxLine = 2 * (16 + 512) + 96;
  size_t Format(std::string_view method, std::string_view target, int status, int64_t micros,
                char* line) const;

 private:
  const bool enabled_;
  const bool json_;
};

}  // namespace slotd::api
