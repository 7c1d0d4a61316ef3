#include "api/prefect/api_version.h"

#include <array>
#include <cstdint>
#include <optional>

namespace slotd::api {
namespace {

constexpr std::array<int64_t, 3> kMinimum = {0, 8, 0};

bool IsPythonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Python's int(text) for ASCII input: surrounding whitespace, a sign, digits
// with single underscores between them. Values past int64 saturate, which
// keeps every comparison with kMinimum right.
std::optional<int64_t> PythonInt(std::string_view text) {
  while (!text.empty() && IsPythonSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsPythonSpace(text.back())) text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text.front() == '_' || text.back() == '_') return std::nullopt;
  int64_t value = 0;
  char previous = 0;
  for (char c : text) {
    if (c == '_') {
      if (previous == '_') return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      value = value > (INT64_MAX - 9) / 10 ? INT64_MAX : value * 10 + (c - '0');
    } else {
      return std::nullopt;
    }
    previous = c;
  }
  return negative ? -value : value;
}

// Starlette decodes header values as Latin-1, so each byte is one character
// when the value is echoed back.
std::string Latin1ToUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out.push_back(static_cast<char>(0xc0 | (byte >> 6)));
      out.push_back(static_cast<char>(0x80 | (byte & 0x3f)));
    }
  }
  return out;
}

}  // namespace

ApiVersionCheck CheckApiVersion(std::string_view header) {
  if (header.empty()) return ApiVersionCheck::kOk;
  std::array<int64_t, 3> version{};
  size_t parts = 0;
  while (true) {
    const size_t dot = header.find('.');
    if (parts == version.size()) return ApiVersionCheck::kMalformed;
    std::optional<int64_t> part = PythonInt(header.substr(0, dot));
    if (!part) return ApiVersionCheck::kMalformed;
    version[parts++] = *part;
    if (dot == std::string_view::npos) break;
    header.remove_prefix(dot + 1);
  }
  if (parts != version.size()) return ApiVersionCheck::kMalformed;
  return version < kMinimum ? ApiVersionCheck::kTooOld : ApiVersionCheck::kOk;
}

std::string ApiVersionErrorDetail(ApiVersionCheck check, std::string_view header) {
  std::string detail;
  if (check == ApiVersionCheck::kMalformed) {
    detail =
        "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but "
        "received ";
    detail += Latin1ToUtf8(header);
  } else {
    detail = "The request specified API version ";
    detail += Latin1ToUtf8(header);
    detail += " but this server requires version ";
    detail += kMinimumApiVersion;
    detail += " or higher.";
  }
  return detail;
}

}  // namespace slotd::api
