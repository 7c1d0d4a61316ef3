// Writes an answer's bytes (status line, headers, body) the way slotd sends
// them, into a string the connection reuses, so head and body go out in one
// write.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/prefect/responses.h"

namespace slotd::api {

// Prefect compresses with Starlette's GZipMiddleware, which leaves bodies
// under 500 bytes alone; compressing every small answer would cost more than
// the request itself.
inline constexpr size_t kMinCompressedBody = 500;

struct ResponseOptions {
  bool head_request = false;  // a HEAD: Content-Length of the body, but no body
  bool close = false;         // the connection closes after this answer
  bool gzip = false;          // the client accepts gzip (RequestReader::accepts_gzip)
};

// Appends "HTTP/1.1 <status> <reason>", then Content-Type (the answer's
// content_type) when there is a body, Content-Length (except on 1xx, 204 and 304),
// Retry-After, Allow, Location and the extra header lines when the answer
// has them, Content-Encoding:
// gzip and Vary: Accept-Encoding when the body is compressed (options.gzip,
// a body of kMinCompressedBody bytes or more, not HEAD), Connection: close
// when options.close; then the blank line and the body.
void AppendResponse(const ApiResponse& answer, const ResponseOptions& options, std::string* out);

// The reason phrase of `status` ("OK", "Not Found"), or "Unknown".
std::string_view ReasonPhrase(int status);

}  // namespace slotd::api
