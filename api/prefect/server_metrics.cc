#include "api/prefect/server_metrics.h"

#include <algorithm>

namespace slotd::api {

std::string_view RouteFamilyName(RouteFamily family) {
  switch (family) {
    case RouteFamily::kTransport:
      return "transport";
    case RouteFamily::kUnmatched:
      return "unmatched";
    case RouteFamily::kRoot:
      return "root";
    case RouteFamily::kV1:
      return "v1";
    case RouteFamily::kV2Limits:
      return "v2_limits";
    case RouteFamily::kV2Slots:
      return "v2_slots";
    case RouteFamily::kLogs:
      return "logs";
    case RouteFamily::kEvents:
      return "events";
    case RouteFamily::kSlotd:
      return "slotd";
    case RouteFamily::kMetrics:
      return "metrics";
  }
  return "unknown";
}

size_t StatusClassIndex(int status) {
  return static_cast<size_t>(std::clamp(status / 100, 2, 5) - 2);
}

const char* StatusClassName(size_t index) {
  static constexpr const char* kNames[kStatusClassCount] = {"2xx", "3xx", "4xx", "5xx"};
  return kNames[index];
}

void ServerMetrics::RecordRequest(RouteFamily family, int status, int64_t micros) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  Cells& cells = cells_[static_cast<size_t>(family)][StatusClassIndex(status)];
  const auto bound =
      std::lower_bound(kLatencyBucketMicros.begin(), kLatencyBucketMicros.end(), micros);
  cells.buckets[static_cast<size_t>(bound - kLatencyBucketMicros.begin())].fetch_add(1, kRelaxed);
  cells.sum_micros.fetch_add(micros, kRelaxed);
  if (status == 422) validation_errors_.fetch_add(1, kRelaxed);
}

ServerMetrics::Histogram ServerMetrics::ReadHistogram(RouteFamily family,
                                                      size_t status_class) const {
  const Cells& cells = cells_[static_cast<size_t>(family)][status_class];
  Histogram histogram;
  for (size_t i = 0; i < histogram.buckets.size(); ++i) {
    histogram.buckets[i] = cells.buckets[i].load(std::memory_order_relaxed);
    histogram.count += histogram.buckets[i];
  }
  histogram.sum_micros = cells.sum_micros.load(std::memory_order_relaxed);
  return histogram;
}

}  // namespace slotd::api
