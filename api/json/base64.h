// base64 (RFC 4648, standard alphabet), as Python's base64 module reads and
// writes it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slotd::api {

// Python's base64.b64decode(text) (non-strict binascii.a2b_base64):
// characters outside the alphabet are skipped, the padding must be right.
std::optional<std::string> DecodeBase64(std::string_view text);

// base64.b64encode: padded.
std::string EncodeBase64(std::string_view bytes);

}  // namespace slotd::api
