#include "api/json/input_echo.h"

#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/json/writer.h"

namespace slotd::api {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

void Write(JsonWriter& writer, element value);

constexpr size_t kRepeatedKey = static_cast<size_t>(-1);

void WriteObject(JsonWriter& writer, simdjson::dom::object object) {
  std::vector<std::pair<std::string_view, element>> members;
  for (auto member : object) members.emplace_back(member.key, member.value);
  // value_of[i]: the member whose value is written at member i's place, or
  // kRepeatedKey when member i repeats an earlier key.
  std::vector<size_t> value_of(members.size());
  std::unordered_map<std::string_view, size_t> first_index;
  for (size_t i = 0; i < members.size(); ++i) {
    auto [at, inserted] = first_index.emplace(members[i].first, i);
    value_of[i] = inserted ? i : kRepeatedKey;
    value_of[at->second] = i;
  }
  writer.BeginObject();
  for (size_t i = 0; i < members.size(); ++i) {
    if (value_of[i] == kRepeatedKey) continue;
    writer.EscapedKey(members[i].first);
    Write(writer, members[value_of[i]].second);
  }
  writer.EndObject();
}

void Write(JsonWriter& writer, element value) {
  switch (value.type()) {
    case element_type::OBJECT:
      WriteObject(writer, value.get_object().value_unsafe());
      break;
    case element_type::ARRAY: {
      const simdjson::dom::array items = value.get_array().value_unsafe();
      writer.BeginArray();
      for (element item : items) Write(writer, item);
      writer.EndArray();
      break;
    }
    case element_type::STRING:
      writer.String(value.get_string().value_unsafe());
      break;
    case element_type::INT64:
      writer.Int(value.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      writer.Uint(value.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      writer.Double(value.get_double().value_unsafe());
      break;
    case element_type::BOOL:
      writer.Bool(value.get_bool().value_unsafe());
      break;
    case element_type::NULL_VALUE:
      writer.Null();
      break;
  }
}

}  // namespace

void AppendEchoedJson(std::string* out, element value) {
  JsonWriter writer(out);
  Write(writer, value);
}

std::string EchoedJson(element value) {
  std::string out;
  AppendEchoedJson(&out, value);
  return out;
}

}  // namespace slotd::api
