#include "api/json/body_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <unordered_map>

#include "api/json/input_echo.h"
#include "api/json/prefect_datetime.h"
#include "api/json/pydantic_uuid_error.h"
#include "api/json/python_text.h"

namespace slotd::api {
namespace {

using simdjson::dom::element_type;

constexpr Bound kInt64Max{"9223372036854775807", "9223372036854775807"};
constexpr Bound kInt64Min{"-9223372036854775808", "-9223372036854775808"};
// 2^63: the first double above the int64 range.
constexpr double kTwoTo63 = 9223372036854775808.0;

bool IsValidName(std::string_view name) {
  return !name.empty() && name.find_first_of("/%&><") == std::string_view::npos;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view StripWhitespace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Digits with single underscores between them (Python's numeric literal
// grammar, which pydantic follows), appended to *out without the underscores.
bool TakeDigits(std::string_view text, std::string* out) {
  if (text.empty() || !IsDigit(text.front()) || !IsDigit(text.back())) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      if (!IsDigit(text[i - 1]) || !IsDigit(text[i + 1])) return false;
    } else if (IsDigit(text[i])) {
      out->push_back(text[i]);
    } else {
      return false;
    }
  }
  return true;
}

// pydantic's lax str -> int: surrounding whitespace, a sign, digits (with
// underscores) and optionally a fraction of zeros ("3.0"). nullopt when the
// text is no integer; *too_large when it is one beyond int64.
std::optional<int64_t> IntFromString(std::string_view text, bool* too_large) {
  text = StripWhitespace(text);
  bool negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  std::string digits;
  if (!TakeDigits(text.substr(0, dot), &digits)) return std::nullopt;
  if (dot != std::string_view::npos) {
    const std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.find_first_not_of('0') != std::string_view::npos) {
      return std::nullopt;
    }
  }
  const size_t first = std::min(digits.find_first_not_of('0'), digits.size());
  const std::string_view significant = std::string_view(digits).substr(first);
  if (significant.size() > 19 ||
      (significant.size() == 19 && significant > "9223372036854775807")) {
    *too_large = true;
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : significant) value = value * 10 + (c - '0');
  return negative ? -value : value;
}

// pydantic's lax str -> float: Rust's float grammar after whitespace is
// stripped and underscores between digits are dropped, "inf", "infinity"
// and "nan" in any case included.
std::optional<double> NumberFromString(std::string_view text) {
  text = StripWhitespace(text);
  std::string plain;
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) plain.push_back(text[i++]);
  const std::string_view word = text.substr(i);
  const bool nan = EqualsIgnoreCase(word, "nan");
  if (nan || EqualsIgnoreCase(word, "inf") || EqualsIgnoreCase(word, "infinity")) {
    const double value =
        nan ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    return plain == "-" ? -value : value;
  }
  const std::string_view rest = text.substr(i);
  const size_t exponent = rest.find_first_of("eE");
  const std::string_view mantissa = rest.substr(0, exponent);
  const size_t dot = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  if (!whole.empty() && !TakeDigits(whole, &plain)) return std::nullopt;
  plain.push_back('.');
  if (!fraction.empty() && !TakeDigits(fraction, &plain)) return std::nullopt;
  if (exponent != std::string_view::npos) {
    std::string_view power = rest.substr(exponent + 1);
    plain.push_back('e');
    if (!power.empty() && (power.front() == '+' || power.front() == '-')) {
      plain.push_back(power.front());
      power.remove_prefix(1);
    }
    if (!TakeDigits(power, &plain)) return std::nullopt;
  }
  return std::strtod(plain.c_str(), nullptr);
}

