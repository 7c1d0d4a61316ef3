#include "api/json/prefect_datetime.h"

#include <catch2/catch.hpp>

#include "api/json/writer.h"

namespace slotd::api::test {
namespace {

// The instant as the API writes it, or "none".
std::string Read(std::string_view text) {
  std::optional<TimePoint> when = ParseDateTimeText(text);
  if (!when) return "none";
  std::string out;
  AppendTimestamp(&out, *when);
  return out;
}

}  // namespace

TEST_CASE("ISO 8601 dates and times are read in UTC, offsets applied", "[datetime]") {
  CHECK(Read("2026-12-01T10:00:00Z") == "2026-12-01T10:00:00Z");
  CHECK(Read("2026-12-01t10:00:00z") == "2026-12-01T10:00:00Z");
  CHECK(Read("2026-12-01 10:00:00.5+02:00") == "2026-12-01T08:00:00.500000Z");
  CHECK(Read("2026-12-01T10:00:00-0130") == "2026-12-01T11:30:00Z");
  CHECK(Read("2026-12-01T10:00:00+05") == "2026-12-01T05:00:00Z");
  CHECK(Read("2026-12-01T10:00") == "2026-12-01T10:00:00Z");
  CHECK(Read("2026-12-01") == "2026-12-01T00:00:00Z");
  CHECK(Read("2026-12-01T10:00:00,25Z") == "2026-12-01T10:00:00.250000Z");
}

TEST_CASE("fractions past six digits are truncated to the microsecond", "[datetime]") {
  CHECK(Read("2026-12-01T10:00:00.1234567Z") == "2026-12-01T10:00:00.123456Z");
}

TEST_CASE("a string of a number is a Unix time, in ms past 2e10", "[datetime]") {
  CHECK(Read("1764540000") == "2025-11-30T22:00:00Z");
  CHECK(Read("1764540000123") == "2025-11-30T22:00:00.123000Z");
  CHECK(DateTimeFromUnix(1.5) == TimePoint(Micros(1'500'000)));
  CHECK_FALSE(DateTimeFromUnix(1e300).has_value());
}

TEST_CASE("impossible dates and times and stray text are not read", "[datetime]") {
  for (std::string_view bad :
       {"2026-13-01", "2026-02-30", "2026-12-01T25:00:00", "2026-12-01T10:60", " 2026-12-01",
        "2026-12-01T10:00:00 Z", "2026-12-01T10:00:00.Z", "2026-12-01T10", "", "x", "0000-01-01",
        "2026-12-01T10:00:00+24:00", "2026-12-01T10:00:00Zjunk"}) {
    INFO(bad);
    CHECK(Read(bad) == "none");
  }
}

}  // namespace slotd::api::test
