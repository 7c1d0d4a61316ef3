#include "tests/fuzz/fuzz_server.h"

#include <simdjson.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "api/json/syntax_error_location.h"
#include "api/prefect/body_parser.h"
#include "api/prefect/responses.h"
#include "api/ui/ui_page.h"

namespace slotd::fuzz {
namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1'800'000'000));

// Each fuzz input moves the clock this far, so decay, lease expiry and the
// `updated` stamps all move and a stray write on a refusal shows.
constexpr Micros kTickPerInput = std::chrono::milliseconds(1);

[[noreturn]] void Finding(const char* what, const ApiRequest& request, const ApiResponse& answer) {
  std::fprintf(stderr, "FINDING: %s\n  %.*s %.*s\n  -> %d %s\n", what,
               static_cast<int>(request.method.size()), request.method.data(),
               static_cast<int>(request.path.size()), request.path.data(), answer.status,
               answer.body.c_str());
  std::abort();
}

bool IsKnownStatus(int status) {
  for (int known : {200, 201, 204, 304, 307, 400, 404, 405, 409, 410, 422, 423, 500}) {
    if (status == known) return true;
  }
  return false;
}

// Refusals and redirects change nothing; 423 is not one of them (a v2
// denial is recorded).
bool IsRefusal(int status) { return status == 307 || (status >= 400 && status != 423); }

// JSON as RFC 8259 has it. A 422 echoes numbers simdjson cannot hold (as
// Python would take them), so those fall back to the scanner that found them.
bool IsValidJson(const std::string& text) {
  static simdjson::dom::parser parser;
  const simdjson::error_code error = parser.parse(simdjson::padded_string(text)).error();
  if (error == simdjson::SUCCESS) return true;
  if (error != simdjson::NUMBER_ERROR && error != simdjson::NUMBER_OUT_OF_RANGE) return false;
  return api::DiagnoseJson(text).kind == api::JsonDiagnosis::Kind::kNumberOutOfRange;
}

// GET /metrics: lines, each ended by '\n', that are comments or "name value"
// with a metric name first.
bool IsExposition(std::string_view body) {
  if (body.empty() || !body.ends_with('\n')) return false;
  while (!body.empty()) {
    const std::string_view line = body.substr(0, body.find('\n'));
    body.remove_prefix(line.size() + 1);
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    const bool named = !line.empty() && (std::isalpha(static_cast<unsigned char>(line[0])) ||
                                         line[0] == '_' || line[0] == ':');
    if (!named || line.find(' ') == std::string_view::npos) return false;
  }
  return true;
}

void CheckAnswer(const ApiRequest& request, const ApiResponse& answer) {
  if (!IsKnownStatus(answer.status)) Finding("unexpected status", request, answer);
  const bool bodyless = answer.status == 204 || answer.status == 304 || answer.status == 307;
  if (bodyless != answer.body.empty()) Finding("body vs 204/304/307", request, answer);
  if ((answer.status == 307) != !answer.location.empty()) {
    Finding("Location vs 307", request, answer);
  }
  // Prefect's own 500: a body read as text (not JSON by its Content-Type,
  // or chunked without one) that is not UTF-8, where a 422 would echo it.
  // Any other 500 is a finding.
  if (answer.status == 500 && (api::BodyIsJson(request) ||
                               simdjson::validate_utf8(request.body.data(), request.body.size()) ||
                               answer.body != R"({"exception_message":"Internal Server Error"})")) {
    Finding("500", request, answer);
  }
  if (answer.content_type == "application/json") {
    if (!answer.body.empty() && !IsValidJson(answer.body)) {
      Finding("body is not JSON", request, answer);
    }
  } else if (request.method == "GET" && api::IsUiPath(request.path)) {
    // The live page: exactly the embedded file api/ui answers for that path
    // (ui_page_fuzzer checks those answers themselves), or its 304.
    const api::UiAnswer page = api::AnswerUi(request.path, request.if_none_match);
    if (answer.status != page.status || answer.content_type != page.content_type ||
        answer.body != page.body || answer.extra_headers != page.headers) {
      Finding("a page answer that is not api/ui's", request, answer);
    }
  } else if (answer.status != 200 || !IsExposition(answer.body)) {
    Finding("a non-JSON answer that is not a 200 exposition or the page", request, answer);
  }
  if ((answer.status == 405) != !answer.allow.empty()) Finding("Allow vs 405", request, answer);
  if (!answer.retry_after.empty() && answer.status != 423) {
    Finding("Retry-After without 423", request, answer);
  }
}

// The seed state is fixed, so a seeding call that fails is a harness bug.
void Seeded(const char* call, Status status) {
  if (status == Status::kOk) return;
  std::fprintf(stderr, "fuzz seed: %s answered %s\n", call, StatusName(status));
  std::abort();
}

}  // namespace

FuzzServer& FuzzServer::Get() {
  static FuzzServer server;
  return server;
}

void FuzzServer::Reset() {
  context_.engine = nullptr;
  store_.reset();
  engine_.reset();
  clock_ = std::make_shared<ManualTimeSource>(kStart);
  EngineOptions options;
  options.limit_shards = 4;
  options.lease_shards = 4;
  options.clock = clock_;
  options.random = std::make_shared<FixedRandomSource>(0.5);
  engine_ = std::make_unique<SlotEngine>(options);
  store_ = std::make_unique<MemorySlotStore>(*engine_);
  context_.engine = store_.get();

  LimitSnapshot created;
  bool is_new = false;
  Seeded("UpsertTagLimit", engine_->UpsertTagLimit("a", 2, &created, &is_new));
  Seeded("UpsertTagLimit", engine_->UpsertTagLimit("b", 0, &created, &is_new));
  Seeded("CreateLimit", engine_->CreateLimit({.name = "g1", .limit = 3}, &created));
  Seeded("CreateLimit",
         engine_->CreateLimit({.name = "g2", .limit = 5, .slot_decay_per_second = 0.5}, &created));
  Seeded("CreateLimit",
         engine_->CreateLimit({.name = "off", .limit = 1, .active = false}, &created));
  const std::string_view names[] = {"g1"};
  AcquireOutcome outcome;
  Seeded("Acquire", engine_->Acquire({.names = names, .lease = LeaseTerms{}}, &outcome));
  lease_id_ = FormatUuid(outcome.lease_id);
  inputs_ = 0;
}

std::string FuzzServer::StateText() {
  std::vector<LimitSnapshot> limits;
  engine_->ListLimits("", 0, SIZE_MAX, &limits, /*with_holders=*/true);
  std::string text = std::to_string(engine_->LeaseCount());
  for (const LimitSnapshot& limit : limits) {
    text += api::LimitV2Json(limit);
    for (const Uuid& holder : limit.task_run_holders) text += FormatUuid(holder);
  }
  return text;
}

ApiResponse FuzzServer::Call(const ApiRequest& request) {
  if (++inputs_ > kInputsPerEngine) Reset();
  clock_->Advance(kTickPerInput);
  const std::string before = StateText();
  ApiResponse answer;
  api::Dispatch(context_, request, &answer);
  CheckAnswer(request, answer);
  if (IsRefusal(answer.status) && StateText() != before) {
    Finding("a refused request changed the engine", request, answer);
  }
  return answer;
}

}  // namespace slotd::fuzz
