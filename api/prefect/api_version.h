// The x-prefect-api-version check Prefect runs (as a dependency) on every
// route but /health and /version.
#pragma once

#include <string>
#include <string_view>

namespace slotd::api {

enum class ApiVersionCheck { kOk, kMalformed, kTooOld };

// The oldest client API version Prefect's server accepts.
inline constexpr std::string_view kMinimumApiVersion = "0.8.0";

// An empty header passes (Prefect treats it as absent). Otherwise it must be
// three integers as Python's int() reads them ("x.y.z"), and not below
// kMinimumApiVersion.
ApiVersionCheck CheckApiVersion(std::string_view header);

// The 400 detail message for a failed check, quoting the header (its bytes
// read as Latin-1, as Starlette reads header values).
std::string ApiVersionErrorDetail(ApiVersionCheck check, std::string_view header);

}  // namespace slotd::api