// The strings pydantic reads as booleans (in any case).
std::optional<bool> BoolFromString(std::string_view text) {
  for (std::string_view yes : {"1", "on", "t", "true", "y", "yes"}) {
    if (EqualsIgnoreCase(text, yes)) return true;
  }
  for (std::string_view no : {"0", "off", "f", "false", "n", "no"}) {
    if (EqualsIgnoreCase(text, no)) return false;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> FieldReader::Int(const LocNode& loc, element value, IntRule rule) {
  int64_t result = 0;
  switch (value.type()) {
    case element_type::INT64:
      result = value.get_int64().value_unsafe();
      break;
    case element_type::UINT64:
      RecordTooLarge(loc, value, rule);
      return std::nullopt;
    case element_type::DOUBLE: {
      const double number = value.get_double().value_unsafe();
      if (number != std::trunc(number)) {
        Record(TypeError(loc, kIntFromFloat, EchoedJson(value)));
        return std::nullopt;
      }
      if (number >= kTwoTo63) {
        RecordTooLarge(loc, value, rule);
        return std::nullopt;
      }
      if (number < -kTwoTo63) {
        Record(BoundError(loc, kGreaterThanEqual, kInt64Min, EchoedJson(value)));
        return std::nullopt;
      }
      result = static_cast<int64_t>(number);
      break;
    }
    case element_type::BOOL:
      result = value.get_bool().value_unsafe() ? 1 : 0;
      break;
    case element_type::STRING: {
      bool too_large = false;
      std::optional<int64_t> parsed = IntFromString(value.get_string().value_unsafe(), &too_large);
      if (too_large) {
        RecordTooLarge(loc, value, rule);
        return std::nullopt;
      }
      if (!parsed) {
        Record(TypeError(loc, kIntParsing, EchoedJson(value)));
        return std::nullopt;
      }
      result = *parsed;
      break;
    }
    default:
      Record(TypeError(loc, kIntType, EchoedJson(value)));
      return std::nullopt;
  }
  if (rule.gt && result <= *rule.gt) {
    const std::string text = std::to_string(*rule.gt);
    Record(BoundError(loc, kGreaterThan, {text, text}, EchoedJson(value)));
    return std::nullopt;
  }
  if (rule.ge && result < *rule.ge) {
    const std::string text = std::to_string(*rule.ge);
    Record(BoundError(loc, kGreaterThanEqual, {text, text}, EchoedJson(value)));
    return std::nullopt;
  }
  if (rule.le && result > *rule.le) {
    RecordTooLarge(loc, value, rule);
    return std::nullopt;
  }
  return result;
}

void FieldReader::RecordTooLarge(const LocNode& loc, element value, const IntRule& rule) {
  if (!rule.le) {
    Record(BoundError(loc, kLessThanEqual, kInt64Max, EchoedJson(value)));
    return;
  }
  const std::string text = std::to_string(*rule.le);
  Record(BoundError(loc, kLessThanEqual, {text, text}, EchoedJson(value)));
}

std::optional<double> FieldReader::Number(const LocNode& loc, element value,
                                          const NumberRule& rule) {
  double result = 0;
  switch (value.type()) {
    case element_type::INT64:
      result = static_cast<double>(value.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      result = static_cast<double>(value.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      result = value.get_double().value_unsafe();
      break;
    case element_type::BOOL:
      result = value.get_bool().value_unsafe() ? 1.0 : 0.0;
      break;
    case element_type::STRING: {
      std::optional<double> parsed = NumberFromString(value.get_string().value_unsafe());
      if (!parsed) {
        Record(TypeError(loc, kFloatParsing, EchoedJson(value)));
        return std::nullopt;
      }
      result = *parsed;
      break;
    }
    default:
      Record(TypeError(loc, kFloatType, EchoedJson(value)));
      return std::nullopt;
  }
  if (rule.gt && !(result > *rule.gt)) {
    Record(BoundError(loc, kGreaterThan, rule.gt_text, EchoedJson(value)));
    return std::nullopt;
  }
  if (rule.ge && !(result >= *rule.ge)) {
    Record(BoundError(loc, kGreaterThanEqual, rule.ge_text, EchoedJson(value)));
    return std::nullopt;
  }
  if (rule.le && !(result <= *rule.le)) {
    Record(BoundError(loc, kLessThanEqual, rule.le_text, EchoedJson(value)));
    return std::nullopt;
  }
  // Deviation (API.md): Prefect stores an infinity that passes the bounds
  // ("inf" as a decay rate); slotd's engine takes finite numbers only.
  if (!std::isfinite(result)) {
    Record(TypeError(loc, kFiniteNumber, EchoedJson(value)));
    return std::nullopt;
  }
  return result;
}

std::optional<bool> FieldReader::Bool(const LocNode& loc, element value) {
  std::optional<bool> result;
  switch (value.type()) {
    case element_type::BOOL:
      return value.get_bool().value_unsafe();
    case element_type::STRING:
      result = BoolFromString(value.get_string().value_unsafe());
      break;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      const double number = value.get_double().value_unsafe();
      if (number != std::trunc(number)) break;  // a fraction is no boolean at all
      if (number == 0 || number == 1) return number == 1;
      Record(TypeError(loc, kBoolParsing, EchoedJson(value)));
      return std::nullopt;
    }
    default:
      break;
  }
  if (result) return result;
  const bool parsing = value.type() == element_type::STRING;
  Record(TypeError(loc, parsing ? kBoolParsing : kBoolType, EchoedJson(value)));
  return std::nullopt;
}

std::optional<std::string_view> FieldReader::String(const LocNode& loc, element value) {
  if (value.type() == element_type::STRING) return value.get_string().value_unsafe();
  Record(TypeError(loc, kStringType, EchoedJson(value)));
  return std::nullopt;
}

std::optional<std::string_view> FieldReader::Name(const LocNode& loc, element value) {
  std::optional<std::string_view> name = String(loc, value);
  if (name && !IsValidName(*name)) {
    Record(PatternError(loc, kNamePattern, EchoedJson(value)));
    return std::nullopt;
  }
  return name;
}

std::optional<Uuid> FieldReader::UuidValue(const LocNode& loc, element value) {
  if (value.type() != element_type::STRING) {
    Record(TypeError(loc, kUuidType, EchoedJson(value)));
    return std::nullopt;
  }
  const std::string_view text = value.get_string().value_unsafe();
  std::optional<Uuid> id = ParseUuid(text);
  if (!id) Record(UuidParsingError(loc, UuidErrorText(text), EchoedJson(value)));
  return id;
}

std::optional<TimePoint> FieldReader::DateTime(const LocNode& loc, element value) {
  std::optional<TimePoint> when;
  switch (value.type()) {
    case element_type::INT64:
      when = DateTimeFromUnix(static_cast<double>(value.get_int64().value_unsafe()));
      break;
    case element_type::UINT64:
      when = DateTimeFromUnix(static_cast<double>(value.get_uint64().value_unsafe()));
      break;
    case element_type::DOUBLE:
      when = DateTimeFromUnix(value.get_double().value_unsafe());
      break;
    case element_type::STRING: {
      const std::string_view text = value.get_string().value_unsafe();
      when = ParseDateTimeText(text);
      if (!when) Record(DateTimeError(loc, &text, EchoedJson(value)));
      return when;
    }
    default:
      break;
  }
  if (!when) Record(DateTimeError(loc, nullptr, EchoedJson(value)));
  return when;
}

namespace {

std::optional<size_t> IndexOf(element value, std::span<const std::string_view> options) {
  if (value.type() != element_type::STRING) return std::nullopt;
  const std::string_view text = value.get_string().value_unsafe();
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i] == text) return i;
  }
  return std::nullopt;
}

}  // namespace

