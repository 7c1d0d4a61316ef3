// Checks of a request's head made before its body is read: the header block's
// size and the Content-Length framing. httplib 0.11 bounds each header line
// but not how many there are, reads a malformed Content-Length as 0, takes
// the first of two conflicting ones, and answers an absurd one only after
// trying to read (and discard) that many bytes.
#pragma once

#include <cstddef>
#include <optional>

#include "api/http/httplib_coupling.h"

namespace slotd::api {

// Uvicorn, in front of Prefect, refuses a header block over 16 KiB.
inline constexpr size_t kMaxHeaderBlockBytes = 16 * 1024;
inline constexpr size_t kMaxHeaderCount = 256;
// httplib answers 414 to a request line longer than this, CRLF included
// (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH, compiled into the library).
inline constexpr size_t kMaxRequestLineBytes = 8192;
static_assert(kMaxRequestLineBytes == CPPHTTPLIB_REQUEST_URI_MAX_LENGTH);
// The most bytes of a request head (request line, header lines, blank line)
// read before it is refused unseen (BoundedServer). Above the largest head
// the two bounds above let through, with room for the optional whitespace
// the header block's measure leaves out (only a head padded with more than
// that is refused here and would not have been once read).
inline constexpr size_t kMaxHeadBytes = kMaxRequestLineBytes + kMaxHeaderBlockBytes + 8 * 1024;

struct FramingRefusal {
  int status;          // 400, 413 or 431
  const char* detail;  // the {"detail": ...} text
};

// The refusal this request's head earns, if any. A refused request must be
// answered on a connection that then closes: its body was never read.
std::optional<FramingRefusal> CheckRequestFraming(const httplib::Request& req,
                                                  size_t max_body_bytes);

}  // namespace slotd::api
