#include "api/json/prefect_datetime.h"

#include <date/date.h>

#include <charconv>
#include <cmath>

namespace slotd::api {
namespace {

// speedate's watershed: a larger Unix time is in milliseconds.
constexpr double kMillisecondsWatershed = 2e10;
// Years 1..9999, as Python's datetime holds them.
constexpr double kMaxUnixSeconds = 253402300799.0;
constexpr double kMinUnixSeconds = -62135596800.0;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `count` digits at text[*at], advancing *at; false when they are not all there.
bool TakeNumber(std::string_view text, size_t* at, size_t count, int* out) {
  if (*at + count > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[*at + i];
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  *at += count;
  *out = value;
  return true;
}

bool TakeChar(std::string_view text, size_t* at, char wanted) {
  if (*at >= text.size() || text[*at] != wanted) return false;
  ++*at;
  return true;
}

// `HH:MM[:SS[.fraction]]` into *since_midnight.
bool TakeTime(std::string_view text, size_t* at, Micros* since_midnight) {
  int hour = 0, minute = 0, second = 0;
  if (!TakeNumber(text, at, 2, &hour) || !TakeChar(text, at, ':') ||
      !TakeNumber(text, at, 2, &minute) || hour > 23 || minute > 59) {
    return false;
  }
  int64_t micros = 0;
  if (TakeChar(text, at, ':')) {
    if (!TakeNumber(text, at, 2, &second) || second > 59) return false;
    if (*at < text.size() && (text[*at] == '.' || text[*at] == ',')) {
      ++*at;
      const size_t first = *at;
      int64_t scale = 100000;
      while (*at < text.size() && IsDigit(text[*at])) {
        micros += (text[*at] - '0') * scale;
        scale /= 10;
        ++*at;
      }
      if (*at == first) return false;
    }
  }
  *since_midnight = std::chrono::hours(hour) + std::chrono::minutes(minute) +
                    std::chrono::seconds(second) + Micros(micros);
  return true;
}

// `Z`, `z`, `+HH`, `+HHMM` or `+HH:MM` (or `-`) into *offset, to the end.
bool TakeOffset(std::string_view text, size_t* at, Micros* offset) {
  if (*at == text.size()) return true;
  if (TakeChar(text, at, 'Z') || TakeChar(text, at, 'z')) return *at == text.size();
  const char sign = text[*at];
  if (sign != '+' && sign != '-') return false;
  ++*at;
  int hours = 0, minutes = 0;
  if (!TakeNumber(text, at, 2, &hours)) return false;
  if (*at < text.size()) {
    TakeChar(text, at, ':');
    if (!TakeNumber(text, at, 2, &minutes)) return false;
  }
  if (hours > 23 || minutes > 59 || *at != text.size()) return false;
  *offset = std::chrono::hours(hours) + std::chrono::minutes(minutes);
  if (sign == '-') *offset = -*offset;
  return true;
}

// A whole string that is a number: an optional sign, digits, an optional
// fraction.
std::optional<double> UnixText(std::string_view text) {
  size_t digits = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c)) {
      ++digits;
    } else if (!((c == '-' || c == '+') && i == 0) && c != '.') {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<TimePoint> DateTimeFromUnix(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  if (std::fabs(value) > kMillisecondsWatershed) value /= 1000;
  if (value > kMaxUnixSeconds || value < kMinUnixSeconds) return std::nullopt;
  return TimePoint(Micros(static_cast<int64_t>(std::llround(value * 1e6))));
}

std::optional<TimePoint> ParseDateTimeText(std::string_view text) {
  if (text.size() > 4 && IsDigit(text[4])) {
    if (std::optional<double> unix_time = UnixText(text)) return DateTimeFromUnix(*unix_time);
  }
  size_t at = 0;
  int year = 0, month = 0, day = 0;
  if (!TakeNumber(text, &at, 4, &year) || !TakeChar(text, &at, '-') ||
      !TakeNumber(text, &at, 2, &month) || !TakeChar(text, &at, '-') ||
      !TakeNumber(text, &at, 2, &day)) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year(year), date::month(static_cast<unsigned>(month)),
                                 date::day(static_cast<unsigned>(day))};
  if (year == 0 || !ymd.ok()) return std::nullopt;
  Micros since_midnight{0};
  Micros offset{0};
  if (at < text.size()) {
    const char separator = text[at++];
    if (separator != 'T' && separator != 't' && separator != ' ') return std::nullopt;
    if (!TakeTime(text, &at, &since_midnight) || !TakeOffset(text, &at, &offset)) {
      return std::nullopt;
    }
  }
  const date::sys_days days{ymd};
  return TimePoint(std::chrono::duration_cast<Micros>(days.time_since_epoch())) + since_midnight -
         offset;
}

}  // namespace slotd::api
