#include "api/json/pydantic_uuid_error.h"

#include <cctype>

namespace slotd::api {
namespace {

constexpr size_t kGroupStarts[5] = {0, 9, 14, 19, 24};
constexpr size_t kGroupLengths[5] = {8, 4, 4, 4, 12};

std::string GroupLengthText(size_t group, size_t length) {
  return "invalid group length in group " + std::to_string(group) + ": expected " +
         std::to_string(kGroupLengths[group]) + ", found " + std::to_string(length);
}

// Length of the UTF-8 sequence starting with `lead`.
size_t SequenceLength(unsigned char lead) {
  return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

}  // namespace

std::string UuidErrorText(std::string_view text) {
  std::string_view body = text;
  size_t offset = 0;
  bool simple = false;
  if (body.size() >= 2 && body.front() == '{' && body.back() == '}') {
    body = body.substr(1, body.size() - 2);
    offset = 1;
  } else if (body.starts_with("urn:uuid:")) {
    body.remove_prefix(9);
    offset = 9;
  } else {
    simple = true;
  }
  size_t hyphens = 0;
  size_t group_ends[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < body.size(); ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c == '-') {
      if (hyphens < 4) group_ends[hyphens] = i;
      ++hyphens;
    } else if (!std::isxdigit(c)) {
      const size_t length = c < 0x80 ? 1 : SequenceLength(c);
      return "invalid character: found `" + std::string(body.substr(i, length)) + "` at " +
             std::to_string(i + offset);
    }
  }
  if (hyphens == 0 && simple) {
    return "invalid length: found " + std::to_string(text.size());
  }
  if (hyphens != 4) return "invalid group count: expected 5, found " + std::to_string(hyphens + 1);
  for (size_t group = 0; group < 4; ++group) {
    if (group_ends[group] != kGroupStarts[group + 1] - 1) {
      return GroupLengthText(group, group_ends[group] - kGroupStarts[group]);
    }
  }
  return GroupLengthText(4, body.size() - kGroupStarts[4]);
}

}  // namespace slotd::api
