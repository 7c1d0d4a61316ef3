// Text the way Python prints it. Prefect's server is Python: its float fields,
// its Retry-After header (str(float)) and some of its error messages (repr of
// a string) are Python's formatting, so a faithful test double needs the same.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slotd::api {

// Room FormatPythonFloat needs (the longest case is "-2.2250738585072014e-308").
inline constexpr size_t kPythonFloatBufferSize = 32;

// Writes repr(value) into `buffer` and returns its length: the shortest digits
// that read back as the same double, in fixed notation when the decimal
// exponent is in [-4, 16) with ".0" on integral values ("2.0", "0.0001"),
// scientific otherwise ("1e-05", "1.5e+16"). Non-finite values print as
// "inf", "-inf" and "nan" (never valid JSON: callers keep them out of bodies).
size_t FormatPythonFloat(double value, char* buffer);

// repr(value) as a std::string, for headers and tests.
std::string PythonFloat(double value);

// Appends repr(text) for a Python str: single quotes unless the text holds a
// single quote and no double quote, backslash escapes for the quote, the
// backslash and control characters. Non-ASCII text passes through, except
// the common non-printable code points, which Python also escapes.
void AppendPythonStringRepr(std::string* out, std::string_view text);

}  // namespace slotd::api
