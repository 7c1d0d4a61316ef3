// GET /, /ui and /ui/<file>: the live page, whose files and answers are
// api/ui's.
#include "api/prefect/handlers.h"
#include "api/ui/ui_page.h"

namespace slotd::api {

void HandleUi(const HandlerInput& in, ApiResponse* out) {
  const UiAnswer answer = AnswerUi(in.request.path, in.request.if_none_match);
  if (answer.status == 404) return RespondDetail(out, 404, "Not Found");
  out->status = answer.status;
  out->content_type = answer.content_type;
  out->body.assign(answer.body);
  out->extra_headers = answer.headers;
}

}  // namespace slotd::api
