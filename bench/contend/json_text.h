// The two pieces of JSON the tool writes by hand: quoted strings (through
// the server's own JSON writer) and numbers. (simdjson reads JSON; it does
// not write it.)
#pragma once

#include <string>
#include <string_view>

namespace slotd::contend {

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);

// `value` as a JSON number (shortest round-trip form); null when not finite,
// since JSON has no NaN or infinity.
std::string JsonNumber(double value);

}  // namespace slotd::contend
