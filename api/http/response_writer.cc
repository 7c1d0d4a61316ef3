#include "api/http/response_writer.h"

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/crc.hpp>
#include <charconv>
#include <cstdint>

namespace slotd::api {
namespace {

namespace zlib = boost::beast::zlib;

void AppendNumber(std::string* out, uint64_t value) {
  char digits[20];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out->append(digits, result.ptr);
}

void AppendHeader(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append(": ").append(value).append("\r\n");
}

void AppendLittleEndian32(std::string* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// `body` as a gzip member (RFC 1952): a fixed 10-byte header, the raw
// deflate stream, then CRC-32 and the length. Beast's own deflate keeps
// slotd off a separate zlib; one stream per thread is reused, as its state
// is a few hundred KiB.
std::string Gzip(std::string_view body) {
  thread_local zlib::deflate_stream deflate;
  deflate.reset(6, 15, 8, zlib::Strategy::normal);
  std::string out("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10);  // deflate, no name, no time, Unix
  const size_t header = out.size();
  out.resize(header + deflate.upper_bound(body.size()));
  zlib::z_params params;
  params.next_in = body.data();
  params.avail_in = body.size();
  params.next_out = out.data() + header;
  params.avail_out = out.size() - header;
  boost::beast::error_code ec;
  deflate.write(params, zlib::Flush::finish, ec);
  // upper_bound leaves room for the whole stream, so one call ends it.
  out.resize(header + params.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  AppendLittleEndian32(&out, crc.checksum());
  AppendLittleEndian32(&out, static_cast<uint32_t>(body.size()));
  return out;
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 423:
      return "Locked";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void AppendResponse(const ApiResponse& answer, const ResponseOptions& options, std::string* out) {
  const bool compress =
      options.gzip && !options.head_request && answer.body.size() >= kMinCompressedBody;
  std::string compressed;
  if (compress) compressed = Gzip(answer.body);
  const std::string_view body = compress ? std::string_view(compressed) : answer.body;

  out->append("HTTP/1.1 ");
  AppendNumber(out, static_cast<uint64_t>(answer.status));
  out->push_back(' ');
  out->append(ReasonPhrase(answer.status)).append("\r\n");
  if (!answer.body.empty()) AppendHeader(out, "Content-Type", answer.content_type);
  // RFC 9110 section 8.6: never on a 1xx or 204; a 304 would describe the
  // representation, which slotd has none of.
  if (answer.status >= 200 && answer.status != 204 && answer.status != 304) {
    out->append("Content-Length: ");
    AppendNumber(out, body.size());
    out->append("\r\n");
  }
  if (!answer.retry_after.empty()) AppendHeader(out, "Retry-After", answer.retry_after);
  if (!answer.allow.empty()) AppendHeader(out, "Allow", answer.allow);
  if (!answer.location.empty()) AppendHeader(out, "Location", answer.location);
  if (!answer.preference_applied.empty()) {
    AppendHeader(out, "Preference-Applied", answer.preference_applied);
  }
  out->append(answer.extra_headers);
  if (compress) {
    AppendHeader(out, "Content-Encoding", "gzip");
    AppendHeader(out, "Vary", "Accept-Encoding");
  }
  if (options.close) AppendHeader(out, "Connection", "close");
  out->append("\r\n");
  if (!options.head_request) out->append(body);
}

}  // namespace slotd::api
