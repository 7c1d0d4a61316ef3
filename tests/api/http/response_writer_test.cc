#include "api/http/response_writer.h"

#include <boost/beast/zlib/inflate_stream.hpp>
#include <boost/crc.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

using namespace slotd::api;

namespace {

std::string Written(const ApiResponse& answer, ResponseOptions options = {}) {
  std::string out;
  AppendResponse(answer, options, &out);
  return out;
}

uint32_t LittleEndian32(std::string_view bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<unsigned char>(bytes[i]);
  return value;
}

// The body of a gzip member, checked against its trailer; fails the test on
// any error.
std::string Gunzip(std::string_view member) {
  REQUIRE(member.size() >= 18);
  REQUIRE(member.substr(0, 4) == std::string_view("\x1f\x8b\x08\0", 4));
  namespace zlib = boost::beast::zlib;
  zlib::inflate_stream inflate;
  inflate.reset(15);
  std::string out(1 << 20, '\0');
  zlib::z_params params;
  const std::string_view deflated = member.substr(10, member.size() - 18);
  params.next_in = deflated.data();
  params.avail_in = deflated.size();
  params.next_out = out.data();
  params.avail_out = out.size();
  boost::beast::error_code ec;
  inflate.write(params, zlib::Flush::finish, ec);
  CHECK((ec == zlib::error::end_of_stream || !ec));
  out.resize(params.total_out);
  boost::crc_32_type crc;
  crc.process_bytes(out.data(), out.size());
  CHECK(LittleEndian32(member.substr(member.size() - 8)) == crc.checksum());
  CHECK(LittleEndian32(member.substr(member.size() - 4)) == out.size());
  return out;
}

}  // namespace

TEST_CASE("an answer's extra header lines are written as they are", "[response]") {
  ApiResponse answer;
  answer.status = 304;
  answer.extra_headers = "Cache-Control: no-cache\r\nETag: W/\"1\"\r\n";
  CHECK(Written(answer) ==
        "HTTP/1.1 304 Not Modified\r\nCache-Control: no-cache\r\nETag: W/\"1\"\r\n\r\n");
  answer.status = 401;
  answer.body = "{}";
  answer.extra_headers = "WWW-Authenticate: Basic realm=\"slotd\"\r\n";
  CHECK(Written(answer, {.close = true}) ==
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        "WWW-Authenticate: Basic realm=\"slotd\"\r\nConnection: close\r\n\r\n{}");
}

TEST_CASE("an answer with a body is written with its type and length", "[response]") {
  ApiResponse answer;
  answer.status = 201;
  answer.body = R"({"a":1})";
  CHECK(Written(answer) ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
        R"({"a":1})");
}

TEST_CASE("an answer's Retry-After, Allow and Location headers are written", "[response]") {
  ApiResponse answer;
  answer.status = 307;
  answer.location = "http://h/api/ready";
  CHECK(Written(answer) ==
        "HTTP/1.1 307 Temporary Redirect\r\nContent-Length: 0\r\n"
        "Location: http://h/api/ready\r\n\r\n");
  ApiResponse locked;
  locked.status = 423;
  locked.body = "{}";
  locked.retry_after = "1.5";
  CHECK(Written(locked, {.close = true}) ==
        "HTTP/1.1 423 Locked\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        "Retry-After: 1.5\r\nConnection: close\r\n\r\n{}");
  ApiResponse wrong_method;
  wrong_method.status = 405;
  wrong_method.body = "{}";
  wrong_method.allow = "GET";
  CHECK(Written(wrong_method).find("\r\nAllow: GET\r\n") != std::string::npos);
}

TEST_CASE("a 204 carries no Content-Length", "[response]") {
  ApiResponse answer;
  answer.status = 204;
  CHECK(Written(answer) == "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST_CASE("an answer to HEAD has the body's length but no body", "[response]") {
  ApiResponse answer;
  answer.body = "true";
  CHECK(Written(answer, {.head_request = true}) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n");
  answer.body = std::string(600, 'x');
  CHECK(Written(answer, {.head_request = true, .gzip = true}).find("Content-Length: 600\r\n") !=
        std::string::npos);
}

TEST_CASE("a body of 500 bytes or more is gzipped for a client that accepts it", "[response]") {
  ApiResponse answer;
  answer.body = "[" + std::string(kMinCompressedBody - 2, '1') + "]";
  const std::string out = Written(answer, {.gzip = true});
  const size_t end = out.find("\r\n\r\n");
  const std::string head = out.substr(0, end + 4);
  const std::string body = out.substr(end + 4);
  CHECK(head.find("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n") != std::string::npos);
  CHECK(head.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
  CHECK(body.size() < answer.body.size());
  CHECK(Gunzip(body) == answer.body);
  // Again with the same thread's compressor, and a body that does not
  // compress well.
  std::string noise;
  for (uint32_t x = 1; noise.size() < 70000; x = x * 1103515245 + 12345) {
    noise.push_back(static_cast<char>(x >> 16));
  }
  answer.body = noise;
  const std::string again = Written(answer, {.gzip = true});
  CHECK(Gunzip(again.substr(again.find("\r\n\r\n") + 4)) == noise);
}

TEST_CASE("a body under 500 bytes, or for a client without gzip, is sent as it is", "[response]") {
  ApiResponse answer;
  answer.body = std::string(kMinCompressedBody - 1, 'x');
  CHECK(Written(answer, {.gzip = true}).find("Content-Encoding") == std::string::npos);
  answer.body = std::string(kMinCompressedBody, 'x');
  CHECK(Written(answer).find("Content-Encoding") == std::string::npos);
}

TEST_CASE("answers are appended after what the string already holds", "[response]") {
  ApiResponse answer;
  answer.status = 404;
  answer.body = "{}";
  std::string out = "before";
  AppendResponse(answer, {}, &out);
  CHECK(out.starts_with("beforeHTTP/1.1 404 Not Found\r\n"));
  CHECK(ReasonPhrase(999) == "Unknown");
}
