#include "api/http/request_reader.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstdint>
#include <optional>

#include "api/http/basic_auth.h"
#include "api/http/framing_checks.h"
#include "api/http/request_target.h"
#include "api/ui/ui_page.h"

namespace slotd::api {
namespace {

namespace http = boost::beast::http;
using boost::beast::error_code;
using Parser = http::request_parser<http::string_body>;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

// Whether the field line at the start of `line` is a Content-Length whose
// value is a number too large for 64 bits, which Beast refuses as
// bad_content_length: it is over any body limit, so slotd answers 413 as
// httplib did.
bool IsContentLengthOverflow(std::string_view line) {
  line = line.substr(0, line.find('\r'));
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos ||
      !EqualsIgnoreCase(line.substr(0, colon), "content-length")) {
    return false;
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  uint64_t number = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (number > (UINT64_MAX - digit) / 10) return !value.empty();
    number = number * 10 + digit;
  }
  return false;
}

std::optional<std::string_view> FindField(const http::fields& fields, std::string_view name) {
  auto it = fields.find(name);
  if (it == fields.end()) return std::nullopt;
  return it->value();
}

}  // namespace

struct RequestReader::State {
  enum class Phase { kRequestLine, kFields, kBody, kReady, kRefused };

  explicit State(const ReaderSettings* settings) : settings(settings) { Reset(); }
  ~State() { ReleaseBody(); }

  void Reset();
  // Reserves `bytes` more of the body from the shared budget.
  bool ReserveBody(uint64_t bytes);
  // Gives the body's bytes back to the budget (and drops them).
  void ReleaseBody();
  Step ReadHead(std::string_view bytes, size_t* consumed);
  Step CheckHead();
  Step ReadBody(std::string_view bytes, size_t* consumed);
  Step Finish();
  Step Refuse(int status, std::string_view detail);
  Step Refuse(const Refusal& refusal) { return Refuse(refusal.status, refusal.detail); }
  Step RefuseOverBudget();
  std::optional<Refusal> CheckCredentials(std::string_view origin) const;

  // Beast's chunk callbacks (Parser::on_chunk_header, on_chunk_body), which
  // check each chunk's extensions and tell the reader where the next chunk
  // line starts, so its length can be bounded before Beast reads it.
  struct ChunkHeaderHook {
    State* state;
    void operator()(uint64_t size, std::string_view extensions, error_code& ec);
  };
  struct ChunkBodyHook {
    State* state;
    size_t operator()(uint64_t remain, std::string_view body, error_code& ec);
  };

  const ReaderSettings* settings;
  std::optional<Parser> parser;
  ChunkHeaderHook chunk_header_hook{this};
  ChunkBodyHook chunk_body_hook{this};
  Phase phase = Phase::kRequestLine;
  bool started = false;
  size_t head_consumed = 0;   // bytes of the head Beast has taken
  size_t fields_scanned = 0;  // bytes after the request line searched for the head's end
  size_t head_fields = 0;     // fields at the end of the head (a trailer would add some)
  bool wants_continue = false;
  bool chunk_line_next = false;     // Beast reads a chunk line next
  bool after_chunk_data = false;    // ... after the CRLF that ends a chunk's data
  bool last_chunk_pending = false;  // Beast has read the last chunk's line, not its end
  bool over_budget = false;         // a chunk did not fit in the body budget
  size_t reserved = 0;              // body bytes taken from settings->body_budget
  std::string path;
  std::optional<std::string> client;
  std::optional<std::string> page_token;
  ApiRequest request;
  ApiResponse refusal;
};

bool RequestReader::State::ReserveBody(uint64_t bytes) {
  if (settings->body_budget == nullptr || bytes == 0) return true;
  if (bytes > settings->max_body_bytes || !settings->body_budget->Reserve(bytes)) return false;
  reserved += bytes;
  return true;
}

void RequestReader::State::ReleaseBody() {
  if (reserved == 0) return;
  settings->body_budget->Release(reserved);
  reserved = 0;
  if (parser) std::string().swap(parser->get().body());
}

