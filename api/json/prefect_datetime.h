// Prefect's DateTime fields as its server reads them: pydantic's datetime
// (ISO 8601 text, or a Unix time as a number or a string of one), with
// pendulum's parser behind it. A time without an offset is UTC; every time
// is kept in UTC, to the microsecond.
#pragma once

#include <optional>
#include <string_view>

#include "engine/time_source.h"

namespace slotd::api {

// `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and
// `HH:MM[:SS[.fraction]]` (the fraction with `.` or `,`, past six digits
// truncated), optionally followed by `Z`, `z` or an offset `+HH`, `+HHMM`
// or `+HH:MM`; or a Unix time as speedate reads one. nullopt for anything
// else (pendulum's rarer forms, week dates and compact forms, are not read).
std::optional<TimePoint> ParseDateTimeText(std::string_view text);

// A Unix time as pydantic reads a number: seconds, or milliseconds when its
// magnitude is over 2e10. nullopt when it is not finite or out of range.
std::optional<TimePoint> DateTimeFromUnix(double value);

}  // namespace slotd::api
