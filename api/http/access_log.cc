#include "api/http/access_log.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace slotd::api {
namespace {

constexpr size_t kMaxMethod = 16;
constexpr size_t kMaxTarget = 512;

char* AppendSanitized(char* out, std::string_view text, size_t max) {
  const size_t count = std::min(text.size(), max);
  for (size_t i = 0; i < count; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    *out++ = c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  if (text.size() > max) out = static_cast<char*>(std::memcpy(out, "...", 3)) + 3;
  return out;
}

}  // namespace

void AccessLog::Record(std::string_view method, std::string_view target, int status,
                       int64_t micros) const {
  if (!enabled_) return;
  char line[kMaxMethod + kMaxTarget + 64];
  char* out = AppendSanitized(line, method, kMaxMethod);
  *out++ = ' ';
  out = AppendSanitized(out, target, kMaxTarget);
  *out++ = ' ';
  out = std::to_chars(out, out + 8, status).ptr;
  *out++ = ' ';
  out = std::to_chars(out, out + 21, micros).ptr;
  *out++ = 'u';
  *out++ = 's';
  *out++ = '\n';
  // A short write to stderr is not worth a retry loop: the log is advisory.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, line, out - line);
}

}  // namespace slotd::api
