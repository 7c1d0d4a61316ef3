// The checks of a request's framing that Beast 1.74's parser leaves to its
// user, each on bytes or fields Beast has already delimited; none is an HTTP
// parser. RequestReader runs them in RFC 9112's order.
//
// What Beast 1.74 (BOOST_BEAST_VERSION 300) accepts that slotd refuses, each
// with a check here (re-read these against any later Beast):
//   - obs-fold: unfolded silently (error::bad_obs_fold is never raised);
//   - identical duplicate Content-Length lines, or a list "5, 5";
//   - Transfer-Encoding before a Content-Length (the body is framed by CL);
//   - "chunked" not the final coding: no body at all, so the body would be
//     read as the next request;
//   - codings other than chunked ("gzip, chunked"): ignored;
//   - Transfer-Encoding in an HTTP/1.0 request;
//   - a missing or repeated Host;
//   - any byte but '"' inside a quoted chunk-ext value (bare CR, LF);
//   - chunk trailer fields: merged into the request's own fields, after the
//     head was checked;
//   - body_limit(boost::none) refuses every Content-Length above 0 (Beast
//     issue #2070), and the limit is checked against a Content-Length only
//     once, at the end of the head (#1770);
//   - header_limit counts only the bytes not yet consumed, so a head that
//     arrives in pieces could grow to about three times it.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace slotd::api {

// (Named apart from request_framing.h's bounds, which it replaces.)
// httplib answered 414 to a request line longer than this, CRLF included;
// slotd keeps the bound.
inline constexpr size_t kMaxRequestLineLength = 8192;
// Uvicorn, in front of Prefect, refuses a header block over 16 KiB (431),
// measured as the sum of name + value + 4 over the fields.
inline constexpr size_t kMaxHeaderBlockLength = 16 * 1024;
inline constexpr size_t kMaxHeaderFields = 256;
// One field line over this (name + value + 4) is a 400, as httplib's line
// reader answered.
inline constexpr size_t kMaxFieldLineBytes = 8192;
// A chunk's extensions, and a chunk line with its CRLF before the size.
inline constexpr size_t kMaxChunkExtensionBytes = 256;
inline constexpr size_t kMaxChunkLineBytes = 1024;

struct Refusal {
  int status;               // 400, 413, 414, 415, 417, 431 or 501
  std::string_view detail;  // the {"detail": ...} text, a string literal
};

Refusal BadRequest();

// Where the request line ends: the offset just past the first LF of `head`
// (the head from its first byte), or npos when it has none.
size_t RequestLineEnd(std::string_view head);

// Whether the header fields of a head (the bytes after the request line, up
// to and including the blank line) have a line starting with SP or HTAB: an
// obs-fold, which Beast would unfold.
bool HasObsFold(std::string_view fields);

// Field count, header block and field line bounds: 431 or 400.
std::optional<Refusal> CheckFieldSizes(const boost::beast::http::fields& fields);

// Transfer-Encoding and Content-Length (RFC 9112 section 6): at most one
// Content-Length line, a single run of digits; at most one
// Transfer-Encoding line, not with a Content-Length nor in HTTP/1.0
// (`version` 10 or 11), whose codings end in exactly one "chunked" (any
// case): 400, or 501 when a coding other than chunked is named.
std::optional<Refusal> CheckMessageFraming(const boost::beast::http::fields& fields,
                                           unsigned version);

// Exactly one Host with a valid value in HTTP/1.1; at most one in HTTP/1.0.
std::optional<Refusal> CheckHost(const boost::beast::http::fields& fields, unsigned version);

// Expect (RFC 9110 section 10.1.1): in HTTP/1.1 any expectation other than
// "100-continue" (any case) is a 417; HTTP/1.0 expectations are ignored.
// *wants_continue: the request asked for 100 Continue.
std::optional<Refusal> CheckExpect(const boost::beast::http::fields& fields, unsigned version,
                                   bool* wants_continue);

// A body with a Content-Encoding: 415, as Prefect's server decodes none.
std::optional<Refusal> CheckContentEncoding(const boost::beast::http::fields& fields,
                                            bool has_body);

// Whether a chunk's extensions (as Beast delimits them, from the first ';')
// are at most kMaxChunkExtensionBytes with no control byte but HTAB: Beast
// lets a quoted value hold any byte, and a bare CR or LF there is read as a
// line end by other parsers (the "funky chunks" desync).
bool IsAcceptableChunkExtension(std::string_view extensions);

// Whether `line` (a chunk line up to its first CR) ends inside a quoted
// string, counting quotes and backslash escapes as Beast's chunk-ext parser
// does. Beast would then read the quoted value past the line end, ask for
// more bytes, and on each retry take the chunk's size off the body limit
// again (a spurious 413 that depends on how the bytes arrived); such an
// extension holds a CR, which IsAcceptableChunkExtension refuses anyway.
bool EndsInsideQuotedString(std::string_view line);

}  // namespace slotd::api
