// Typed reads of JSON body values with pydantic's lax coercions and errors.
//
// Each reader takes a present value (null gets the type's error; callers decide
// what absence, and null for an Optional field, mean) and either returns the
// typed value or records one ValidationError and returns nullopt. Types are coerced as pydantic v2
// does in lax mode (Prefect 3.9.1's server): an integer takes a boolean, an
// integral number or a string of digits ("3", " 3 ", "1_000", "3.0"); a number
// takes a boolean or a numeric string; a boolean takes 0, 1 and the strings
// pydantic reads ("yes", "off", "t", ...). Strings stay strict.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "api/json/validation_error.h"
#include "engine/time_source.h"
#include "engine/uuid.h"

namespace slotd::api {

using simdjson::dom::element;

// Constraints on an integer, checked in this order.
struct IntRule {
  std::optional<int64_t> gt = std::nullopt;  // exclusive minimum
  std::optional<int64_t> ge = std::nullopt;  // inclusive minimum
  std::optional<int64_t> le = std::nullopt;  // inclusive maximum
};

// Constraints on a float; the Bound texts are what the error shows.
struct NumberRule {
  std::optional<double> gt = std::nullopt;
  Bound gt_text{};
  std::optional<double> ge = std::nullopt;
  Bound ge_text{};
  std::optional<double> le = std::nullopt;
  Bound le_text{};
};

class FieldReader {
 public:
  explicit FieldReader(ValidationErrors* errors) : errors_(errors) {}

  std::optional<int64_t> Int(const LocNode& loc, element value, IntRule rule = {});
  std::optional<double> Number(const LocNode& loc, element value, const NumberRule& rule = {});
  std::optional<bool> Bool(const LocNode& loc, element value);
  std::optional<std::string_view> String(const LocNode& loc, element value);
  // A string matching the limit-name pattern ^[^/%&><]+$.
  std::optional<std::string_view> Name(const LocNode& loc, element value);
  std::optional<Uuid> UuidValue(const LocNode& loc, element value);
  // A Prefect DateTime (api/json/prefect_datetime.h): a string or a number.
  std::optional<TimePoint> DateTime(const LocNode& loc, element value);
  // The index in `options` of the string given; the error lists them as
  // `expected` ("'a' or 'b'").
  std::optional<size_t> Literal(const LocNode& loc, element value,
                                std::span<const std::string_view> options,
                                std::string_view expected);
  // As Literal, for a Python Enum field (its error type is "enum").
  std::optional<size_t> Enum(const LocNode& loc, element value,
                             std::span<const std::string_view> options, std::string_view expected);
  // A list of strings (at least `min_items`), appended to *out.
  bool StringList(const LocNode& loc, element value, size_t min_items,
                  std::vector<std::string_view>* out);
  bool UuidList(const LocNode& loc, element value, std::vector<Uuid>* out);

  // Keeps the first kMaxReportedErrors errors; the rest only count as a
  // failure (ok() is already false).
  void Record(ValidationError error) {
    if (!full()) errors_->push_back(std::move(error));
  }
  bool ok() const { return errors_->empty(); }
  bool full() const { return errors_->size() >= kMaxReportedErrors; }
  size_t error_count() const { return errors_->size(); }

 private:
  template <typename T>
  using ItemReader = std::optional<T> (FieldReader::*)(const LocNode&, element);
  // A list whose items `read_item` reads, appended to *out; at least
  // `min_items` of them.
  template <typename T>
  bool List(const LocNode& loc, element value, size_t min_items, ItemReader<T> read_item,
            std::vector<T>* out);
  // A value above rule.le, or above int64 when the rule has no maximum.
  void RecordTooLarge(const LocNode& loc, element value, const IntRule& rule);

  ValidationErrors* errors_;
};

// The pattern of limit names (and so of tags).
inline constexpr std::string_view kNamePattern = "^[^/%&><]+$";

// The members of a JSON object matched to a schema's field names (at most
// kMaxFields). A later duplicate key replaces an earlier one, as in Python's
// json.loads. A default-constructed ObjectFields is an absent body: every
// field is absent.
class ObjectFields {
 public:
  static constexpr size_t kMaxFields = 8;

  ObjectFields() = default;
  ObjectFields(simdjson::dom::object object, std::span<const std::string_view> names);

  // The value given for field `index` (its position in `names`), null
  // included; nullptr when the key is absent.
  const element* Find(size_t index) const { return given_[index] ? &values_[index] : nullptr; }
  // As Find, but null counts as absent (an optional field's "not given").
  const element* FindNonNull(size_t index) const;

  // Records an extra_forbidden error for every member whose key is not a
  // field name (once per distinct key, in input order, with the last value).
  void ForbidExtras(const LocNode& parent, FieldReader* reader) const;

 private:
  std::optional<simdjson::dom::object> object_;
  std::span<const std::string_view> names_;
  element values_[kMaxFields];
  bool given_[kMaxFields] = {};
};

// The root location of every body field.
inline constexpr LocNode kBodyLoc{nullptr, std::string_view("body")};

// Opens a body that is one pydantic model (FastAPI's single body parameter):
// no body records "missing" at ["body"], a non-object records
// model_attributes_type there; both return false.
bool OpenModelBody(std::optional<element> body, std::span<const std::string_view> names,
                   FieldReader* reader, ObjectFields* fields);

// Opens a body of several FastAPI Body() parameters: no body leaves every
// field absent; a body that is not an object records "missing" (input null)
// for every field, as FastAPI does, and returns false.
bool OpenEmbeddedBody(std::optional<element> body, std::span<const std::string_view> names,
                      FieldReader* reader, ObjectFields* fields);

// A required model field: absent records "missing" with the whole object as
// input and returns nullptr; null is returned (the type check rejects it).
const element* RequireModelField(const ObjectFields& fields, size_t index, const LocNode& loc,
                                 element object, FieldReader* reader);

// A required Body() parameter: absent or null records "missing" (input null).
const element* RequireEmbeddedField(const ObjectFields& fields, size_t index, const LocNode& loc,
                                    FieldReader* reader);

}  // namespace slotd::api
