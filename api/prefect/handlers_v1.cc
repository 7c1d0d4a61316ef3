// The v1 tag-limit routes (/api/concurrency_limits): a view over the limits
// named "tag:<tag>".
#include <algorithm>

#include "api/json/python_float_repr.h"
#include "api/prefect/handlers.h"

namespace slotd::api {
namespace {

constexpr std::string_view kNotFound = "Concurrency limit not found";

void RespondLimit(const LimitSnapshot& limit, ApiResponse* out) {
  out->status = 200;
  out->body = ConcurrencyLimitJson(limit);
}

void RespondDeleted(Status status, ApiResponse* out) {
  if (status == Status::kOk) return RespondNull(out);
  if (IsMissing(status)) return RespondDetail(out, 404, kNotFound);
  RespondOtherStatus(status, out);
}

}  // namespace

void HandleV1Create(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  TagLimitUpsert request;
  if (!ParseTagLimitUpsert(in.body, &request, &errors)) {
    return RespondInvalidRequest(in, errors, out);
  }
  LimitSnapshot limit;
  bool created = false;
  const Status status =
      in.context.engine->UpsertTagLimit(request.tag, request.concurrency_limit, &limit, &created);
  if (status == Status::kNameTooLong) {
    // The bound is on the stored name, "tag:<tag>".
    const size_t max_name_bytes = in.context.engine->MaxNameBytes();
    const size_t max_tag_bytes = std::max(max_name_bytes, kTagPrefix.size()) - kTagPrefix.size();
    return RespondNameTooLong(in, "tag", request.tag, max_tag_bytes, out);
  }
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  RespondLimit(limit, out);
  // Prefect's OpenAPI lists only 200, but its server answers 201 for a new limit.
  out->status = created ? 201 : 200;
}

void HandleV1ReadById(const HandlerInput& in, ApiResponse* out) {
  LimitSnapshot limit;
  const Status status = in.context.engine->ReadLimit(in.match.id, &limit, /*with_holders=*/true);
  // A v2 limit without the tag: prefix has no v1 view.
  if (IsMissing(status) || (status == Status::kOk && !limit.name.starts_with(kTagPrefix))) {
    return RespondDetail(out, 404, kNotFound);
  }
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  RespondLimit(limit, out);
}

void HandleV1ReadByTag(const HandlerInput& in, ApiResponse* out) {
  const std::string name = TagLimitName(in.match.param);
  LimitSnapshot limit;
  const Status status =
      in.context.engine->ReadLimit(std::string_view(name), &limit, /*with_holders=*/true);
  if (IsMissing(status)) return RespondDetail(out, 404, kNotFound);
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  RespondLimit(limit, out);
}

void HandleV1Filter(const HandlerInput& in, ApiResponse* out) {
  Page page;
  if (!ReadPageOrRespond(in, &page, out)) return;
  std::vector<LimitSnapshot> limits;
  const Status status = in.context.engine->ListLimits(kTagPrefix, static_cast<size_t>(page.offset),
                                                      static_cast<size_t>(page.limit), &limits,
                                                      /*with_holders=*/true);
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  out->status = 200;
  out->body = ConcurrencyLimitListJson(limits);
}

void HandleV1ResetByTag(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  std::vector<Uuid> slot_override;
  if (!ParseTagReset(in.body, &slot_override, &errors)) {
    return RespondInvalidRequest(in, errors, out);
  }
  const Status status = in.context.engine->ResetTagLimit(in.match.param, slot_override);
  RespondDeleted(status, out);
}

void HandleV1DeleteById(const HandlerInput& in, ApiResponse* out) {
  // As in Prefect, any limit can be deleted by id here, tag: prefix or not,
  // and the leases holding it are revoked.
  RespondDeleted(in.context.engine->DeleteLimitAndRevokeLeases(in.match.id), out);
}

void HandleV1DeleteByTag(const HandlerInput& in, ApiResponse* out) {
  const std::string name = TagLimitName(in.match.param);
  RespondDeleted(in.context.engine->DeleteLimitAndRevokeLeases(std::string_view(name)), out);
}

namespace {

void AnswerIncrement(Status status, const TagIncrementOutcome& outcome, ApiResponse* out);

// The late answer of a waiting increment; a grant is given back by
// decrementing the run on those tags.
LateAnswer LateIncrement(const HandlerInput& in, const TaskRunTags& request) {
  return [engine = in.context.engine,
          tags = std::vector<std::string>(request.names.begin(), request.names.end()),
          run = request.task_run_id](const WaitResult& result, ApiResponse* out, Undo* undo) {
    AnswerIncrement(result.status, result.tag, out);
    if (result.status != Status::kOk) return;
    *undo = [engine, tags, run] {
      std::vector<std::string_view> views(tags.begin(), tags.end());
      std::vector<LimitRef> ignored;
      (void)engine->DecrementByTaskRun(views, run, &ignored);
    };
  };
}

}  // namespace

void HandleV1Increment(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  TaskRunTags request;
  if (!ParseTaskRunTags(in.body, &request, &errors)) return RespondInvalidRequest(in, errors, out);
  TagIncrementOutcome outcome;
  const WaitPlan plan = PlanWait(in);
  Status status;
  if (plan.seconds > 0 && in.deferral) {
    WaitId wait_id = 0;
    status = in.context.engine->IncrementByTaskRunOrWait(
        request.names, request.task_run_id, &outcome,
        DeferredTerms(in, plan, LateIncrement(in, request)), &wait_id);
    if (status == Status::kWaiting) return DeferAnswer(in, wait_id);
  } else {
    status = in.context.engine->IncrementByTaskRun(request.names, request.task_run_id, &outcome);
  }
  AnswerIncrement(status, outcome, out);
  out->preference_applied = plan.applied;
}

namespace {

void AnswerIncrement(Status status, const TagIncrementOutcome& outcome, ApiResponse* out) {
  switch (status) {
    case Status::kOk:
      out->status = 200;
      out->body = MinimalLimitListJson(outcome.limits);
      return;
    case Status::kZeroLimit:
      return RespondDetail(out, 423,
                           "The concurrency limit on tag \"" + outcome.refusing_tag +
                               "\" is 0 and will deadlock if the task tries to run again.");
    case Status::kLocked:
      RespondDetail(out, 423,
                    "Concurrency limit for the " + outcome.refusing_tag + " tag has been reached");
      out->retry_after = PythonFloat(outcome.retry_after_seconds);
      return;
    default:
      return RespondOtherStatus(status, out);
  }
}

}  // namespace

void HandleV1Decrement(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  TaskRunTags request;
  if (!ParseTaskRunTags(in.body, &request, &errors)) return RespondInvalidRequest(in, errors, out);
  std::vector<LimitRef> limits;
  const Status status =
      in.context.engine->DecrementByTaskRun(request.names, request.task_run_id, &limits);
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  out->status = 200;
  out->body = MinimalLimitListJson(limits);
}

}  // namespace slotd::api
