#include "api/http/request_framing.h"

#include <string>

namespace slotd::api {
namespace {

// A Content-Length value: one or more digits (RFC 9112 section 6.3), or
// nullopt. Values too large for size_t saturate: they are over any maximum.
std::optional<size_t> ParseContentLength(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    size_t digit = static_cast<size_t>(c - '0');
    value = value > (SIZE_MAX - digit) / 10 ? SIZE_MAX : value * 10 + digit;
  }
  return value;
}

size_t HeaderBlockBytes(const httplib::Headers& headers) {
  size_t total = 0;
  for (const auto& [name, value] : headers) total += name.size() + value.size() + 4;
  return total;
}

}  // namespace

std::optional<FramingRefusal> CheckRequestFraming(const httplib::Request& req,
                                                  size_t max_body_bytes) {
  if (req.headers.size() > kMaxHeaderCount ||
      HeaderBlockBytes(req.headers) > kMaxHeaderBlockBytes) {
    return FramingRefusal{431, "Request Header Fields Too Large"};
  }
  auto [first, last] = req.headers.equal_range("Content-Length");
  if (first == last) return std::nullopt;
  std::optional<size_t> length = ParseContentLength(first->second);
  for (auto it = first; it != last; ++it) {
    if (!length || ParseContentLength(it->second) != length) {
      return FramingRefusal{400, "Bad Request"};
    }
  }
  if (*length > max_body_bytes) return FramingRefusal{413, "Request body too large"};
  return std::nullopt;
}

}  // namespace slotd::api
