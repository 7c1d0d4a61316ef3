// RFC 7240's Prefer header, the one preference slotd acts on: wait.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace slotd::api {

// The delta-seconds of the first `wait` preference in a Prefer field value
// ("respond-async, wait=10"; names are case-insensitive, optional
// whitespace around '=' and ';' parameters allowed, a quoted value read as
// its contents), saturated at 2^31 - 1. nullopt when there is none or its
// value is not a delta-seconds.
std::optional<int64_t> ParsePreferWait(std::string_view prefer);

}  // namespace slotd::api
