// Explains a request body simdjson rejected in the terms Prefect would use.
//
// Prefect parses bodies with Python's json module, which reports the first
// syntax error with a position and a message of its own ("Expecting value",
// "Expecting ',' delimiter", ...), and which accepts some documents simdjson
// does not (integers beyond 64 bits, say). This scanner follows Python's
// decoder closely enough to say which case a rejected body is. It runs only
// on rejected bodies, never on the hot path.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "api/json/validation_error.h"

namespace slotd::api {

struct JsonDiagnosis {
  enum class Kind {
    kSyntaxError,       // Python raises JSONDecodeError at `offset` with `message`
    kNumberOutOfRange,  // valid JSON; the number `token` at `path` does not fit
    kOther,             // valid as far as the scanner sees (e.g. nesting too deep)
  };
  Kind kind = Kind::kOther;
  int64_t offset = 0;         // in code points, as Python counts string positions
  std::string_view message;   // Python's wording
  std::vector<LocPart> path;  // keys (raw text) and indices, from the root
  std::string_view token;
};

JsonDiagnosis DiagnoseJson(std::string_view text);

}  // namespace slotd::api