void RequestReader::State::Reset() {
  ReleaseBody();
  parser.emplace();
  parser->eager(false);
  // The reader bounds the head itself; this is a backstop.
  parser->header_limit(
      static_cast<uint32_t>(std::min<size_t>(settings->max_head_bytes, UINT32_MAX)));
  // Not boost::none: that would refuse every Content-Length (Beast #2070).
  // The real limit comes after the credentials (CheckHead).
  parser->body_limit(UINT64_MAX);
  parser->on_chunk_header(chunk_header_hook);
  parser->on_chunk_body(chunk_body_hook);
  phase = Phase::kRequestLine;
  started = false;
  head_consumed = 0;
  fields_scanned = 0;
  head_fields = 0;
  wants_continue = false;
  chunk_line_next = false;
  after_chunk_data = false;
  last_chunk_pending = false;
  over_budget = false;
  path.clear();
  client.reset();
  page_token.reset();
  request = ApiRequest();
}

void RequestReader::State::ChunkHeaderHook::operator()(uint64_t size, std::string_view extensions,
                                                       error_code& ec) {
  state->chunk_line_next = false;
  if (!IsAcceptableChunkExtension(extensions)) {
    ec = http::error::bad_chunk_extension;
  } else if (!state->ReserveBody(size)) {
    // Over max_body_bytes too (Beast would say body_limit): that answer,
    // 413, is checked first.
    state->over_budget =
        state->parser->get().body().size() + size <= state->settings->max_body_bytes;
    ec = http::error::body_limit;
  }
}

size_t RequestReader::State::ChunkBodyHook::operator()(uint64_t remain, std::string_view body,
                                                       error_code&) {
  state->parser->get().body().append(body);
  if (body.size() == remain) {
    state->chunk_line_next = true;
    state->after_chunk_data = true;
  }
  return body.size();
}

RequestReader::Step RequestReader::State::Refuse(int status, std::string_view detail) {
  phase = Phase::kRefused;
  ReleaseBody();
  refusal = ApiResponse();
  if (status == 401) {
    refusal.status = 401;
    refusal.body = R"({"exception_message":"Unauthorized"})";
  } else {
    RespondDetail(&refusal, status, detail);
    // Only the body budget's refusal is worth retrying soon.
    if (status == 503) refusal.retry_after = std::string("1");
  }
  return Step::kRefuse;
}

RequestReader::Step RequestReader::State::RefuseOverBudget() {
  return Refuse(503, "Server busy: too many request bodies in memory");
}

// The head goes to Beast in two whole pieces, the request line and then the
// fields up to the blank line, each once it has fully arrived: so what Beast
// answers does not depend on how the bytes were split, and no bound of its
// own (header_limit counts only unconsumed bytes) is relied on.
RequestReader::Step RequestReader::State::ReadHead(std::string_view bytes, size_t* consumed) {
  error_code ec;
  if (phase == Phase::kRequestLine) {
    const size_t line_end =
        RequestLineEnd(bytes.substr(0, std::min(bytes.size(), kMaxRequestLineLength)));
    if (line_end == std::string_view::npos) {
      if (bytes.size() >= kMaxRequestLineLength || bytes.size() > settings->max_head_bytes) {
        return Refuse(414, "URI Too Long");
      }
      return Step::kNeedMore;
    }
    if (line_end > settings->max_head_bytes) return Refuse(414, "URI Too Long");
    // Beast asks for more once a line that ends the buffer is parsed.
    const size_t taken = parser->put(boost::asio::buffer(bytes.data(), line_end), ec);
    if ((ec && ec != http::error::need_more) || taken != line_end) return Refuse(BadRequest());
    *consumed += line_end;
    head_consumed = line_end;
    bytes.remove_prefix(line_end);
    phase = Phase::kFields;
  }
  // The head ends at the first empty line: right away, or at the first
  // CRLF CRLF among the fields.
  size_t fields_end = 0;
  if (bytes.starts_with("\r\n")) {
    fields_end = 2;
  } else {
    const size_t room = settings->max_head_bytes - head_consumed;
    const std::string_view window = bytes.substr(0, std::min(bytes.size(), room));
    const size_t end = window.find("\r\n\r\n", fields_scanned < 3 ? 0 : fields_scanned - 3);
    if (end == std::string_view::npos) {
      fields_scanned = window.size();
      if (bytes.size() > room) return Refuse(431, "Request Header Fields Too Large");
      return Step::kNeedMore;
    }
    fields_end = end + 4;
  }
  const size_t taken = parser->put(boost::asio::buffer(bytes.data(), fields_end), ec);
  if (ec == http::error::bad_content_length && IsContentLengthOverflow(bytes.substr(taken))) {
    return Refuse(413, "Request body too large");
  }
  if (ec || taken != fields_end || !parser->is_header_done()) return Refuse(BadRequest());
  *consumed += fields_end;
  head_consumed += fields_end;
  if (HasObsFold(bytes.substr(0, fields_end))) return Refuse(BadRequest());
  return CheckHead();
}

