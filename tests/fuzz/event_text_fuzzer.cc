// Fuzzes what turns a websocket text message of /api/events/in into a ring
// entry (ParseEventText), and the page tokens of GET
// /api/events/filter/next (DecodePageToken), with arbitrary bytes.
//
// Checks: an event accepted is written back (AppendEventJson) as JSON that
// is accepted again as the same event; a token accepted encodes back to one
// that decodes to the same query. The frames themselves are Beast's
// (websocket::stream), which the e2e tests drive with hostile bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/json/base64.h"
#include "api/prefect/request_parsing_events.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace slotd::api;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const slotd::TimePoint now{slotd::Micros(1'764'583'200'000'000)};
  if (EventRing::Entry event = ParseEventText(text, now)) {
    std::string json;
    AppendEventJson(&json, *event);
    EventRing::Entry again = ParseEventText(json, now);
    Check(again != nullptr);
    Check(again->id == event->id && again->event == event->event &&
          again->occurred == event->occurred && again->resource_json == event->resource_json &&
          again->related_json == event->related_json &&
          again->payload_json == event->payload_json && again->follows == event->follows);
  }
  EventPageToken token;
  if (DecodePageToken(text, now, &token)) {
    EventPageToken again;
    Check(DecodePageToken(EncodePageToken(token), now, &again));
    Check(EventFilterJson(again.query) == EventFilterJson(token.query) &&
          again.total == token.total && again.offset == token.offset &&
          again.page_size == token.page_size);
  }
  return 0;
}
