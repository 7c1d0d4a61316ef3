#include "api/json/python_float_repr.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace slotd::api {
namespace {

// The shortest round-trip digits of |value| and its decimal exponent, taken
// from std::to_chars in scientific form ("d.ddde+XX").
struct Digits {
  char digits[20];
  int count = 0;
  int exponent = 0;  // value = 0.d1d2d3... * 10^(exponent + 1)
};

Digits ShortestDigits(double magnitude) {
  char text[kPythonFloatBufferSize];
  auto [end, ec] =
      std::to_chars(text, text + sizeof text, magnitude, std::chars_format::scientific);
  (void)ec;  // the buffer is always large enough
  Digits out;
  const char* p = text;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') out.digits[out.count++] = *p;
  }
  std::from_chars(p + 1 + (p[1] == '+'), end, out.exponent);
  return out;
}

char* WriteFixed(const Digits& d, char* out) {
  if (d.exponent < 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = -1; i > d.exponent; --i) *out++ = '0';
    std::memcpy(out, d.digits, d.count);
    return out + d.count;
  }
  const int integer_digits = d.exponent + 1;
  for (int i = 0; i < integer_digits; ++i) *out++ = i < d.count ? d.digits[i] : '0';
  *out++ = '.';
  if (d.count <= integer_digits) {
    *out++ = '0';
    return out;
  }
  std::memcpy(out, d.digits + integer_digits, d.count - integer_digits);
  return out + (d.count - integer_digits);
}

char* WriteScientific(const Digits& d, char* out) {
  *out++ = d.digits[0];
  if (d.count > 1) {
    *out++ = '.';
    std::memcpy(out, d.digits + 1, d.count - 1);
    out += d.count - 1;
  }
  *out++ = 'e';
  *out++ = d.exponent < 0 ? '-' : '+';
  const int magnitude = d.exponent < 0 ? -d.exponent : d.exponent;
  if (magnitude < 10) *out++ = '0';
  return std::to_chars(out, out + 4, magnitude).ptr;
}

// Python's printable test for the code points text is likely to carry;
// everything else outside ASCII is treated as printable.
bool IsNonPrintable(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad || (c >= 0x2000 && c <= 0x200f) ||
         (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) || c == 0x3000 || c == 0xfeff;
}

// Decodes one UTF-8 sequence at text[*i] (advancing *i); invalid bytes decode
// as themselves.
char32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto byte = static_cast<unsigned char>(text[(*i)++]);
  int extra = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : byte >= 0xc0 ? 1 : 0;
  if (extra == 0 || *i + extra > text.size()) return byte;
  char32_t c = byte & (0x3f >> extra);
  for (int k = 0; k < extra; ++k) c = (c << 6) | (static_cast<unsigned char>(text[(*i)++]) & 0x3f);
  return c;
}

void AppendEscapedCodePoint(std::string* out, char32_t c) {
  static constexpr char kHex[] = "0123456789abcdef";
  const int width = c <= 0xff ? 2 : 4;
  out->push_back('\\');
  out->push_back(width == 2 ? 'x' : 'u');
  for (int shift = (width - 1) * 4; shift >= 0; shift -= 4)
    out->push_back(kHex[(c >> shift) & 0xf]);
}

}  // namespace

size_t FormatPythonFloat(double value, char* buffer) {
  char* out = buffer;
  if (std::isnan(value)) {
    std::memcpy(out, "nan", 3);
    return 3;
  }
  if (std::signbit(value)) *out++ = '-';
  const double magnitude = std::fabs(value);
  if (std::isinf(magnitude)) {
    std::memcpy(out, "inf", 3);
    return out + 3 - buffer;
  }
  const Digits digits = ShortestDigits(magnitude);
  const bool fixed = digits.exponent >= -4 && digits.exponent < 16;
  out = fixed ? WriteFixed(digits, out) : WriteScientific(digits, out);
  return out - buffer;
}

std::string PythonFloat(double value) {
  char buffer[kPythonFloatBufferSize];
  return std::string(buffer, FormatPythonFloat(value, buffer));
}

void AppendPythonStringRepr(std::string* out, std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out->push_back(quote);
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t c = NextCodePoint(text, &i);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (IsNonPrintable(c)) {
      AppendEscapedCodePoint(out, c);
    } else {
      out->append(text.substr(start, i - start));
    }
  }
  out->push_back(quote);
}

}  // namespace slotd::api