std::optional<Refusal> RequestReader::State::CheckCredentials(std::string_view origin) const {
  if (settings->auth_string == nullptr) return std::nullopt;
  const http::fields& fields = parser->get();
  if (IsAuthExempt(parser->get().method_string(), origin)) return std::nullopt;
  // Two Authorization fields are ambiguous: neither is taken.
  if (fields.count(http::field::authorization) == 1 &&
      IsAuthorized(fields[http::field::authorization], *settings->auth_string)) {
    return std::nullopt;
  }
  return Refusal{401, "Unauthorized"};
}

// RFC 9112's order, then slotd's: the head's size and framing, the target
// and Host, the credentials, and only then anything about the body, so an
// unauthenticated client learns nothing and no body byte is kept for it.
RequestReader::Step RequestReader::State::CheckHead() {
  const auto& message = parser->get();
  const unsigned version = message.version();
  if (auto refusal = CheckFieldSizes(message)) return Refuse(*refusal);
  if (auto refusal = CheckMessageFraming(message, version)) return Refuse(*refusal);
  const RequestTarget target = ParseRequestTarget(message.target());
  if (target.form == TargetForm::kInvalid ||
      (target.form == TargetForm::kAsterisk && message.method() != http::verb::options)) {
    return Refuse(BadRequest());
  }
  if (auto refusal = CheckHost(message, version)) return Refuse(*refusal);
  if (auto refusal = CheckCredentials(target.origin)) {
    Refuse(*refusal);
    // A browser asks for credentials only when the 401 says how; the API's
    // 401s say nothing, as Prefect's.
    if (IsUiPath(target.origin.substr(0, target.origin.find('?')))) {
      this->refusal.extra_headers = kUiAuthChallenge;
    }
    return Step::kRefuse;
  }
  const boost::optional<uint64_t> length = parser->content_length();
  const bool has_body = parser->chunked() || (length && *length > 0);
  if (auto refusal = CheckExpect(message, version, &wants_continue)) return Refuse(*refusal);
  if (auto refusal = CheckContentEncoding(message, has_body)) return Refuse(*refusal);
  if (length && *length > settings->max_body_bytes) return Refuse(413, "Request body too large");
  if (length && !ReserveBody(*length)) return RefuseOverBudget();

  head_fields = static_cast<size_t>(std::distance(message.begin(), message.end()));
  path = DecodedPath(target);
  request.method = message.method_string();
  request.path = path;
  request.raw_query = target.raw_query;
  request.content_type = FindField(message, "Content-Type");
  request.chunked = parser->chunked();
  request.host_header = target.form == TargetForm::kAbsolute
                            ? target.authority
                            : FindField(message, "Host").value_or(std::string_view());
  request.tls = settings->tls;
  request.server_address = settings->server_address;
  request.server_port = settings->server_port;
  request.api_version_header =
      FindField(message, "x-prefect-api-version").value_or(std::string_view());
  request.prefer_header = FindField(message, "prefer").value_or(std::string_view());
  request.if_none_match = FindField(message, "If-None-Match").value_or(std::string_view());
  request.last_event_id_header = FindField(message, "last-event-id");
  client = QueryParameter(target.raw_query, "client");
  if (client) request.csrf_client = *client;
  page_token = QueryParameter(target.raw_query, "page-token");
  if (page_token) request.page_token = *page_token;

  if (parser->is_done()) return Finish();
  phase = Phase::kBody;
  if (parser->chunked()) {
    parser->body_limit(settings->max_body_bytes);
    chunk_line_next = true;
  }
  return wants_continue ? Step::kContinue : Step::kNeedMore;
}

