#include "api/json/base64.h"

#include <algorithm>
#include <cstdint>

namespace slotd::api {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

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

std::string EncodeBase64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t chunk = 0;
    for (size_t j = 0; j < 3; ++j) {
      chunk = (chunk << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    }
    for (size_t j = 0; j < 4; ++j) {
      out.push_back(j <= n ? kAlphabet[(chunk >> (18 - 6 * j)) & 0x3F] : '=');
    }
  }
  return out;
}

}  // namespace slotd::api
