// GET /metrics (Prometheus's text format) and GET
// /api/slotd/limits/{name}/holders: what slotd shows of itself beyond
// Prefect's API.
#include "api/json/python_float_repr.h"
#include "api/json/writer.h"
#include "api/prefect/handlers.h"
#include "api/prefect/metrics_text.h"
#include "api/prefect/process_figures.h"

namespace slotd::api {
namespace {

constexpr MetricLabel kNotTag{"tag", "false"};
constexpr MetricLabel kTag{"tag", "true"};

MetricLabel TagLabel(std::string_view name) {
  return name.starts_with(kTagPrefix) ? kTag : kNotTag;
}

// One gauge family of the limits: each named limit, then (with name "") the
// sum of the other limits of each kind, when there are any.
template <typename Named, typename Summed>
void WriteLimitFamily(const EngineFigures& figures, const char* name, const char* help, Named named,
                      Summed summed, MetricsText* text) {
  text->Family(name, "gauge", help);
  for (const LimitFigures& limit : figures.named) {
    text->Sample(name, {{"name", limit.name}, TagLabel(limit.name)}, named(limit));
  }
  for (int tag = 0; tag < 2; ++tag) {
    const EngineFigures::Sum& sum = figures.others[tag];
    if (sum.count > 0) text->Sample(name, {{"name", ""}, tag ? kTag : kNotTag}, summed(sum));
  }
}

Status WriteLimits(SlotStore& engine, size_t max_named, MetricsText* text) {
  EngineFigures figures;
  if (const Status status = engine.ReadFigures(max_named, &figures); status != Status::kOk) {
    return status;
  }
  using Sum = EngineFigures::Sum;
  WriteLimitFamily(
      figures, "slotd_limit_limit", "The limit: slots that may be in use at once.",
      [](const LimitFigures& l) { return l.limit; }, [](const Sum& s) { return s.limit; }, text);
  WriteLimitFamily(
      figures, "slotd_limit_active_slots", "Slots in use, after decay.",
      [](const LimitFigures& l) { return l.active_slots; },
      [](const Sum& s) { return s.active_slots; }, text);
  WriteLimitFamily(
      figures, "slotd_limit_denied_slots", "Denied slots, after decay.",
      [](const LimitFigures& l) { return l.denied_slots; },
      [](const Sum& s) { return s.denied_slots; }, text);
  WriteLimitFamily(
      figures, "slotd_limit_holders",
      "Leases holding the limit (expired ones not yet swept included).",
      [](const LimitFigures& l) { return l.holders; }, [](const Sum& s) { return s.holders; },
      text);
  WriteLimitFamily(
      figures, "slotd_limit_active", "1 if the limit is active (summed: how many are).",
      [](const LimitFigures& l) { return uint64_t{l.active}; },
      [](const Sum& s) { return s.active_count; }, text);
  WriteLimitFamily(
      figures, "slotd_limit_waiters", "Requests waiting in line for the limit's slots.",
      [](const LimitFigures& l) { return l.waiters; }, [](const Sum& s) { return s.waiters; },
      text);
  text->Family("slotd_limits_summed", "gauge",
               "Limits past --metrics-max-limits, shown summed under name=\"\".");
  text->Sample("slotd_limits_summed", {kNotTag}, figures.others[0].count);
  text->Sample("slotd_limits_summed", {kTag}, figures.others[1].count);
  return Status::kOk;
}

void WriteEngineTotals(const SlotStore& engine, const ServerMetrics& metrics, MetricsText* text) {
  const EngineCounters counters = engine.Counters();
  const struct {
    const char* name;
    const char* help;
    uint64_t value;
  } totals[] = {
      {"slotd_acquisitions_total", "Acquisitions granted (v2 increments and v1 increments).",
       counters.acquisitions},
      {"slotd_refusals_total", "Acquisitions refused for want of slots (answered 423).",
       counters.refusals},
      {"slotd_releases_total", "Releases (v2 decrements, lease releases, v1 decrements).",
       counters.releases},
      {"slotd_leases_expired_total", "Leases released by expiry.", counters.expired_leases},
      {"slotd_leases_revoked_total", "Leases ended by a v1 delete or reset of their limit.",
       counters.revoked_leases},
      {"slotd_validation_errors_total", "Requests answered 422.", metrics.validation_errors()},
  };
  for (const auto& total : totals) {
    text->Family(total.name, "counter", total.help);
    text->Sample(total.name, {}, total.value);
  }
  text->Family("slotd_limits", "gauge", "Limits that exist.");
  text->Sample("slotd_limits", {}, uint64_t{engine.LimitCount()});
  text->Family("slotd_leases", "gauge", "Leases that exist, expired ones not yet swept included.");
  text->Sample("slotd_leases", {}, uint64_t{engine.LeaseCount()});
}

// The buckets' `le` labels: their bounds in seconds.
const std::array<std::string, kLatencyBucketMicros.size()>& BucketBounds() {
  static const auto bounds = [] {
    std::array<std::string, kLatencyBucketMicros.size()> text;
    for (size_t i = 0; i < text.size(); ++i) {
      text[i] = PythonFloat(static_cast<double>(kLatencyBucketMicros[i]) / 1e6);
    }
    return text;
  }();
  return bounds;
}

void WriteRequests(const ServerMetrics& metrics, MetricsText* text) {
  constexpr std::string_view kName = "slotd_http_request_duration_seconds";
  text->Family(kName, "histogram",
               "Time from a request's first byte to its answer, by route family and status "
               "class.");
  for (size_t family = 0; family < kRouteFamilyCount; ++family) {
    const std::string_view route = RouteFamilyName(static_cast<RouteFamily>(family));
    for (size_t status_class = 0; status_class < kStatusClassCount; ++status_class) {
      const ServerMetrics::Histogram histogram =
          metrics.ReadHistogram(static_cast<RouteFamily>(family), status_class);
      if (histogram.count == 0) continue;
      const MetricLabel route_label{"route", route};
      const MetricLabel class_label{"status_class", StatusClassName(status_class)};
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kLatencyBucketMicros.size(); ++i) {
        cumulative += histogram.buckets[i];
        text->Sample("slotd_http_request_duration_seconds_bucket",
                     {route_label, class_label, {"le", BucketBounds()[i]}}, cumulative);
      }
      text->Sample("slotd_http_request_duration_seconds_bucket",
                   {route_label, class_label, {"le", "+Inf"}}, histogram.count);
      text->Sample("slotd_http_request_duration_seconds_sum", {route_label, class_label},
                   static_cast<double>(histogram.sum_micros) / 1e6);
      text->Sample("slotd_http_request_duration_seconds_count", {route_label, class_label},
                   histogram.count);
    }
  }
  text->Family("slotd_http_connections_open", "gauge", "Connections being served.");
  text->Sample("slotd_http_connections_open", {}, uint64_t{metrics.open_connections()});
  text->Family("slotd_http_connections_rejecting", "gauge",
               "Connections over --max-connections being answered 503.");
  text->Sample("slotd_http_connections_rejecting", {}, uint64_t{metrics.rejecting_connections()});
  text->Family("slotd_http_connections_refused_total", "counter",
               "Connections refused (over --max-connections, or out of file descriptors).");
  text->Sample("slotd_http_connections_refused_total", {}, metrics.refused_connections());
}

void WriteProcess(MetricsText* text) {
  const std::optional<ProcessFigures> process = ReadProcessFigures();
  if (!process) return;
  text->Family("process_cpu_seconds_total", "counter", "User and system CPU time spent.");
  text->Sample("process_cpu_seconds_total", {}, process->cpu_seconds);
  text->Family("process_resident_memory_bytes", "gauge", "Resident memory size.");
  text->Sample("process_resident_memory_bytes", {}, process->resident_bytes);
  text->Family("process_virtual_memory_bytes", "gauge", "Virtual memory size.");
  text->Sample("process_virtual_memory_bytes", {}, process->virtual_bytes);
  text->Family("process_threads", "gauge", "Threads of the process.");
  text->Sample("process_threads", {}, process->threads);
  text->Family("process_open_fds", "gauge", "Open file descriptors.");
  text->Sample("process_open_fds", {}, process->open_fds);
  text->Family("process_max_fds", "gauge", "The most file descriptors the process may open.");
  text->Sample("process_max_fds", {}, process->max_fds);
  text->Family("process_start_time_seconds", "gauge",
               "Start time of the process since the Unix epoch, in seconds.");
  text->Sample("process_start_time_seconds", {}, process->start_time_unix);
}

std::string_view WaitModeName(WaitMode mode) {
  switch (mode) {
    case WaitMode::kLease:
      return "lease";
    case WaitMode::kNoLease:
      return "no_lease";
    case WaitMode::kV1:
      return "v1";
  }
  return "unknown";
}

}  // namespace

