// The request target (RFC 9112 section 3.2) as slotd reads it: its form,
// the raw path and query, and the path percent-decoded as cpp-httplib and
// Starlette decode it. Beast delimits the target; this reads inside it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slotd::api {

enum class TargetForm {
  kOrigin,    // "/path?query"
  kAbsolute,  // "http://authority/path?query" (http or https, any case)
  kAsterisk,  // "*" (OPTIONS only; the caller checks the method)
  kInvalid,   // anything else: authority-form, a relative path, a bad authority
};

struct RequestTarget {
  TargetForm form = TargetForm::kInvalid;
  // The path and query as an origin-form target would carry them, for
  // IsAuthExempt: the whole target in origin form, the part after the
  // authority in absolute form (empty when it has no path), "*" for the
  // asterisk form.
  std::string_view origin;
  std::string_view raw_path;   // origin before any '?'
  std::string_view raw_query;  // after the first '?'; empty when none
  std::string_view authority;  // absolute form only: host [":" port]
};

// Splits `target`; form is kInvalid when it is none of the three forms.
RequestTarget ParseRequestTarget(std::string_view target);

// Whether `host` is a valid Host value or authority (RFC 9110 section 7.2):
// empty, or reg-name / IPv4 / "[" IP-literal "]" characters with an optional
// ":" port of digits; no userinfo, no whitespace, no delimiters.
bool IsValidHost(std::string_view host);

// `raw` with each %XX escape (two hex digits) replaced by its byte; an
// escape that is not one stays as it is. With plus_is_space, '+' is a space
// (query parameters). Unlike httplib, "%uXXXX" is not decoded (Starlette does
// not either).
std::string PercentDecode(std::string_view raw, bool plus_is_space);

// The request's path as ApiRequest::path holds it: raw_path decoded, "/"
// when it is empty (an absolute target without a path).
std::string DecodedPath(const RequestTarget& target);

// The decoded value of the first `name` parameter of a query string ("" for
// a parameter without '='), or nullopt; names are compared after decoding.
std::optional<std::string> QueryParameter(std::string_view raw_query, std::string_view name);

}  // namespace slotd::api
