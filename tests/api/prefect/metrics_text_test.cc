#include "api/prefect/metrics_text.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "api/prefect/server_metrics.h"

namespace slotd::api::test {

TEST_CASE("a family is its HELP and TYPE lines, HELP escaped", "[metrics]") {
  std::string out;
  MetricsText(&out).Family("slotd_x_total", "counter", "a \\ b\nc \"d\"");
  CHECK(out == "# HELP slotd_x_total a \\\\ b\\nc \"d\"\n# TYPE slotd_x_total counter\n");
}

TEST_CASE("label values escape backslash, quote and newline, and nothing else", "[metrics]") {
  std::string out;
  MetricsText text(&out);
  text.Sample("m", {{"name", "a\"b\\c\nd\te\xc3\xa9"}, {"tag", "false"}}, uint64_t{3});
  CHECK(out == "m{name=\"a\\\"b\\\\c\\nd\te\xc3\xa9\",tag=\"false\"} 3\n");
}

TEST_CASE("a sample without labels has no braces, and values print in the format's forms",
          "[metrics]") {
  std::string out;
  MetricsText text(&out);
  text.Sample("a", {}, uint64_t{18446744073709551615u});
  text.Sample("b", {}, int64_t{-5});
  text.Sample("c", {}, 0.000125);
  text.Sample("d", {}, std::numeric_limits<double>::infinity());
  text.Sample("e", {}, -std::numeric_limits<double>::infinity());
  text.Sample("f", {}, std::nan(""));
  text.Sample("g", {}, 1800000000.5);
  CHECK(out == "a 18446744073709551615\nb -5\nc 0.000125\nd +Inf\ne -Inf\nf NaN\ng 1800000000.5\n");
}

TEST_CASE("a request lands in the first bucket whose bound it does not pass", "[metrics]") {
  ServerMetrics metrics;
  metrics.RecordRequest(RouteFamily::kV2Slots, 200, 25);  // exactly a bound: that bucket
  metrics.RecordRequest(RouteFamily::kV2Slots, 201, 26);
  metrics.RecordRequest(RouteFamily::kV2Slots, 204, 61'000'000);  // past every bound: +Inf
  const ServerMetrics::Histogram h = metrics.ReadHistogram(RouteFamily::kV2Slots, 0);
  CHECK(h.count == 3);
  CHECK(h.sum_micros == 61'000'051);
  CHECK(h.buckets[0] == 1);
  CHECK(h.buckets[1] == 1);
  CHECK(h.buckets.back() == 1);
  CHECK(metrics.ReadHistogram(RouteFamily::kV2Limits, 0).count == 0);
}

TEST_CASE("status classes: 1xx and 2xx, 3xx, 4xx, 5xx, and a 422 is a validation error",
          "[metrics]") {
  CHECK(StatusClassIndex(100) == 0);
  CHECK(StatusClassIndex(204) == 0);
  CHECK(StatusClassIndex(307) == 1);
  CHECK(StatusClassIndex(404) == 2);
  CHECK(StatusClassIndex(503) == 3);
  CHECK(std::string(StatusClassName(StatusClassIndex(599))) == "5xx");
  ServerMetrics metrics;
  metrics.RecordRequest(RouteFamily::kV1, 422, 10);
  metrics.RecordRequest(RouteFamily::kV1, 423, 10);
  CHECK(metrics.validation_errors() == 1);
  CHECK(metrics.ReadHistogram(RouteFamily::kV1, 2).count == 2);
}

TEST_CASE("connection gauges read the transport's counters while watched", "[metrics]") {
  ServerMetrics metrics;
  CHECK(metrics.open_connections() == 0);
  std::atomic<size_t> open{7};
  std::atomic<size_t> rejecting{2};
  metrics.WatchConnections(&open, &rejecting);
  CHECK(metrics.open_connections() == 7);
  CHECK(metrics.rejecting_connections() == 2);
  metrics.WatchConnections(nullptr, nullptr);
  CHECK(metrics.open_connections() == 0);
  metrics.CountRefusedConnection();
  CHECK(metrics.refused_connections() == 1);
}

}  // namespace slotd::api::test
