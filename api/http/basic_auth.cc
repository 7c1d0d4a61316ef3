#include "api/http/basic_auth.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace slotd::api {
namespace {

bool IsPythonSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Splits on runs of whitespace, as Python's str.split() does.
bool SplitTwoWords(std::string_view text, std::string_view* first, std::string_view* second) {
  std::string_view words[2];
  size_t count = 0;
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsPythonSpace(text[i])) ++i;
    if (i == text.size()) break;
    const size_t start = i;
    while (i < text.size() && !IsPythonSpace(text[i])) ++i;
    if (count == 2) return false;
    words[count++] = text.substr(start, i - start);
  }
  if (count != 2) return false;
  *first = words[0];
  *second = words[1];
  return true;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Python's base64.b64decode(text) (non-strict binascii.a2b_base64).
std::optional<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  int quad_pos = 0;
  int pads = 0;
  unsigned left = 0;
  for (char c : text) {
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) return out;
      continue;
    }
    const int value = Base64Value(c);
    if (value < 0) continue;
    pads = 0;
    switch (quad_pos) {
      case 0:
        left = value;
        break;
      case 1:
        out.push_back(static_cast<char>((left << 2) | (value >> 4)));
        left = value & 0x0f;
        break;
      case 2:
        out.push_back(static_cast<char>((left << 4) | (value >> 2)));
        left = value & 0x03;
        break;
      case 3:
        out.push_back(static_cast<char>((left << 6) | value));
        break;
    }
    quad_pos = (quad_pos + 1) % 4;
  }
  if (quad_pos != 0) return std::nullopt;
  return out;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80    ? 1
                          : lead >= 0xf0 ? 4
                          : lead >= 0xe0 ? 3
                          : lead >= 0xc2 ? 2
                                         : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  unsigned diff = given.size() != expected.size();
  for (size_t i = 0; i < given.size(); ++i) {
    const char other = i < expected.size() ? expected[i] : 0;
    diff |= static_cast<unsigned char>(given[i] ^ other);
  }
  return diff == 0;
}

}  // namespace

bool IsAuthExempt(std::string_view method, std::string_view raw_target) {
  if (method != "GET") return false;
  const std::string_view path = raw_target.substr(0, raw_target.find('?'));
  return path == "/api/health" || path == "/api/ready";
}

bool IsAuthorized(std::string_view authorization, std::string_view auth_string) {
  std::string_view scheme;
  std::string_view credentials;
  if (!SplitTwoWords(authorization, &scheme, &credentials) || scheme != "Basic") return false;
  std::optional<std::string> decoded = DecodeBase64(credentials);
  return decoded && IsValidUtf8(*decoded) && ConstantTimeEquals(*decoded, auth_string);
}

std::optional<std::string> ReadAuthStringFile(const std::string& path, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string text = contents.str();
  if (text.ends_with('\n')) text.pop_back();
  if (text.ends_with('\r')) text.pop_back();
  if (text.empty()) {
    *error = path + " holds no auth string";
    return std::nullopt;
  }
  return text;
}

}  // namespace slotd::api
