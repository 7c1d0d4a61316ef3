// Fair waiting on the increment routes: the wait a request gets, and its
// late answer through the transport's Deferral (deferred.h).
#include <algorithm>
#include <cmath>

#include "api/prefect/handlers.h"
#include "api/prefect/prefer.h"

namespace slotd::api {

WaitPlan PlanWait(const HandlerInput& in) {
  WaitPlan plan;
  if (in.deferral == nullptr) return plan;  // a transport that cannot wait
  const ApiConfig& config = in.context.config;
  if (!in.request.prefer_header.empty()) {
    if (std::optional<int64_t> asked = ParsePreferWait(in.request.prefer_header)) {
      const int64_t cap = static_cast<int64_t>(std::floor(config.max_wait_seconds));
      const int64_t applied = std::min(*asked, std::max<int64_t>(cap, 0));
      plan.seconds = static_cast<double>(applied);
      plan.applied = "wait=" + std::to_string(applied);
      return plan;
    }
  }
  plan.seconds = std::min(config.wait_seconds, config.max_wait_seconds);
  return plan;
}

WaitTerms DeferredTerms(const HandlerInput& in, const WaitPlan& plan, LateAnswer answer) {
  WaitTerms terms;
  terms.deadline = in.context.engine->Now() + SecondsToMicros(plan.seconds);
  terms.done = [engine = in.context.engine, complete = in.deferral->complete(),
                applied = plan.applied, answer = std::move(answer)](WaitResult result) {
    ApiResponse out;
    Undo undo;
    answer(result, &out, &undo);
    out.preference_applied = applied;
    // As Dispatch does for an answer given at once: the grant was made on
    // this thread (the one that freed the slots, or the timer's), so this
    // thread's changes are the ones to wait for, without blocking it.
    CompleteWhenDurable(*engine, complete, std::move(out), std::move(undo));
  };
  return terms;
}

void CompleteWhenDurable(SlotStore& engine, const Deferral::Complete& complete, ApiResponse answer,
                         Undo undo) {
  engine.WhenDurable(
      [complete, answer = std::move(answer), undo = std::move(undo)](bool kept) mutable {
        if (!kept) {
          std::string applied = std::move(answer.preference_applied);
          answer = ApiResponse();
          RespondUnavailable(&answer);
          answer.preference_applied = std::move(applied);
        }
        complete(std::move(answer), std::move(undo));
      });
}

void DeferAnswer(const HandlerInput& in, WaitId wait_id) {
  in.deferral->Defer([engine = in.context.engine, wait_id] { return engine->CancelWait(wait_id); });
}

}  // namespace slotd::api
