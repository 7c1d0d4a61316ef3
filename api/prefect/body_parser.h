// Request bodies parsed with simdjson, and the answers Prefect gives to
// bodies that are not JSON.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string_view>

#include "api/prefect/context.h"
#include "api/prefect/request_parsing.h"
#include "api/prefect/responses.h"

namespace slotd::api {

// Whether FastAPI (as Prefect 3.9 configures it) reads the request's body as
// JSON: when its Content-Type's type is application/json or
// application/<anything>+json (parameters ignored, any case); without a
// Content-Type, when the body has a Content-Length (Prefect's middleware then
// assumes JSON). Any other body, an empty Content-Type included, stays bytes.
bool BodyIsJson(const ApiRequest& request);

// Parses one request body. A small body reuses the calling thread's parser
// and buffer (no allocation once warm); a large one gets a parser of its own,
// freed with this object, so no thread keeps a large parser alive. The
// parsed document lives as long as this object and must not outlive the
// thread's next parse.
class BodyParser {
 public:
  // Bodies up to this size use the thread's parser.
  static constexpr size_t kThreadParserLimit = 16 * 1024;

  // Parses a non-empty `raw`. On success *body is the document (nullopt for
  // JSON null, which FastAPI treats as no body). On failure writes Prefect's
  // answer to *out (422 json_invalid with the raw text as request_body, or
  // 400 for a body Python could not decode at all) and returns false.
  bool Parse(std::string_view raw, Body* body, ApiResponse* out);

 private:
  std::unique_ptr<simdjson::dom::parser> own_parser_;
  simdjson::padded_string own_buffer_;
};

}  // namespace slotd::api
