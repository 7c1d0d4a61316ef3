// Fuzzes the transport's request path: a byte stream as a connection would
// receive it (heads, Content-Length and chunked bodies, pipelined requests)
// through RequestReader, each request it hands out answered by the real
// dispatcher and written by AppendResponse.
//
// Input: four bytes of settings, then the stream.
//   bytes 0-1: max_body_bytes = 16 + (little-endian value % 4081)
//   byte 2:    bit 0 authentication on ("admin:pass"); bit 1 a body
//              budget of max_body_bytes; bits 5-7 give
//              max_head_bytes = 256 << (bits % 7)
//   byte 3:    how the stream is split for the second pass: 0 a byte at a
//              time, else pieces of 1..byte bytes from a generator it seeds
//
// The stream is read twice, whole and in pieces. It aborts (a finding) if
// the two passes' events differ; if a request is handed out whose raw head
// has Transfer-Encoding with Content-Length, more than one
// Transfer-Encoding, a final coding other than chunked, an obs-fold, or no
// single Host in HTTP/1.1; a body over max_body_bytes; a request without
// valid credentials while authentication is on (other than GET of the exact
// health and ready paths); anything after a refusal; more bytes left
// unconsumed than the reader's bound; an answer whose written length is
// not its body's; with the budget, a 503 (one reader alone always fits in
// it), more held than it, or anything still held once the reader is gone.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/basic_auth.h"
#include "api/http/framing_checks.h"
#include "api/http/request_reader.h"
#include "api/http/request_target.h"
#include "api/http/response_writer.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

using slotd::api::ApiRequest;
using slotd::api::ApiResponse;
using slotd::api::ReaderSettings;
using slotd::api::RequestReader;
using Step = RequestReader::Step;

const std::string kAuthString = "admin:pass";

