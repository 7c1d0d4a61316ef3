#include "api/http/basic_auth.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "api/json/base64.h"

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

}  // namespace

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  unsigned diff = given.size() != expected.size();
  for (size_t i = 0; i < given.size(); ++i) {
    const char other = i < expected.size() ? expected[i] : 0;
    diff |= static_cast<unsigned char>(given[i] ^ other);
  }
  return diff == 0;
}

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
