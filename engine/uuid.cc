#include "engine/uuid.h"

#include <boost/uuid/random_generator.hpp>

namespace slotd {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads 32 hex digits, with hyphens allowed only at the canonical positions
// when `hyphenated`.
std::optional<Uuid> ParseHex(std::string_view text, bool hyphenated) {
  Uuid id{};
  size_t digit = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    int v = HexValue(text[i]);
    if (v < 0) return std::nullopt;
    id.data[digit / 2] = static_cast<uint8_t>((id.data[digit / 2] << 4) | v);
    ++digit;
  }
  return id;
}

}  // namespace

Uuid NewRandomUuid() {
  thread_local boost::uuids::random_generator_mt19937 generator;
  return generator();
}

std::optional<Uuid> ParseUuid(std::string_view text) {
  if (text.starts_with("urn:uuid:")) text.remove_prefix(9);
  if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.size() == 36) return ParseHex(text, true);
  if (text.size() == 32) return ParseHex(text, false);
  return std::nullopt;
}

void FormatUuidTo(const Uuid& id, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  size_t pos = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kDigits[id.data[i] >> 4];
    out[pos++] = kDigits[id.data[i] & 0xf];
  }
}

std::string FormatUuid(const Uuid& id) {
  std::string text(36, '\0');
  FormatUuidTo(id, text.data());
  return text;
}

}  // namespace slotd
