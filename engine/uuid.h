// Ids: random (version 4) UUIDs, Boost.Uuid's type.
#pragma once

#include <boost/uuid/uuid.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace slotd {

using Uuid = boost::uuids::uuid;

// A fresh random v4 UUID from a per-thread generator (no system call per id).
Uuid NewRandomUuid();

// Parses the canonical 8-4-4-4-12 hex form (either case), or 32 hex digits, or
// either of those in braces or with a "urn:uuid:" prefix (the forms Python's
// uuid.UUID accepts, which is what Prefect's validation uses). Anything else:
// nullopt.
std::optional<Uuid> ParseUuid(std::string_view text);

// Lowercase canonical form, 36 characters.
std::string FormatUuid(const Uuid& id);
// Writes the 36 characters at out (no terminator).
void FormatUuidTo(const Uuid& id, char* out);

// Hash for unordered containers: the bytes are random, so eight of them do.
struct UuidHash {
  size_t operator()(const Uuid& id) const noexcept {
    uint64_t h;
    std::memcpy(&h, id.data, sizeof h);
    return static_cast<size_t>(h);
  }
};

}  // namespace slotd
