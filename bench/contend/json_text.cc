#include "json_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "api/json/writer.h"

namespace slotd::contend {

std::string JsonQuote(std::string_view text) {
  std::string out;
  api::AppendJsonString(&out, text);
  return out;
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace slotd::contend
