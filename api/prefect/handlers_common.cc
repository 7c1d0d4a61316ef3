#include "api/json/body_fields.h"
#include "api/json/input_echo.h"
#include "api/json/writer.h"
#include "api/prefect/handlers.h"

namespace slotd::api {

std::string RequestBodyJson(Body body) { return body ? EchoedJson(*body) : std::string("null"); }

void RespondInvalidRequest(const HandlerInput& in, const ValidationErrors& errors,
                           ApiResponse* out) {
  if (!in.body_is_text) return RespondInvalid(out, errors, RequestBodyJson(in.body));
  // Prefect's handler decodes the bytes to echo them, and fails on any that
  // are not UTF-8.
  if (!simdjson::validate_utf8(in.request.body.data(), in.request.body.size())) {
    return RespondServerError(out);
  }
  std::string text;
  AppendJsonString(&text, in.request.body);
  RespondInvalid(out, errors, text);
}

void RespondOtherStatus(Status status, ApiResponse* out) {
  switch (status) {
    case Status::kTooManyLimits:
      return RespondDetail(out, 503,
                           "Too many concurrency limits: this server's --max-limits is reached. "
                           "Delete a limit first.");
    case Status::kTooManyLeases:
      return RespondDetail(out, 503,
                           "Too many concurrency leases: this server's --max-leases is reached. "
                           "Release a lease or wait for one to expire.");
    case Status::kUnavailable:
      return RespondUnavailable(out);
    case Status::kStoreUnavailable:
      return RespondStoreUnavailable(out);
    default:
      return RespondDetail(
          out, 500, std::string("Internal Server Error: engine answered ") + StatusName(status));
  }
}

void RespondNameTooLong(const HandlerInput& in, std::string_view field, std::string_view name,
                        size_t max_length, ApiResponse* out) {
  std::string input;
  AppendJsonString(&input, name);
  ValidationErrors errors;
  errors.push_back(StringTooLongError({&kBodyLoc, field}, max_length, std::move(input)));
  RespondInvalidRequest(in, errors, out);
}

void RespondUnavailable(ApiResponse* out) {
  RespondDetail(out, 503,
                "The data dir cannot be written (see the server log): changes are refused "
                "until it can be again, and reads still work.");
}

void RespondStoreUnavailable(ApiResponse* out) {
  RespondDetail(out, 503,
                "The store (--store) cannot be reached (see the server log): slotd keeps "
                "trying and answers again as soon as it is back; retry after Retry-After.");
  out->retry_after = "1";
}

void RespondNameTaken(ApiResponse* out) {
  RespondDetail(out, 409,
                "Data integrity conflict. This usually means a unique or foreign key constraint "
                "was violated. See server logs for details.");
}

bool ReadPageOrRespond(const HandlerInput& in, Page* page, ApiResponse* out) {
  ValidationErrors errors;
  const int64_t default_limit = in.context.config.default_limit;
  const PageOutcome outcome = ParsePage(in.body, default_limit, page, &errors);
  if (outcome == PageOutcome::kOk) return true;
  if (outcome == PageOutcome::kInvalid) {
    RespondInvalidRequest(in, errors, out);
  } else if (outcome == PageOutcome::kLimitNegative) {
    RespondDetail(out, 422, "Invalid limit: must be greater than or equal to 0.");
  } else {
    RespondDetail(
        out, 422,
        "Invalid limit: must be less than or equal to " + std::to_string(default_limit) + ".");
  }
  return false;
}

bool IsMissing(Status status) {
  return status == Status::kNotFound || status == Status::kInvalidName;
}

}  // namespace slotd::api
