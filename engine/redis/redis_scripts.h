// The Lua functions of the Redis store (redis_scripts.cc says their calling
// convention). Internal to engine/redis/.
#pragma once

#include <string>

namespace slotd::redis {

enum class Script {
  kCreate,
  kRead,
  kList,
  kUpdate,
  kDelete,
  kAcquire,
  kRelease,
  kRenew,
  kReleaseLease,
  kSweep,
  kUpsertTag,
  kIncrementV1,
  kDecrementV1,
  kResetTag,
  kHolders,
  kFigures,
  kCounts,
};
inline constexpr int kScriptCount = static_cast<int>(Script::kCounts) + 1;

// The Redis Functions library holding every operation: loaded once with
// FUNCTION LOAD REPLACE, so the prelude's helpers are made once, not on
// every call as they are for EVAL scripts; each operation is FCALL of its
// function.
inline constexpr const char* kLibraryName = "slotd";
std::string LibraryText();
// The name `script`'s function is registered under in the library.
const char* FunctionName(Script script);

}  // namespace slotd::redis
