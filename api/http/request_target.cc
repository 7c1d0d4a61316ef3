#include "api/http/request_target.h"

#include <algorithm>

namespace slotd::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// unreserved / sub-delims / "%" (RFC 3986 reg-name, IPv4address).
bool IsRegNameChar(char c) {
  if (IsAlpha(c) || IsDigit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case '%':
      return true;
    default:
      return false;
  }
}

bool IsHexDigit(char c) { return HexValue(c) >= 0; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

void SplitQuery(std::string_view origin, RequestTarget* out) {
  out->origin = origin;
  const size_t mark = origin.find('?');
  out->raw_path = origin.substr(0, mark);
  out->raw_query = mark == std::string_view::npos ? std::string_view() : origin.substr(mark + 1);
}

}  // namespace

bool IsValidHost(std::string_view host) {
  std::string_view port;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : host.substr(1, close - 1)) {
      if (!IsHexDigit(c) && c != ':' && c != '.' && !IsRegNameChar(c)) return false;
    }
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return false;
      port = rest.substr(1);
    }
  } else {
    const size_t colon = host.find(':');
    for (char c : host.substr(0, colon)) {
      if (!IsRegNameChar(c)) return false;
    }
    if (colon != std::string_view::npos) port = host.substr(colon + 1);
  }
  return std::all_of(port.begin(), port.end(), IsDigit);
}

RequestTarget ParseRequestTarget(std::string_view target) {
  RequestTarget out;
  if (target.starts_with('/')) {
    out.form = TargetForm::kOrigin;
    SplitQuery(target, &out);
    return out;
  }
  if (target == "*") {
    out.form = TargetForm::kAsterisk;
    out.origin = out.raw_path = target;
    return out;
  }
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return out;
  const std::string_view scheme = target.substr(0, scheme_end);
  if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https")) return out;
  const std::string_view rest = target.substr(scheme_end + 3);
  const size_t authority_end = std::min(rest.find('/'), rest.find('?'));
  const std::string_view authority = rest.substr(0, authority_end);
  // http(s) URIs need a host (RFC 9110 section 4.2.1).
  if (authority.empty() || authority.starts_with(':') || !IsValidHost(authority)) return out;
  out.form = TargetForm::kAbsolute;
  out.authority = authority;
  SplitQuery(
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end),
      &out);
  return out;
}

std::string PercentDecode(std::string_view raw, bool plus_is_space) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '%' && i + 2 < raw.size() && HexValue(raw[i + 1]) >= 0 && HexValue(raw[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(raw[i + 1]) * 16 + HexValue(raw[i + 2])));
      i += 2;
    } else {
      out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  return out;
}

std::string DecodedPath(const RequestTarget& target) {
  if (target.raw_path.empty()) return "/";
  return PercentDecode(target.raw_path, false);
}

std::optional<std::string> QueryParameter(std::string_view raw_query, std::string_view name) {
  while (!raw_query.empty()) {
    const std::string_view pair = raw_query.substr(0, raw_query.find('&'));
    raw_query.remove_prefix(std::min(raw_query.size(), pair.size() + 1));
    const size_t equals = pair.find('=');
    if (PercentDecode(pair.substr(0, equals), true) != name) continue;
    if (equals == std::string_view::npos) return std::string();
    return PercentDecode(pair.substr(equals + 1), true);
  }
  return std::nullopt;
}

}  // namespace slotd::api
