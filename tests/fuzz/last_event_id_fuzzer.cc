// Fuzzes the Last-Event-ID parser (api/prefect/change_feed.h) against an
// oracle of its own: a value parses exactly when it is 1 to 20 ASCII digits
// whose number fits in a uint64, and then to that number, which prints back
// as the value without its leading zeros.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "api/prefect/change_feed.h"

namespace {

std::optional<uint64_t> Oracle(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned __int128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > UINT64_MAX) return std::nullopt;
  }
  return static_cast<uint64_t>(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<uint64_t> parsed = slotd::api::ParseLastEventId(text);
  const std::optional<uint64_t> expected = text.size() <= 20 ? Oracle(text) : std::nullopt;
  if (parsed != expected) std::abort();
  if (parsed) {
    const size_t first = text.find_first_not_of('0');
    const std::string_view digits = first == std::string_view::npos ? "0" : text.substr(first);
    if (std::to_string(*parsed) != digits) std::abort();
  }
  return 0;
}
