// The Lua scripts of the Redis store (redis_scripts.cc says their calling
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

// The whole text of one script: the shared prelude, then its body.
std::string ScriptText(Script script);

}  // namespace slotd::redis
