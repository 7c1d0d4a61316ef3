// Why a string is not a UUID, worded as pydantic reports it (pydantic-core
// parses UUIDs with Rust's `uuid` crate and quotes that crate's error).
#pragma once

#include <string>
#include <string_view>

namespace slotd::api {

// The reason `text` (which failed to parse) is not a UUID, e.g. "invalid
// group count: expected 5, found 2". Meaningful only for text that
// slotd::ParseUuid rejects.
std::string UuidErrorText(std::string_view text);

}  // namespace slotd::api
