// A deferred answer: a request whose answer is not known when its handler
// returns (a request waiting in the engine's line for a slot; later, one
// waiting for its changes to be on disk). The transport lends a Deferral to
// Dispatch; a handler that defers leaves the answer unwritten and gives the
// transport a way to stop waiting; the answer comes later, from any thread,
// through the transport's completion.
#pragma once

#include <functional>
#include <utility>

#include "api/prefect/responses.h"

namespace slotd::api {

// Gives back what a late answer reports (a granted slot or lease), when the
// transport cannot deliver it: the client has gone. Empty: nothing to undo.
using Undo = std::function<void()>;

class Deferral {
 public:
  // Where a late answer goes: called at most once, from any thread, and must
  // not block (the transport posts it to the connection's own thread). If
  // the answer cannot be written the transport calls `undo` (when set).
  using Complete = std::function<void(ApiResponse answer, Undo undo)>;

  explicit Deferral(Complete complete) : complete_(std::move(complete)) {}

  // For a handler: the answer will come through complete(); `cancel` stops
  // the wait and says whether the answer will now never come (true) or is
  // already on its way (false).
  void Defer(std::function<bool()> cancel) { cancel_ = std::move(cancel); }
  const Complete& complete() const { return complete_; }

  // For the transport, after Dispatch returns.
  bool deferred() const { return static_cast<bool>(cancel_); }
  // Stops waiting for the answer; true: complete() will not be called.
  bool Cancel() { return cancel_(); }
  // Ready for the next request.
  void Clear() { cancel_ = nullptr; }

 private:
  Complete complete_;
  std::function<bool()> cancel_;
};

}  // namespace slotd::api
