// Helpers for the REST front's unit tests: JSON bodies parsed for the
// request parsers, and validation errors in a compact, readable form.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "api/json/validation_error.h"
#include "api/prefect/request_parsing.h"

namespace slotd::api::test {

// A body as Dispatch hands it to the parsers: nullopt for "" (no body) or
// JSON null. Owns its parser, so keep it alive while the result is used.
class ParsedBody {
 public:
  explicit ParsedBody(std::string_view json) {
    if (json.empty()) return;
    padded_ = simdjson::padded_string(json);
    simdjson::dom::element root = parser_.parse(padded_).value();
    if (!root.is_null()) body_ = root;
  }
  Body body() const { return body_; }

 private:
  simdjson::dom::parser parser_;
  simdjson::padded_string padded_;
  Body body_;
};

// ["body","names",0]
inline std::string LocText(const ValidationError& error) {
  std::string text = "[";
  for (const LocPart& part : error.loc) {
    if (text.size() > 1) text += ",";
    if (const auto* name = std::get_if<std::string_view>(&part)) {
      text += '"';
      text += *name;
      text += '"';
    } else {
      text += std::to_string(std::get<int64_t>(part));
    }
  }
  return text + "]";
}

// The 422 body's list of errors for `errors`, as the server writes it.
inline std::string DetailJson(const ValidationErrors& errors) {
  const std::string body = ValidationErrorBody(errors, "null");
  const size_t start = body.find('[');
  const size_t end = body.rfind(",\"request_body\"");
  return body.substr(start, end - start);
}

}  // namespace slotd::api::test
