#include "api/json/body_fields.h"

#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>

#include "api/json/input_echo.h"
#include "api/json/pydantic_uuid_error.h"

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
  return result;
}

std::optional<bool> FieldReader::Bool(const LocNode& loc, element value) {
  if (value.type() == element_type::BOOL) return value.get_bool().value_unsafe();
  Record(TypeError(loc, kBoolType, EchoedJson(value)));
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

std::optional<size_t> FieldReader::Literal(const LocNode& loc, element value,
                                           std::span<const std::string_view> options,
                                           std::string_view expected) {
  if (value.type() == element_type::STRING) {
    const std::string_view text = value.get_string().value_unsafe();
    for (size_t i = 0; i < options.size(); ++i) {
      if (options[i] == text) return i;
    }
  }
  Record(LiteralError(loc, expected, EchoedJson(value)));
  return std::nullopt;
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