std::optional<size_t> FieldReader::Literal(const LocNode& loc, element value,
                                           std::span<const std::string_view> options,
                                           std::string_view expected) {
  std::optional<size_t> index = IndexOf(value, options);
  if (!index) Record(LiteralError(loc, expected, EchoedJson(value)));
  return index;
}

std::optional<size_t> FieldReader::Enum(const LocNode& loc, element value,
                                        std::span<const std::string_view> options,
                                        std::string_view expected) {
  std::optional<size_t> index = IndexOf(value, options);
  if (!index) Record(EnumError(loc, expected, EchoedJson(value)));
  return index;
}

template <typename T>
bool FieldReader::List(const LocNode& loc, element value, size_t min_items, ItemReader<T> read_item,
                       std::vector<T>* out) {
  if (value.type() != element_type::ARRAY) {
    Record(TypeError(loc, kListType, EchoedJson(value)));
    return false;
  }
  bool all_valid = true;
  int64_t index = 0;
  const simdjson::dom::array items = value.get_array().value_unsafe();
  for (element item : items) {
    if (full()) return false;  // nothing more would be reported
    const LocNode item_loc{&loc, index++};
    std::optional<T> parsed = (this->*read_item)(item_loc, item);
    if (parsed) {
      out->push_back(*parsed);
    } else {
      all_valid = false;
    }
  }
  if (all_valid && static_cast<size_t>(index) < min_items) {
    Record(TooShortError(loc, EchoedJson(value)));
    return false;
  }
  return all_valid;
}

