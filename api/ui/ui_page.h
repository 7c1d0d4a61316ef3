// The live page (README "The live page"): which paths are its, and the
// answer to each: an embedded file (embedded_files.h) with its content type
// and the headers every answer of the page carries, or a 304 when the
// browser's copy is current. Plain types only, so api/prefect's handler and
// the transport's 401 both use it and this target depends on nothing.
#pragma once

#include <string_view>

namespace slotd::api {

// Whether `path` (a request path, before or after percent-decoding) is the
// page's: "/", "/ui", or anything under "/ui/".
bool IsUiPath(std::string_view path);

// The header line a 401 on a page path carries, so that a browser asks for
// the credentials (RFC 7617). The API's own 401s carry none, as Prefect's.
inline constexpr std::string_view kUiAuthChallenge = "WWW-Authenticate: Basic realm=\"slotd\"\r\n";

// The page's Content-Security-Policy: everything from slotd itself only (no
// inline script or style, no other origin, not framed by another site).
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'";

struct UiAnswer {
  int status = 404;               // 200, 304, or 404 when no file has that path
  std::string_view content_type;  // on 200
  std::string_view body;          // the file's bytes on 200, else empty
  // On 200 and 304: header lines, each "Name: value\r\n": Cache-Control
  // (no-cache: the browser revalidates, so a new slotd's page shows at once),
  // the file's ETag, the Content-Security-Policy, X-Content-Type-Options and
  // Referrer-Policy.
  std::string_view headers;
};

// The answer to a GET of `path` (IsUiPath): "/", "/ui" and "/ui/" are
// index.html, "/ui/<name>" the embedded file of that name. `if_none_match`
// is the request's If-None-Match header, empty when it has none; when it
// names the file's ETag (a weak one, compared weakly as RFC 9110 13.1.2 says,
// or "*"), the answer is 304.
UiAnswer AnswerUi(std::string_view path, std::string_view if_none_match);

}  // namespace slotd::api
