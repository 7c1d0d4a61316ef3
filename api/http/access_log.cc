#include "api/http/access_log.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace slotd::api {
namespace {

constexpr size_t kMaxMethod = 16;
constexpr size_t kMaxTarget = 512;

char* Append(char* out, std::string_view text) {
  return static_cast<char*>(std::memcpy(out, text.data(), text.size())) + text.size();
}

// Copies at most `max` bytes of `text`, then "..." if it was longer. With
// `json`, '"' and '\' are escaped and bytes past ASCII print as '?' too, so
// each byte takes at most two.
char* AppendSanitized(char* out, std::string_view text, size_t max, bool json) {
  const size_t count = std::min(text.size(), max);
  for (size_t i = 0; i < count; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || (json && c >= 0x80)) {
      *out++ = '?';
      continue;
    }
    if (json && (c == '"' || c == '\\')) *out++ = '\\';
    *out++ = static_cast<char>(c);
  }
  if (text.size() > max) out = Append(out, "...");
  return out;
}

}  // namespace

size_t AccessLog::Format(std::string_view method, std::string_view target, int status,
                         int64_t micros, char* line) const {
  char* out = line;
  if (json_) {
    out = Append(out, R"({"method":")");
    out = AppendSanitized(out, method, kMaxMethod, true);
    out = Append(out, R"(","target":")");
    out = AppendSanitized(out, target, kMaxTarget, true);
    out = Append(out, R"(","status":)");
    out = std::to_chars(out, out + 8, status).ptr;
    out = Append(out, R"(,"micros":)");
    out = std::to_chars(out, out + 21, micros).ptr;
    *out++ = '}';
  } else {
    out = AppendSanitized(out, method, kMaxMethod, false);
    *out++ = ' ';
    out = AppendSanitized(out, target, kMaxTarget, false);
    *out++ = ' ';
    out = std::to_chars(out, out + 8, status).ptr;
    *out++ = ' ';
    out = std::to_chars(out, out + 21, micros).ptr;
    out = Append(out, "us");
  }
  *out++ = '\n';
  return static_cast<size_t>(out - line);
}

void AccessLog::Record(std::string_view method, std::string_view target, int status,
                       int64_t micros) const {
  if (!enabled_) return;
  char line[kMaxLine];
  const size_t length = Format(method, target, status, micros, line);
  // A short write to stderr is not worth a retry loop: the log is advisory.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, line, length);
}

}  // namespace slotd::api
