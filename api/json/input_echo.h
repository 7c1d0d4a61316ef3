// Echoes request JSON back in error bodies the way Prefect does: Python
// parses the body (json.loads) and FastAPI renders it again (json.dumps), so
// numbers, key order and duplicate keys come out as Python leaves them.
#pragma once

#include <simdjson.h>

#include <string>

namespace slotd::api {

// Appends `value` as compact JSON: floats as Python's repr ("1.0", "1e-05"),
// strings re-escaped like json.dumps(ensure_ascii=False), and of duplicate
// keys only one, at the first key's place with the last key's value (what a
// Python dict keeps).
void AppendEchoedJson(std::string* out, simdjson::dom::element value);

// AppendEchoedJson into a new string.
std::string EchoedJson(simdjson::dom::element value);

}  // namespace slotd::api
