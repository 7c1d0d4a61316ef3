#include "api/prefect/prefer.h"

#include <algorithm>
#include <cctype>

namespace slotd::api {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

std::optional<int64_t> DeltaSeconds(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (value.empty()) return std::nullopt;
  constexpr int64_t kMax = (int64_t{1} << 31) - 1;
  int64_t seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min(kMax, seconds * 10 + (c - '0'));
  }
  return seconds;
}

}  // namespace

std::optional<int64_t> ParsePreferWait(std::string_view prefer) {
  while (!prefer.empty()) {
    const size_t comma = prefer.find(',');
    std::string_view preference = prefer.substr(0, comma);
    prefer = comma == std::string_view::npos ? std::string_view() : prefer.substr(comma + 1);
    preference = preference.substr(0, preference.find(';'));  // parameters are ignored
    const size_t equals = preference.find('=');
    if (equals == std::string_view::npos) continue;
    if (!EqualsNoCase(Trim(preference.substr(0, equals)), "wait")) continue;
    return DeltaSeconds(Trim(preference.substr(equals + 1)));
  }
  return std::nullopt;
}

}  // namespace slotd::api
