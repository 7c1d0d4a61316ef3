// Checks of a request's head made before its body is read: the header block's
// size and the Content-Length framing. httplib 0.11 bounds each header line
// but not how many there are, reads a malformed Content-Length as 0, takes
// the first of two conflicting ones, and answers an absurd one only after
// trying to read (and discard) that many bytes.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <optional>

namespace slotd::api {

// Uvicorn, in front of Prefect, refuses a header block over 16 KiB.
inline constexpr size_t kMaxHeaderBlockBytes = 16 * 1024;
inline constexpr size_t kMaxHeaderCount = 256;

struct FramingRefusal {
  int status;          // 400, 413 or 431
  const char* detail;  // the {"detail": ...} text
};

// The refusal this request's head earns, if any. A refused request must be
// answered on a connection that then closes: its body was never read.
std::optional<FramingRefusal> CheckRequestFraming(const httplib::Request& req,
                                                  size_t max_body_bytes);

}  // namespace slotd::api