RequestReader::Step RequestReader::State::ReadBody(std::string_view bytes, size_t* consumed) {
  while (!parser->is_done() && !bytes.empty()) {
    if (chunk_line_next) {
      // A chunk line whose end Beast cannot see within the bound, or whose
      // quoted extension runs past its end, is refused before Beast reads
      // it, so it gets the same answer whether it came whole or in pieces.
      const size_t skip = after_chunk_data ? 2 : 0;
      const std::string_view line = bytes.substr(std::min(bytes.size(), skip), kMaxChunkLineBytes);
      const size_t line_end = line.find('\r');
      if (line_end == std::string_view::npos ? line.size() == kMaxChunkLineBytes
                                             : EndsInsideQuotedString(line.substr(0, line_end))) {
        return Refuse(BadRequest());
      }
      // Beast asserts (in debug builds) that the last chunk's line is
      // given again with at least 5 bytes; fewer cannot hold its end.
      if (last_chunk_pending && bytes.size() < 5) return Step::kNeedMore;
    }
    error_code ec;
    const size_t taken = parser->put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    *consumed += taken;
    bytes.remove_prefix(taken);
    if (ec == http::error::need_more) {
      // A whole chunk line and still more wanted: it was the last chunk's,
      // and Beast waits for the end of its trailer, which is refused anyway
      // once it arrives.
      if (chunk_line_next && bytes.find("\r\n", after_chunk_data ? 2 : 0) != bytes.npos) {
        last_chunk_pending = true;
      }
      if (bytes.size() > kMaxChunkLineBytes + 2) return Refuse(BadRequest());
      return Step::kNeedMore;
    }
    if (ec == http::error::body_limit) {
      return over_budget ? RefuseOverBudget() : Refuse(413, "Request body too large");
    }
    if (ec) return Refuse(BadRequest());
    if (taken == 0) break;
  }
  if (!parser->is_done()) return Step::kNeedMore;
  // Beast adds trailer fields to the head's, after the head was checked.
  const auto& message = parser->get();
  if (static_cast<size_t>(std::distance(message.begin(), message.end())) != head_fields) {
    return Refuse(BadRequest());
  }
  return Finish();
}

RequestReader::Step RequestReader::State::Finish() {
  request.body = parser->get().body();
  phase = Phase::kReady;
  return Step::kRequest;
}

RequestReader::RequestReader(const ReaderSettings* settings)
    : state_(std::make_unique<State>(settings)) {}

RequestReader::~RequestReader() = default;

RequestReader::Step RequestReader::Put(std::string_view bytes, size_t* consumed) {
  *consumed = 0;
  State& state = *state_;
  switch (state.phase) {
    case State::Phase::kRefused:
      return Step::kRefuse;
    case State::Phase::kReady:
      return Step::kRequest;
    case State::Phase::kRequestLine:
    case State::Phase::kFields: {
      if (bytes.empty()) return Step::kNeedMore;
      state.started = true;
      const Step step = state.ReadHead(bytes, consumed);
      if (step != Step::kNeedMore || state.phase != State::Phase::kBody) return step;
      return state.ReadBody(bytes.substr(*consumed), consumed);
    }
    case State::Phase::kBody:
      return state.ReadBody(bytes, consumed);
  }
  return Step::kNeedMore;
}

const ApiRequest& RequestReader::request() const { return state_->request; }

bool RequestReader::keep_alive() const { return state_->parser->keep_alive(); }

bool RequestReader::is_head() const { return state_->parser->get().method() == http::verb::head; }

bool RequestReader::accepts_gzip() const {
  // Starlette's GZipMiddleware looks for "gzip" anywhere in the header, as
  // httplib did.
  const http::fields& fields = state_->parser->get();
  auto [first, last] = fields.equal_range(http::field::accept_encoding);
  for (auto it = first; it != last; ++it) {
    if (it->value().find("gzip") != std::string_view::npos) return true;
  }
  return false;
}

const ApiResponse& RequestReader::refusal() const { return state_->refusal; }

bool RequestReader::started() const { return state_->started; }

const http::request<http::string_body>& RequestReader::message() const {
  return state_->parser->get();
}

bool RequestReader::is_websocket_upgrade() const {
  return boost::beast::websocket::is_upgrade(state_->parser->get());
}

std::string_view RequestReader::log_method() const {
  const std::string_view method = state_->parser->get().method_string();
  return method.empty() ? "-" : method;
}

std::string_view RequestReader::log_target() const {
  if (state_->parser->get().method_string().empty()) return "-";
  return state_->parser->get().target();
}

void RequestReader::Next() {
  if (state_->phase == State::Phase::kRefused) return;
  state_->Reset();
}

}  // namespace slotd::api
