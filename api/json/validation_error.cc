#include "api/json/validation_error.h"

#include <algorithm>

#include "api/json/writer.h"

namespace slotd::api {
namespace {

std::string_view FixedMessage(std::string_view type) {
  if (type == kIntType) return "Input should be a valid integer";
  if (type == kIntFromFloat)
    return "Input should be a valid integer, got a number with a fractional part";
  if (type == kFloatType) return "Input should be a valid number";
  if (type == kBoolType) return "Input should be a valid boolean";
  if (type == kStringType) return "Input should be a valid string";
  if (type == kListType) return "Input should be a valid list";
  if (type == kUuidType) return "UUID input should be a string, bytes or UUID object";
  if (type == kModelAttributesType)
    return "Input should be a valid dictionary or object to extract fields from";
  if (type == kFiniteNumber) return "Input should be a finite number";
  if (type == kIntParsing)
    return "Input should be a valid integer, unable to parse string as an integer";
  if (type == kFloatParsing)
    return "Input should be a valid number, unable to parse string as a number";
  if (type == kBoolParsing) return "Input should be a valid boolean, unable to interpret input";
  return "Invalid input";
}

std::string_view BoundPhrase(std::string_view type) {
  if (type == kGreaterThan) return "greater than ";
  if (type == kGreaterThanEqual) return "greater than or equal to ";
  return "less than or equal to ";
}

std::string_view BoundKey(std::string_view type) {
  if (type == kGreaterThan) return "gt";
  if (type == kGreaterThanEqual) return "ge";
  return "le";
}

// {"key":value} with a plain key and a rendered value.
std::string CtxObject(std::string_view key, std::string_view value_json) {
  std::string ctx;
  JsonWriter writer(&ctx);
  writer.BeginObject();
  writer.Key(key).Raw(value_json);
  writer.EndObject();
  return ctx;
}

std::string QuotedJson(std::string_view text) {
  std::string json;
  AppendJsonString(&json, text);
  return json;
}

ValidationError Make(const LocNode& loc, std::string msg, std::string_view type,
                     std::string input_json, std::string ctx = {}) {
  return ValidationError{LocPath(loc), std::move(msg), type, std::move(input_json), std::move(ctx)};
}

void WriteError(JsonWriter& writer, const ValidationError& error) {
  writer.BeginObject();
  writer.Key("type").String(error.type);
  writer.Key("loc").BeginArray();
  for (const LocPart& part : error.loc) {
    if (const auto* name = std::get_if<std::string_view>(&part)) {
      writer.String(*name);
    } else {
      writer.Int(std::get<int64_t>(part));
    }
  }
  writer.EndArray();
  writer.Key("msg").String(error.msg);
  writer.Key("input").Raw(error.input);
  if (!error.ctx.empty()) {
    writer.Key("ctx").Raw(error.ctx);
  }
  writer.EndObject();
}

}  // namespace

std::vector<LocPart> LocPath(const LocNode& node) {
  std::vector<LocPart> path;
  for (const LocNode* at = &node; at != nullptr; at = at->parent) path.push_back(at->part);
  std::reverse(path.begin(), path.end());
  return path;
}

ValidationError MissingError(const LocNode& loc, std::string input_json) {
  return Make(loc, "Field required", "missing", std::move(input_json));
}

ValidationError ExtraForbiddenError(const LocNode& loc, std::string input_json) {
  return Make(loc, "Extra inputs are not permitted", "extra_forbidden", std::move(input_json));
}

ValidationError TypeError(const LocNode& loc, std::string_view type, std::string input_json) {
  return Make(loc, std::string(FixedMessage(type)), type, std::move(input_json));
}

ValidationError BoundError(const LocNode& loc, std::string_view type, const Bound& bound,
                           std::string input_json) {
  std::string msg = "Input should be ";
  msg += BoundPhrase(type);
  msg += bound.message_text;
  return Make(loc, std::move(msg), type, std::move(input_json),
              CtxObject(BoundKey(type), bound.ctx_json));
}

ValidationError TooShortError(const LocNode& loc, std::string input_json) {
  return Make(loc, "List should have at least 1 item after validation, not 0", "too_short",
              std::move(input_json), R"({"field_type":"List","min_length":1,"actual_length":0})");
}

ValidationError StringTooLongError(const LocNode& loc, size_t max_length, std::string input_json) {
  const std::string bound = std::to_string(max_length);
  return Make(loc, "String should have at most " + bound + " characters", "string_too_long",
              std::move(input_json), CtxObject("max_length", bound));
}

ValidationError DateTimeError(const LocNode& loc, const std::string_view* text,
                              std::string input_json) {
  if (text == nullptr) return Make(loc, "value is not a valid datetime", "value_error", input_json);
  std::string msg = "Value error, Unable to parse string [";
  msg += *text;
  msg += "]";
  return Make(loc, std::move(msg), "value_error", std::move(input_json), R"({"error":{}})");
}

ValidationError PatternError(const LocNode& loc, std::string_view pattern, std::string input_json) {
  std::string msg = "String should match pattern '";
  msg += pattern;
  msg += "'";
  return Make(loc, std::move(msg), "string_pattern_mismatch", std::move(input_json),
              CtxObject("pattern", QuotedJson(pattern)));
}

ValidationError LiteralError(const LocNode& loc, std::string_view expected,
                             std::string input_json) {
  std::string msg = "Input should be ";
  msg += expected;
  return Make(loc, std::move(msg), "literal_error", std::move(input_json),
              CtxObject("expected", QuotedJson(expected)));
}

ValidationError NotASequenceError(const LocNode& loc, std::string input_json) {
  return Make(loc, "Input should be an instance of Sequence", "is_instance_of",
              std::move(input_json), R"({"class":"Sequence"})");
}

ValidationError EnumError(const LocNode& loc, std::string_view expected, std::string input_json) {
  std::string msg = "Input should be ";
  msg += expected;
  return Make(loc, std::move(msg), "enum", std::move(input_json),
              CtxObject("expected", QuotedJson(expected)));
}

ValidationError UuidParsingError(const LocNode& loc, std::string_view reason,
                                 std::string input_json) {
  std::string msg = "Input should be a valid UUID, ";
  msg += reason;
  return Make(loc, std::move(msg), "uuid_parsing", std::move(input_json),
              CtxObject("error", QuotedJson(reason)));
}

ValidationError JsonInvalidError(int64_t offset, std::string_view reason) {
  const LocNode body{nullptr, std::string_view("body")};
  const LocNode at{&body, offset};
  return Make(at, "JSON decode error", "json_invalid", "{}",
              CtxObject("error", QuotedJson(reason)));
}

std::string ValidationErrorBody(const ValidationErrors& errors,
                                std::string_view request_body_json) {
  std::string list;
  JsonWriter list_writer(&list);
  list_writer.BeginArray();
  for (const ValidationError& error : errors) WriteError(list_writer, error);
  list_writer.EndArray();

  std::string body;
  body.reserve(list.size() + request_body_json.size() + 96);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("exception_message").String("Invalid request received.");
  writer.Key("exception_detail").Raw(list);
  writer.Key("request_body").Raw(request_body_json);
  writer.EndObject();
  return body;
}

}  // namespace slotd::api
