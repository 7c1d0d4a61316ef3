// Text as Python reads it, for the rules the JSON layer and Prefect's
// routes share: UTF-8 validity as Python decodes with errors="replace"
// (the JSON writer, the redirect Location), and ASCII case folding (lax
// number and boolean words, media types).
#pragma once

#include <string_view>

namespace slotd::api {

// The UTF-8 sequence at the start of a non-empty `text`: its length when it
// is valid (no overlong forms, no surrogates, nothing above U+10FFFF), else
// the negated length of its maximal invalid prefix, at least 1 (the bytes
// one U+FFFD replaces in Python's decoding).
int Utf8SequenceLength(std::string_view text);

// Whether `text` equals `lower` (lower-case ASCII) ignoring ASCII case, as
// Python's str.lower() comparisons do for the words pydantic and the email
// package read.
bool EqualsIgnoreCase(std::string_view text, std::string_view lower);

// U+FFFD, the replacement character.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace slotd::api