void HandleMetrics(const HandlerInput& in, ApiResponse* out) {
  out->status = 200;
  out->content_type = kMetricsContentType;
  out->body.clear();
  MetricsText text(&out->body);
  if (const Status status =
          WriteLimits(*in.context.engine, in.context.config.metrics_max_limits, &text);
      status != Status::kOk) {
    *out = ApiResponse();
    return RespondOtherStatus(status, out);
  }
  WriteEngineTotals(*in.context.engine, *in.context.metrics, &text);
  WriteRequests(*in.context.metrics, &text);
  WriteProcess(&text);
}

void HandleLimitHolders(const HandlerInput& in, ApiResponse* out) {
  std::vector<HolderLease> holders;
  const Status status = in.context.engine->ReadHolders(in.match.param, &holders);
  if (IsMissing(status)) return RespondDetail(out, 404, "Concurrency Limit not found");
  if (status != Status::kOk) return RespondOtherStatus(status, out);
  std::vector<LimitWaiter> waiters;
  const Status waiters_status = in.context.engine->ReadWaiters(in.match.param, &waiters);
  if (waiters_status != Status::kOk) return RespondOtherStatus(waiters_status, out);
  out->status = 200;
  out->body.clear();
  JsonWriter writer(&out->body);
  writer.BeginObject();
  writer.Key("holders").BeginArray();
  for (const HolderLease& lease : holders) {
    writer.BeginObject();
    writer.Key("lease_id").Uuid(lease.lease_id);
    writer.Key("holder");
    if (lease.holder) {
      writer.BeginObject();
      writer.Key("type").String(HolderTypeName(lease.holder->type));
      writer.Key("id").Uuid(lease.holder->id);
      writer.EndObject();
    } else {
      writer.Null();
    }
    writer.Key("slots").Int(lease.slots);
    writer.Key("created").Timestamp(lease.created_at);
    writer.Key("expiration").Timestamp(lease.expiration);
    writer.Key("renewals").Uint(lease.renewals);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("waiting").Uint(waiters.size());
  writer.Key("waiters").BeginArray();
  for (const LimitWaiter& waiter : waiters) {
    writer.BeginObject();
    writer.Key("slots").Int(waiter.slots);
    writer.Key("since").Timestamp(waiter.since);
    writer.Key("mode").String(WaitModeName(waiter.mode));
    writer.Key("limits").BeginArray();
    for (const std::string& name : waiter.limits) writer.String(name);
    writer.EndArray();
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
}

}  // namespace slotd::api

namespace slotd::api {

void HandleEventStream(const HandlerInput& in, ApiResponse* out) {
  if (!in.context.change_feed) return RespondDetail(out, 404, "Not Found");
  std::optional<uint64_t> last_id;
  if (in.request.last_event_id_header) {
    last_id = ParseLastEventId(*in.request.last_event_id_header);
    if (!last_id) {
      return RespondDetail(out, 400, "Last-Event-ID must be a decimal integer below 2^64");
    }
  }
  out->status = 200;
  out->body.clear();
  out->event_stream = true;
  out->last_event_id = last_id;
}

}  // namespace slotd::api
