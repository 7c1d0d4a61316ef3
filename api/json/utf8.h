// UTF-8 as Python validates it when it decodes with errors="replace": the
// one rule both the JSON writer and the redirect Location apply to bytes
// that came off the wire.
#pragma once

#include <string_view>

namespace slotd::api {

// The UTF-8 sequence at the start of a non-empty `text`: its length when it
// is valid (no overlong forms, no surrogates, nothing above U+10FFFF), else
// the negated length of its maximal invalid prefix, at least 1 (the bytes
// one U+FFFD replaces in Python's decoding).
int Utf8SequenceLength(std::string_view text);

// U+FFFD, the replacement character.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace slotd::api
