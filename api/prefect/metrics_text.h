// MetricsText: Prometheus's text exposition format, version 0.0.4, appended
// to a string: a family's # HELP and # TYPE lines, then its samples.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace slotd::api {

// The Content-Type of the format.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label's name (a plain identifier) and value (any UTF-8 text).
using MetricLabel = std::pair<std::string_view, std::string_view>;

class MetricsText {
 public:
  explicit MetricsText(std::string* out) : out_(out) {}

  // "# HELP name help" ('\' and newlines in `help` escaped) and
  // "# TYPE name type" (counter, gauge, histogram).
  void Family(std::string_view name, std::string_view type, std::string_view help);

  // `name{label="value",...} value`, each value escaped as the format says
  // ('\' as \\, '"' as \", a newline as \n), no braces without labels.
  void Sample(std::string_view name, std::initializer_list<MetricLabel> labels, uint64_t value);
  void Sample(std::string_view name, std::initializer_list<MetricLabel> labels, int64_t value);
  // A double in the shortest form that reads back exactly (Go's ParseFloat
  // reads it), +Inf, -Inf or NaN.
  void Sample(std::string_view name, std::initializer_list<MetricLabel> labels, double value);

 private:
  void BeginSample(std::string_view name, std::initializer_list<MetricLabel> labels);

  std::string* out_;
};

}  // namespace slotd::api
