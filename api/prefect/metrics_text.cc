#include "api/prefect/metrics_text.h"

#include <charconv>
#include <cmath>

#include "api/json/python_float_repr.h"

namespace slotd::api {
namespace {

void AppendEscaped(std::string* out, std::string_view text, bool quote_too) {
  for (const char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote_too) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

template <typename Int>
void AppendInt(std::string* out, Int value) {
  char digits[24];
  out->append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace

void MetricsText::Family(std::string_view name, std::string_view type, std::string_view help) {
  out_->append("# HELP ").append(name).push_back(' ');
  AppendEscaped(out_, help, /*quote_too=*/false);
  out_->append("\n# TYPE ").append(name).push_back(' ');
  out_->append(type).push_back('\n');
}

void MetricsText::BeginSample(std::string_view name, std::initializer_list<MetricLabel> labels) {
  out_->append(name);
  if (labels.size() > 0) {
    char separator = '{';
    for (const auto& [label, value] : labels) {
      out_->push_back(separator);
      out_->append(label).append("=\"");
      AppendEscaped(out_, value, /*quote_too=*/true);
      out_->push_back('"');
      separator = ',';
    }
    out_->push_back('}');
  }
  out_->push_back(' ');
}

void MetricsText::Sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         uint64_t value) {
  BeginSample(name, labels);
  AppendInt(out_, value);
  out_->push_back('\n');
}

void MetricsText::Sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         int64_t value) {
  BeginSample(name, labels);
  AppendInt(out_, value);
  out_->push_back('\n');
}

void MetricsText::Sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         double value) {
  BeginSample(name, labels);
  if (std::isnan(value)) {
    out_->append("NaN");
  } else if (std::isinf(value)) {
    out_->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buffer[kPythonFloatBufferSize];
    out_->append(buffer, FormatPythonFloat(value, buffer));
  }
  out_->push_back('\n');
}

}  // namespace slotd::api
