// JsonWriter: compact JSON appended to a std::string, byte for byte what
// FastAPI's JSONResponse sends (json.dumps with separators "," and ":" and
// ensure_ascii=False), plus the API's own value types: UUIDs in lowercase
// canonical form and timestamps with six fractional digits and "Z".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/time_source.h"
#include "engine/uuid.h"

namespace slotd::api {

// Appends `text` as a JSON string literal escaped as Python's json.dumps
// (ensure_ascii=False) does: \" \\ \n \r \t \b \f, other control characters
// as \u00XX, everything else, UTF-8 included, verbatim. A byte that is not
// part of valid UTF-8 becomes U+FFFD, so the output is always valid UTF-8.
void AppendJsonString(std::string* out, std::string_view text);

// Appends `2026-11-24T06:31:33.123456Z`, as pydantic writes a UTC datetime:
// six fractional digits, none for a whole second (`2026-11-24T06:31:33Z`).
void AppendTimestamp(std::string* out, TimePoint when);

// Writes values in order, inserting the commas. The caller pairs every
// Begin with its End and puts a Key before each value inside an object;
// a key and its value read as one field: writer.Key("limit").Int(limit).
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // An object key that needs no escaping (every field name of the API).
  JsonWriter& Key(std::string_view plain_key);
  // An object key from user input.
  void EscapedKey(std::string_view key);

  void String(std::string_view text);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Double(double value);  // Python's repr; must be finite
  void Bool(bool value);
  void Null();
  void Uuid(const slotd::Uuid& id);
  void Timestamp(TimePoint when);
  // A value already rendered as JSON.
  void Raw(std::string_view json);

 private:
  void Separate() {
    if (need_comma_) out_->push_back(',');
    need_comma_ = true;
  }
  void Open(char bracket) {
    Separate();
    out_->push_back(bracket);
    need_comma_ = false;
  }
  void Close(char bracket) {
    out_->push_back(bracket);
    need_comma_ = true;
  }

  std::string* out_;
  bool need_comma_ = false;  // a value was written at this level
};

}  // namespace slotd::api
