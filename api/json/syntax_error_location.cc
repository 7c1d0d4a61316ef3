#include "api/json/syntax_error_location.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace slotd::api {
namespace {

// Deeper documents are rejected by simdjson and by Python (RecursionError).
constexpr int kMaxDepth = 1024;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether an integer token (optional '-', digits) fits simdjson's int64 or
// uint64 range.
bool IntegerFits(std::string_view token) {
  const bool negative = token.front() == '-';
  std::string_view digits = token.substr(negative ? 1 : 0);
  const std::string_view max = negative ? "9223372036854775808" : "18446744073709551615";
  if (digits.size() != max.size()) return digits.size() < max.size();
  return digits <= max;
}

bool FloatFits(std::string_view token) {
  const std::string copy(token);
  return std::isfinite(std::strtod(copy.c_str(), nullptr));
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  JsonDiagnosis Run() {
    size_t end = 0;
    if (Value(SkipWs(0), &end, 0)) {
      const size_t rest = SkipWs(end);
      if (rest != s_.size()) Fail(rest, "Extra data");
    }
    if (!failed_ && found_number_) return std::move(number_);
    JsonDiagnosis diagnosis;
    if (failed_) {
      diagnosis.kind = too_deep_ ? JsonDiagnosis::Kind::kOther : JsonDiagnosis::Kind::kSyntaxError;
      diagnosis.offset = CodePointOffset(error_at_);
      diagnosis.message = message_;
    }
    return diagnosis;
  }

 private:
  bool Fail(size_t at, std::string_view message) {
    failed_ = true;
    error_at_ = at;
    message_ = message;
    return false;
  }

  size_t SkipWs(size_t at) const {
    while (at < s_.size() &&
           (s_[at] == ' ' || s_[at] == '\t' || s_[at] == '\n' || s_[at] == '\r')) {
      ++at;
    }
    return at;
  }

  bool Literal(size_t at, std::string_view word, size_t* end) const {
    if (s_.substr(at, word.size()) != word) return false;
    *end = at + word.size();
    return true;
  }

  bool Value(size_t at, size_t* end, int depth) {
    if (depth > kMaxDepth) {
      too_deep_ = true;
      return Fail(at, "maximum nesting depth exceeded");
    }
    if (at >= s_.size()) return Fail(at, "Expecting value");
    switch (s_[at]) {
      case '"':
        return String(at, end);
      case '{':
        return Object(at + 1, end, depth + 1);
      case '[':
        return Array(at + 1, end, depth + 1);
      default:
        break;
    }
    for (std::string_view word : {"null", "true", "false", "NaN", "Infinity", "-Infinity"}) {
      if (Literal(at, word, end)) return true;
    }
    return Number(at, end);
  }

  // Python's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?, where an
  // incomplete fraction or exponent is left for the caller to trip over.
  bool Number(size_t at, size_t* end) {
    size_t i = at;
    if (i < s_.size() && s_[i] == '-') ++i;
    if (i >= s_.size() || !IsDigit(s_[i])) return Fail(at, "Expecting value");
    if (s_[i] == '0') {
      ++i;
    } else {
      while (i < s_.size() && IsDigit(s_[i])) ++i;
    }
    bool is_float = false;
    if (i + 1 < s_.size() && s_[i] == '.' && IsDigit(s_[i + 1])) {
      is_float = true;
      i += 2;
      while (i < s_.size() && IsDigit(s_[i])) ++i;
    }
    if (i < s_.size() && (s_[i] == 'e' || s_[i] == 'E')) {
      size_t j = i + 1;
      if (j < s_.size() && (s_[j] == '-' || s_[j] == '+')) ++j;
      const size_t digits_start = j;
      while (j < s_.size() && IsDigit(s_[j])) ++j;
      if (j > digits_start) {
        is_float = true;
        i = j;
      }
    }
    *end = i;
    const std::string_view token = s_.substr(at, i - at);
    if (!found_number_ && !(is_float ? FloatFits(token) : IntegerFits(token))) {
      found_number_ = true;
      number_.kind = JsonDiagnosis::Kind::kNumberOutOfRange;
      number_.path = path_;
      number_.token = token;
    }
    return true;
  }

  bool String(size_t at, size_t* end) {
    size_t i = at + 1;
    while (true) {
      while (i < s_.size() && s_[i] != '"' && s_[i] != '\\') {
        if (static_cast<unsigned char>(s_[i]) <= 0x1f)
          return Fail(i, "Invalid control character at");
        ++i;
      }
      if (i >= s_.size()) return Fail(at, "Unterminated string starting at");
      if (s_[i] == '"') {
        *end = i + 1;
        return true;
      }
      if (i + 1 >= s_.size()) return Fail(at, "Unterminated string starting at");
      const char escape = s_[i + 1];
      if (escape != 'u') {
        if (std::string_view("\"\\/bfnrt").find(escape) == std::string_view::npos) {
          return Fail(i, "Invalid \\escape");
        }
        i += 2;
        continue;
      }
      if (i + 6 >= s_.size()) return Fail(i + 1, "Invalid \\uXXXX escape");
      for (size_t k = i + 2; k < i + 6; ++k) {
        if (!std::isxdigit(static_cast<unsigned char>(s_[k]))) {
          return Fail(i + 1, "Invalid \\uXXXX escape");
        }
      }
      i += 6;
    }
  }

  bool Object(size_t at, size_t* end, int depth) {
    size_t i = SkipWs(at);
    if (i < s_.size() && s_[i] == '}') {
      *end = i + 1;
      return true;
    }
    path_.emplace_back(std::string_view());
    while (true) {
      if (i >= s_.size() || s_[i] != '"') {
        return Fail(i, "Expecting property name enclosed in double quotes");
      }
      size_t key_end = 0;
      if (!String(i, &key_end)) return false;
      path_.back() = s_.substr(i + 1, key_end - i - 2);
      i = SkipWs(key_end);
      if (i >= s_.size() || s_[i] != ':') return Fail(i, "Expecting ':' delimiter");
      if (!Value(SkipWs(i + 1), &i, depth)) return false;
      i = SkipWs(i);
      if (i < s_.size() && s_[i] == '}') break;
      if (i >= s_.size() || s_[i] != ',') return Fail(i, "Expecting ',' delimiter");
      i = SkipWs(i + 1);
    }
    path_.pop_back();
    *end = i + 1;
    return true;
  }

  bool Array(size_t at, size_t* end, int depth) {
    size_t i = SkipWs(at);
    if (i < s_.size() && s_[i] == ']') {
      *end = i + 1;
      return true;
    }
    path_.emplace_back(int64_t{0});
    while (true) {
      if (!Value(i, &i, depth)) return false;
      i = SkipWs(i);
      if (i < s_.size() && s_[i] == ']') break;
      if (i >= s_.size() || s_[i] != ',') return Fail(i, "Expecting ',' delimiter");
      i = SkipWs(i + 1);
      path_.back() = std::get<int64_t>(path_.back()) + 1;
    }
    path_.pop_back();
    *end = i + 1;
    return true;
  }

  int64_t CodePointOffset(size_t byte_offset) const {
    int64_t count = 0;
    for (size_t i = 0; i < byte_offset && i < s_.size(); ++i) {
      if ((static_cast<unsigned char>(s_[i]) & 0xc0) != 0x80) ++count;
    }
    return count;
  }

  std::string_view s_;
  std::vector<LocPart> path_;
  bool failed_ = false;
  bool too_deep_ = false;
  size_t error_at_ = 0;
  std::string_view message_;
  bool found_number_ = false;
  JsonDiagnosis number_;
};

}  // namespace

JsonDiagnosis DiagnoseJson(std::string_view text) { return Scanner(text).Run(); }

}  // namespace slotd::api
