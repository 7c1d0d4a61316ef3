#include "api/prefect/redirect_location.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstdint>

#include "api/json/python_text.h"

namespace slotd::api {
namespace {

// Python's quote: unreserved characters and `safe` stay, every other byte
// becomes %XX (upper-case hex).
constexpr std::string_view kQuoteSafe = ":/%#?=@[]!$&'()*+,;";

void AppendQuotedByte(std::string* out, unsigned char byte) {
  if (std::isalnum(byte) || byte == '_' || byte == '.' || byte == '-' || byte == '~' ||
      (byte != 0 && kQuoteSafe.find(static_cast<char>(byte)) != std::string_view::npos)) {
    out->push_back(static_cast<char>(byte));
    return;
  }
  constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 0xF]);
}

void AppendQuoted(std::string* out, std::string_view text) {
  for (char c : text) AppendQuotedByte(out, static_cast<unsigned char>(c));
}

// The decoded path as Starlette's URL writes it, quoted.
void AppendPath(std::string* out, std::string_view path) {
  while (!path.empty()) {
    const int length = Utf8SequenceLength(path);
    if (length < 0) {
      AppendQuoted(out, kReplacementCharacter);
      path.remove_prefix(static_cast<size_t>(-length));
      continue;
    }
    const std::string_view sequence = path.substr(0, static_cast<size_t>(length));
    if (sequence == "?") {
      out->append("%3F");
    } else if (sequence == "#") {
      out->append("%23");
    } else if (sequence == "\\") {
      out->append("%5C");
    } else {
      AppendQuoted(out, sequence);
    }
    path.remove_prefix(sequence.size());
  }
}

bool IsRegNameChar(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("._~%!$&'()*+,;=-").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsHex(std::string_view text) {
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Inside the brackets of an IP literal: an IPv6 address, or IPvFuture
// ("v" hex "." then unreserved, sub-delims or ':').
bool IsIpLiteral(std::string_view text) {
  if (text.starts_with('v')) {
    const size_t dot = text.find('.');
    if (dot == std::string_view::npos || dot == 1 || !IsHex(text.substr(1, dot - 1))) return false;
    const std::string_view rest = text.substr(dot + 1);
    if (rest.empty()) return false;
    for (char c : rest) {
      if (c != ':' && (c == '%' || !IsRegNameChar(static_cast<unsigned char>(c)))) return false;
    }
    return true;
  }
  if (text.find(':') == std::string_view::npos) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
  }
  in6_addr address;
  return inet_pton(AF_INET6, std::string(text).c_str(), &address) == 1;
}

}  // namespace

bool IsUsableHostHeader(std::string_view host) {
  std::string_view port;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos || !IsIpLiteral(host.substr(1, close - 1))) return false;
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    const size_t colon = host.rfind(':');
    const std::string_view name = host.substr(0, colon);
    if (name.empty()) return false;
    for (char c : name) {
      if (!IsRegNameChar(static_cast<unsigned char>(c))) return false;
    }
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      if (port.empty()) return false;
    }
  }
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  // Leading zeros do not count; the number must fit a port.
  port.remove_prefix(std::min(port.find_first_not_of('0'), port.size()));
  return port.size() < 5 || (port.size() == 5 && port <= "65535");
}

std::string RedirectLocation(const ApiRequest& request, std::string_view path) {
  const std::string_view scheme = request.tls ? "https" : "http";
  std::string out;
  out.reserve(scheme.size() + request.host_header.size() + path.size() + request.raw_query.size() +
              32);
  out.append(scheme).append("://");
  if (IsUsableHostHeader(request.host_header)) {
    AppendQuoted(&out, request.host_header);
  } else {
    const bool ipv6 = request.server_address.find(':') != std::string_view::npos &&
                      !request.server_address.starts_with('[');
    if (ipv6) out.push_back('[');
    AppendQuoted(&out, request.server_address);
    if (ipv6) out.push_back(']');
    if (request.server_port != (request.tls ? 443 : 80)) {
      out.push_back(':');
      out.append(std::to_string(request.server_port));
    }
  }
  AppendPath(&out, path);
  if (!request.raw_query.empty()) {
    out.push_back('?');
    AppendQuoted(&out, request.raw_query);
  }
  return out;
}

}  // namespace slotd::api
