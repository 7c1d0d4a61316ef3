// The events routes (/api/events): the events clients sent on the websocket
// /api/events/in are read back with Prefect's EventFilter, a page at a time.
#include "api/json/base64.h"
#include "api/prefect/handlers.h"
#include "api/prefect/redirect_location.h"
#include "api/prefect/request_parsing_events.h"

namespace slotd::api {
namespace {

// The page of `token`'s query at its offset, with the link to the next page
// when there are more (Prefect's: the total is the first page's count).
void RespondPage(const HandlerInput& in, const EventPageToken& token, ApiResponse* out) {
  EventPage page = QueryEvents(*in.context.events, token.query, token.offset, token.page_size);
  page.total = token.total;
  std::optional<std::string> next;
  if (token.offset + token.page_size < token.total) {
    EventPageToken after = token;
    after.offset += token.page_size;
    ApiRequest origin = in.request;
    origin.raw_query = {};
    next = RedirectLocation(origin, "/api/events/filter/next") +
           "?page-token=" + EncodeBase64(EncodePageToken(after));
  }
  out->status = 200;
  out->body = EventPageJson(page, next);
}

}  // namespace

void HandleEventsFilter(const HandlerInput& in, ApiResponse* out) {
  ValidationErrors errors;
  EventPageToken token;
  std::string_view unsupported;
  const TimePoint now = in.context.engine->Now();
  if (ParseEventQuery(in.body, now, &token.query, &token.page_size, &unsupported, &errors) !=
      PageOutcome::kOk) {
    if (!errors.empty()) return RespondInvalidRequest(in, errors, out);
    // Deviation (README): slotd filters on event names, resource ids, ids and time.
    return RespondDetail(
        out, 422,
        "slotd does not filter events by " + std::string(unsupported) + ": leave it out.");
  }
  token.total = QueryEvents(*in.context.events, token.query, 0, 0).total;
  RespondPage(in, token, out);
}

void HandleEventsFilterNext(const HandlerInput& in, ApiResponse* out) {
  EventPageToken token;
  // Prefect decodes the parameter's base64, then the token's own.
  const std::optional<std::string> text =
      in.request.page_token ? DecodeBase64(*in.request.page_token) : std::nullopt;
  if (!in.request.page_token) {
    static constexpr LocNode kQuery{nullptr, std::string_view("query")};
    return RespondInvalidRequest(
        in, {MissingError(LocNode{&kQuery, std::string_view("page-token")}, "null")}, out);
  }
  if (!text || text->empty() || !DecodePageToken(*text, in.context.engine->Now(), &token)) {
    return RespondDetail(out, 403, "Forbidden");
  }
  RespondPage(in, token, out);
}

}  // namespace slotd::api
