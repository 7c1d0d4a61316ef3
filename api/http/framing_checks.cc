#include "api/http/framing_checks.h"

#include <algorithm>

#include "api/http/request_target.h"

namespace slotd::api {
namespace {

namespace http = boost::beast::http;

bool IsOptionalWhitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && IsOptionalWhitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsOptionalWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The Transfer-Encoding codings, in order, empty list elements skipped
// (RFC 9110 section 5.6.1): 400 unless chunked comes once and last, 501 if
// any other coding is named.
std::optional<Refusal> CheckCodings(std::string_view value) {
  bool any = false;
  bool chunked_last = false;
  bool other = false;
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view coding = TrimWhitespace(value.substr(0, comma));
    if (!coding.empty()) {
      if (chunked_last) return BadRequest();  // chunked is not the final coding
      any = true;
      if (EqualsIgnoreCase(coding, "chunked")) {
        chunked_last = true;
      } else {
        other = true;
      }
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (other) return Refusal{501, "Not Implemented"};
  if (!any) return BadRequest();
  return std::nullopt;
}

}  // namespace

Refusal BadRequest() { return Refusal{400, "Bad Request"}; }

size_t RequestLineEnd(std::string_view head) {
  const size_t line_feed = head.find('\n');
  return line_feed == std::string_view::npos ? line_feed : line_feed + 1;
}

bool HasObsFold(std::string_view fields) {
  if (!fields.empty() && IsOptionalWhitespace(fields.front())) return true;
  for (size_t i = fields.find('\n'); i != std::string_view::npos; i = fields.find('\n', i + 1)) {
    if (i + 1 < fields.size() && IsOptionalWhitespace(fields[i + 1])) return true;
  }
  return false;
}

std::optional<Refusal> CheckFieldSizes(const http::fields& fields) {
  size_t count = 0;
  size_t block = 0;
  for (const auto& field : fields) {
    const size_t line = field.name_string().size() + field.value().size() + 4;
    if (line > kMaxFieldLineBytes) return BadRequest();
    ++count;
    block += line;
  }
  if (count > kMaxHeaderFields || block > kMaxHeaderBlockLength) {
    return Refusal{431, "Request Header Fields Too Large"};
  }
  return std::nullopt;
}

std::optional<Refusal> CheckMessageFraming(const http::fields& fields, unsigned version) {
  const size_t lengths = fields.count(http::field::content_length);
  if (lengths > 1) return BadRequest();
  if (lengths == 1 && !IsDigits(fields[http::field::content_length])) return BadRequest();
  const size_t encodings = fields.count(http::field::transfer_encoding);
  if (encodings == 0) return std::nullopt;
  // RFC 9112 section 6.1: TE with CL is a smuggling attempt, and an HTTP/1.0
  // recipient cannot be trusted to frame it; both end the connection.
  if (encodings > 1 || lengths > 0 || version < 11) return BadRequest();
  return CheckCodings(fields[http::field::transfer_encoding]);
}

std::optional<Refusal> CheckHost(const http::fields& fields, unsigned version) {
  const size_t hosts = fields.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && version >= 11)) return BadRequest();
  if (hosts == 1 && !IsValidHost(fields[http::field::host])) return BadRequest();
  return std::nullopt;
}

std::optional<Refusal> CheckExpect(const http::fields& fields, unsigned version,
                                   bool* wants_continue) {
  *wants_continue = false;
  if (version < 11) return std::nullopt;
  auto [first, last] = fields.equal_range(http::field::expect);
  for (auto it = first; it != last; ++it) {
    if (!EqualsIgnoreCase(TrimWhitespace(it->value()), "100-continue")) {
      return Refusal{417, "Expectation Failed"};
    }
    *wants_continue = true;
  }
  return std::nullopt;
}

std::optional<Refusal> CheckContentEncoding(const http::fields& fields, bool has_body) {
  if (has_body && fields.count(http::field::content_encoding) > 0) {
    return Refusal{415, "Unsupported Media Type"};
  }
  return std::nullopt;
}

bool IsAcceptableChunkExtension(std::string_view extensions) {
  if (extensions.size() > kMaxChunkExtensionBytes) return false;
  return std::none_of(extensions.begin(), extensions.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && byte != '\t') || byte == 0x7f;
  });
}

bool EndsInsideQuotedString(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (!quoted) {
      quoted = line[i] == '"';
    } else if (line[i] == '\\') {
      if (++i == line.size()) return true;
    } else if (line[i] == '"') {
      quoted = false;
    }
  }
  return quoted;
}

}  // namespace slotd::api
