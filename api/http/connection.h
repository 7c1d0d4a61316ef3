// One accepted connection, served on its I/O thread from accept to close: a
// small state machine that moves bytes between the socket and the request
// reader (request_reader.h), and answers with one write of head and body.
//
// Its life:
//   1. TLS only: the handshake, under the request deadline.
//   2. Read into a contiguous buffer. The first byte of a request moves the
//      connection from the idle deadline (keep-alive seconds) to the request
//      deadline (--request-timeout-seconds), which lasts until the last byte
//      of the answer is written, so a client that trickles or never reads is
//      cut off.
//   3. Feed the buffer to the reader. Each complete request is dispatched
//      inline (api/prefect/dispatch.h) and its answer appended to the output
//      string; pipelined requests already buffered are answered too, up to
//      kOutputWindow of output, and everything goes out in one write.
//      Nothing is parsed while a write is pending, so the output held stays
//      at one answer plus the window.
//   4. After a refusal, an answer with "Connection: close", or a stop, the
//      connection closes lingering: it stops sending (or sends TLS
//      close_notify), then reads and discards what the client still sends
//      for up to 2 s or until it closes. Closing at once with bytes unread
//      would reset the connection and could destroy the answer before the
//      client reads it.
// A connection over the cap is answered 503 (inside TLS, after the
// handshake, when serving HTTPS) without reading the request, and closed
// after a 100 ms drain.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "api/http/io_thread.h"
#include "api/http/server_state.h"

namespace slotd::api {

// Answers pipelined requests already received are coalesced up to this
// many bytes of output before they are written.
inline constexpr size_t kOutputWindow = 64 * 1024;

// The whole answer to a connection over the cap: 503 {"detail":"Too many
// connections"}, Retry-After: 1, Connection: close.
const std::string& TooManyConnectionsAnswer();

// A connection for `socket` (accepted on `thread`'s context), TLS when
// state.tls is set; admitted false: one over the cap, to be answered 503.
// It deletes itself once closed and done.
Connection* NewConnection(IoThread& thread, ServerState& state, boost::asio::ip::tcp::socket socket,
                          bool admitted);

}  // namespace slotd::api