[[noreturn]] void Finding(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "FINDING: %s\n  %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// What the raw head of a handed-out request shows, read here line by line
// and independently of Beast and the reader.
struct RawHead {
  std::string method;
  std::string target;
  bool http11 = false;
  int lengths = 0;
  int encodings = 0;
  int hosts = 0;
  std::vector<std::string> authorizations;
  std::string last_coding;
  bool folded = false;
};

RawHead ReadRawHead(std::string_view request) {
  RawHead head;
  const std::string_view text = request.substr(0, request.find("\r\n\r\n"));
  size_t at = 0;
  bool first = true;
  while (at <= text.size()) {
    size_t end = text.find("\r\n", at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 2;
    if (first) {
      first = false;
      const size_t space = line.find(' ');
      const size_t last_space = line.rfind(' ');
      head.method = line.substr(0, space);
      if (space != std::string_view::npos && last_space > space) {
        head.target = line.substr(space + 1, last_space - space - 1);
      }
      head.http11 = line.ends_with(" HTTP/1.1");
      continue;
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) head.folded = true;
    const size_t colon = line.find(':');
    const std::string name = Lower(line.substr(0, colon));
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view() : Trim(line.substr(colon + 1));
    if (name == "content-length") ++head.lengths;
    if (name == "host") ++head.hosts;
    if (name == "authorization") head.authorizations.emplace_back(value);
    if (name == "transfer-encoding") {
      ++head.encodings;
      // The last non-empty element: a list may hold empty ones, which a
      // recipient ignores (RFC 9110 5.6.1), so "chunked," ends in chunked.
      std::string_view rest = value;
      while (!rest.empty()) {
        const size_t comma = rest.rfind(',');
        const std::string_view last =
            Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        if (!last.empty() || comma == std::string_view::npos) {
          head.last_coding = Lower(last);
          break;
        }
        rest = rest.substr(0, comma);
      }
    }
  }
  return head;
}

void CheckHandedOut(std::string_view raw, const ApiRequest& request,
                    const ReaderSettings& settings) {
  const RawHead head = ReadRawHead(raw);
  if (head.lengths > 0 && head.encodings > 0) Finding("TE with CL handed out", raw);
  if (head.encodings > 1) Finding("two TE lines handed out", raw);
  if (head.encodings == 1 && head.last_coding != "chunked") Finding("TE not chunked", raw);
  if (head.http11 && head.hosts != 1) Finding("HTTP/1.1 without one Host handed out", raw);
  if (head.folded) Finding("obs-fold handed out", raw);
  if (request.body.size() > settings.max_body_bytes) Finding("body over the limit", raw);
  if (settings.auth_string != nullptr) {
    const auto target = slotd::api::ParseRequestTarget(head.target);
    const bool authorized = head.authorizations.size() == 1 &&
                            slotd::api::IsAuthorized(head.authorizations[0], kAuthString);
    if (!authorized && !slotd::api::IsAuthExempt(head.method, target.origin)) {
      Finding("handed out without credentials", raw);
    }
  }
}

// The written answer's Content-Length matches the bytes after its head.
void CheckWritten(const std::string& out, bool head_request) {
  if (!out.starts_with("HTTP/1.1 ")) Finding("status line", out);
  const size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos) Finding("no end of head", out);
  const size_t length_at = out.find("\r\nContent-Length: ");
  if (length_at == std::string::npos || length_at > end) return;
  const size_t length = std::strtoull(out.c_str() + length_at + 18, nullptr, 10);
  const size_t sent = out.size() - end - 4;
  if (head_request ? sent != 0 : sent != length) Finding("Content-Length vs body", out);
}

std::string Describe(const RequestReader& reader, size_t offset) {
  const ApiRequest& r = reader.request();
  std::string text = "request@" + std::to_string(offset) + " ";
  text.append(r.method).append(" ").append(r.path).append(" ?").append(r.raw_query);
  text.append(" host=").append(r.host_header).append(" v=").append(r.api_version_header);
  text.append(" type=").append(r.content_type ? std::string(*r.content_type) : "-");
  text.append(" client=").append(r.csrf_client ? std::string(*r.csrf_client) : "-");
  text += r.chunked ? " chunked" : "";
  text += reader.keep_alive() ? "" : " close";
  text += reader.is_head() ? " head" : "";
  text += reader.accepts_gzip() ? " gzip" : "";
  text.append(" body=").append(r.body);
  return text;
}

class PieceSizes {
 public:
  explicit PieceSizes(uint8_t seed) : max_(seed), state_(seed * 2654435761u + 1) {}
  size_t Next() {
    if (max_ == 0) return 1;
    state_ = state_ * 1103515245u + 12345u;
    return 1 + (state_ >> 16) % max_;
  }

 private:
  uint32_t max_;
  uint32_t state_;
};

// One pass over the stream; answers through the dispatcher when `dispatch`.
std::vector<std::string> Pass(std::string_view stream, const ReaderSettings& settings,
                              PieceSizes* pieces, bool dispatch) {
  std::vector<std::string> events;
  RequestReader reader(&settings);
  const size_t bound = std::max(settings.max_head_bytes, slotd::api::kMaxChunkLineBytes + 2);
  std::string pending;
  size_t taken = 0;          // stream bytes consumed so far
  size_t request_start = 0;  // where the current request began
  size_t at = 0;
  while (at < stream.size()) {
    const size_t piece = pieces == nullptr ? stream.size() : pieces->Next();
    const size_t size = std::min(piece, stream.size() - at);
    pending.append(stream.substr(at, size));
    at += size;
    while (true) {
      size_t consumed = 0;
      const Step step = reader.Put(pending, &consumed);
      if (consumed > pending.size()) Finding("consumed more than given");
      pending.erase(0, consumed);
      taken += consumed;
      if (step == Step::kNeedMore) {
        if (pending.size() > bound) Finding("unconsumed past the bound", pending);
        break;
      }
      if (step == Step::kContinue) {
        events.push_back("continue@" + std::to_string(taken));
        continue;
      }
      if (settings.body_budget != nullptr &&
          settings.body_budget->held() > settings.body_budget->total()) {
        Finding("more held than the body budget");
      }
      if (step == Step::kRefuse) {
        const ApiResponse& refusal = reader.refusal();
        if (refusal.status == 503) Finding("a lone reader refused by the body budget");
        events.push_back("refuse " + std::to_string(refusal.status) + " " + refusal.body);
        std::string out;
        slotd::api::AppendResponse(refusal, {.close = true}, &out);
        CheckWritten(out, false);
        size_t after = 0;
        if (reader.Put("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &after) != Step::kRefuse ||
            after != 0) {
          Finding("read after a refusal");
        }
        return events;
      }
      const ApiRequest& request = reader.request();
      CheckHandedOut(stream.substr(request_start, taken - request_start), request, settings);
      events.push_back(Describe(reader, taken));
      if (dispatch) {
        const ApiResponse answer = slotd::fuzz::FuzzServer::Get().Call(request);
        std::string out;
        slotd::api::AppendResponse(answer,
                                   {.head_request = reader.is_head(),
                                    .close = !reader.keep_alive(),
                                    .gzip = reader.accepts_gzip()},
                                   &out);
        CheckWritten(out, reader.is_head());
      }
      reader.Next();
      request_start = taken;
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  ReaderSettings settings;
  settings.max_body_bytes = 16 + (data[0] | data[1] << 8) % 4081;
  if (data[2] & 1) settings.auth_string = &kAuthString;
  settings.max_head_bytes = size_t{256} << ((data[2] >> 5) % 7);
  settings.server_address = "127.0.0.1";
  settings.server_port = 4200;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);

  std::optional<slotd::api::BodyBudget> budget;
  if (data[2] & 2) settings.body_budget = &budget.emplace(settings.max_body_bytes);

  const std::vector<std::string> whole = Pass(stream, settings, nullptr, true);
  PieceSizes pieces(data[3]);
  const std::vector<std::string> split = Pass(stream, settings, &pieces, false);
  if (budget && budget->held() != 0) Finding("body bytes still held after the reader");
  if (whole != split) {
    std::string detail;
    for (size_t i = 0; i < std::max(whole.size(), split.size()); ++i) {
      detail += "\n  whole: " + (i < whole.size() ? whole[i] : "(none)");
      detail += "\n  split: " + (i < split.size() ? split[i] : "(none)");
    }
    Finding("events differ with the split", detail);
  }
  return 0;
}
