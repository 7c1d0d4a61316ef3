#include "api/prefect/body_parser.h"

#include <cstring>
#include <string>
#include <vector>

#include "api/json/python_text.h"
#include "api/json/syntax_error_location.h"
#include "api/json/writer.h"

namespace slotd::api {
namespace {

using simdjson::dom::element;

// FastAPI's answer when a body fails to decode for a reason other than JSON
// syntax (not UTF-8, too deeply nested).
void RespondUnreadable(ApiResponse* out) {
  RespondDetail(out, 400, "There was an error parsing the body");
}

// Valid JSON holding a number simdjson cannot represent (Python would take
// it): a 422 at that number, with the body echoed as sent.
void RespondNumberOutOfRange(std::string_view raw, const JsonDiagnosis& diagnosis,
                             ApiResponse* out) {
  std::vector<LocNode> nodes;
  nodes.reserve(diagnosis.path.size() + 1);
  nodes.push_back({nullptr, std::string_view("body")});
  for (const LocPart& part : diagnosis.path) nodes.push_back({&nodes.back(), part});
  const LocNode& loc = nodes.back();
  const std::string token(diagnosis.token);
  const bool integer = token.find_first_of(".eE") == std::string::npos;
  ValidationError error;
  if (!integer) {
    error = TypeError(loc, kFiniteNumber, token);
  } else if (token.front() == '-') {
    error =
        BoundError(loc, kGreaterThanEqual, {"-9223372036854775808", "-9223372036854775808"}, token);
  } else {
    error = BoundError(loc, kLessThanEqual, {"9223372036854775807", "9223372036854775807"}, token);
  }
  RespondInvalid(out, {std::move(error)}, raw);
}

void RespondMalformed(std::string_view raw, ApiResponse* out) {
  const JsonDiagnosis diagnosis = DiagnoseJson(raw);
  switch (diagnosis.kind) {
    case JsonDiagnosis::Kind::kSyntaxError: {
      std::string raw_json;
      AppendJsonString(&raw_json, raw);
      RespondInvalid(out, {JsonInvalidError(diagnosis.offset, diagnosis.message)}, raw_json);
      return;
    }
    case JsonDiagnosis::Kind::kNumberOutOfRange:
      return RespondNumberOutOfRange(raw, diagnosis, out);
    case JsonDiagnosis::Kind::kOther:
      return RespondUnreadable(out);
  }
}

struct ThreadBuffer {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;
};

std::string_view StripSpace(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

bool BodyIsJson(const ApiRequest& request) {
  if (!request.content_type) return !request.chunked;
  // email.message's get_content_type: the part before any ';', stripped and
  // compared without case, must hold exactly one '/'. Read in place: every
  // request with a body passes here.
  const std::string_view type =
      StripSpace(request.content_type->substr(0, request.content_type->find(';')));
  const size_t slash = type.find('/');
  if (slash == std::string_view::npos || type.find('/', slash + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view subtype = type.substr(slash + 1);
  return EqualsIgnoreCase(type.substr(0, slash), "application") &&
         (EqualsIgnoreCase(subtype, "json") ||
          (subtype.size() >= 5 && EqualsIgnoreCase(subtype.substr(subtype.size() - 5), "+json")));
}

bool BodyParser::Parse(std::string_view raw, Body* body, ApiResponse* out) {
  // Python decodes a body with a UTF-8 byte order mark as utf-8-sig.
  if (raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);
  simdjson::simdjson_result<element> result;
  if (raw.size() <= kThreadParserLimit) {
    thread_local simdjson::dom::parser parser;
    thread_local ThreadBuffer buffer;
    const size_t needed = raw.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.capacity < needed) {
      buffer.capacity = std::max(needed, kThreadParserLimit + simdjson::SIMDJSON_PADDING);
      buffer.data = std::make_unique<char[]>(buffer.capacity);
    }
    std::memcpy(buffer.data.get(), raw.data(), raw.size());
    std::memset(buffer.data.get() + raw.size(), 0, simdjson::SIMDJSON_PADDING);
    result = parser.parse(buffer.data.get(), raw.size(), /*realloc_if_needed=*/false);
  } else {
    own_parser_ = std::make_unique<simdjson::dom::parser>();
    own_buffer_ = simdjson::padded_string(raw);
    result = own_parser_->parse(own_buffer_);
  }
  if (result.error() == simdjson::UTF8_ERROR) {
    RespondUnreadable(out);
    return false;
  }
  if (result.error() != simdjson::SUCCESS) {
    RespondMalformed(raw, out);
    return false;
  }
  const element root = result.value_unsafe();
  *body = root.is_null() ? Body() : Body(root);
  return true;
}

}  // namespace slotd::api
