// One API request from routing to answer, independent of the HTTP library:
// the route, then (as FastAPI orders it) the JSON body, the
// x-prefect-api-version check, and the handler.
#pragma once

#include "api/prefect/context.h"
#include "api/prefect/deferred.h"
#include "api/prefect/responses.h"

namespace slotd::api {

// Answers `request` into *out (which starts default-constructed), once the
// changes it made are as durable as the engine's change sink promises
// (SlotEngine::AwaitDurable; a 503 if they cannot be kept).
// Thread-safe: it reads `context` and calls the engine.
// With a `deferral`, a request that may wait (README "Fair waiting") can be
// deferred: *out is then left alone and the answer comes through the
// deferral; without one, nothing waits.
void Dispatch(const ApiContext& context, const ApiRequest& request, ApiResponse* out,
              Deferral* deferral = nullptr);

}  // namespace slotd::api