bool FieldReader::StringList(const LocNode& loc, element value, size_t min_items,
                             std::vector<std::string_view>* out) {
  return List(loc, value, min_items, &FieldReader::String, out);
}

bool FieldReader::UuidList(const LocNode& loc, element value, std::vector<Uuid>* out) {
  return List(loc, value, 0, &FieldReader::UuidValue, out);
}

ObjectFields::ObjectFields(simdjson::dom::object object, std::span<const std::string_view> names)
    : object_(object), names_(names) {
  for (auto member : object) {
    for (size_t i = 0; i < names_.size() && i < kMaxFields; ++i) {
      if (names_[i] == member.key) {
        values_[i] = member.value;
        given_[i] = true;
        break;
      }
    }
  }
}

const element* ObjectFields::FindNonNull(size_t index) const {
  const element* value = Find(index);
  return value != nullptr && !value->is_null() ? value : nullptr;
}

void ObjectFields::ForbidExtras(const LocNode& parent, FieldReader* reader) const {
  std::vector<std::pair<std::string_view, element>> extras;
  std::unordered_map<std::string_view, size_t> index_of;
  if (!object_) return;
  for (auto member : *object_) {
    bool known = false;
    for (std::string_view name : names_) known = known || name == member.key;
    if (known) continue;
    auto [at, inserted] = index_of.emplace(member.key, extras.size());
    if (inserted) {
      extras.emplace_back(member.key, member.value);
    } else {
      extras[at->second].second = member.value;  // a Python dict keeps the last value
    }
  }
  for (const auto& [key, value] : extras) {
    const LocNode loc{&parent, key};
    reader->Record(ExtraForbiddenError(loc, EchoedJson(value)));
  }
}

bool OpenModelBody(std::optional<element> body, std::span<const std::string_view> names,
                   FieldReader* reader, ObjectFields* fields) {
  if (!body) {
    reader->Record(MissingError(kBodyLoc, "null"));
    return false;
  }
  if (body->type() != element_type::OBJECT) {
    reader->Record(TypeError(kBodyLoc, kModelAttributesType, EchoedJson(*body)));
    return false;
  }
  *fields = ObjectFields(body->get_object().value_unsafe(), names);
  return true;
}

bool OpenEmbeddedBody(std::optional<element> body, std::span<const std::string_view> names,
                      FieldReader* reader, ObjectFields* fields) {
  if (!body) return true;
  if (body->type() != element_type::OBJECT) {
    for (std::string_view name : names) reader->Record(MissingError({&kBodyLoc, name}, "null"));
    return false;
  }
  *fields = ObjectFields(body->get_object().value_unsafe(), names);
  return true;
}

const element* RequireModelField(const ObjectFields& fields, size_t index, const LocNode& loc,
                                 element object, FieldReader* reader) {
  const element* value = fields.Find(index);
  if (value == nullptr) reader->Record(MissingError(loc, EchoedJson(object)));
  return value;
}

const element* RequireEmbeddedField(const ObjectFields& fields, size_t index, const LocNode& loc,
                                    FieldReader* reader) {
  const element* value = fields.FindNonNull(index);
  if (value == nullptr) reader->Record(MissingError(loc, "null"));
  return value;
}

}  // namespace slotd::api
