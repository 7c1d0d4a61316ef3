// The websocket /api/events/in (RFC 6455, Boost.Beast's websocket stream),
// where Prefect clients stream their events; each text message is one JSON
// event, kept in the context's events ring.
//
// The protocol is Prefect's (prefect.server.utilities.subscriptions):
//   - a client that offers the "prefect" subprotocol is accepted with it and
//     must first send {"type": "auth", "token": ...}: the token must be the
//     auth string when one is configured (else anything), and the server
//     answers {"type": "auth_success"}; another first message closes 1008;
//   - a client without the subprotocol is accepted as is (Prefect's legacy
//     mode), but refused 403 before the upgrade when an auth string is set.
// The upgrade request itself went through the reader's checks, credentials
// included, like every request.
//
// Close codes: a frame that breaks RFC 6455 (unmasked, bad opcode or
// control frame) 1002, a text message that is not UTF-8 1007, a message over
// --max-body-bytes 1009 (each sent by Beast), a binary message 1003, a text
// that is not an event Prefect accepts 1011 (Prefect's server fails there
// with an internal error), a stop 1001. A closed or refused message changes
// nothing in the ring.
//
// A session holds no thread: it is one of its I/O thread's connections and
// keeps its place under the connection cap. It is on no deadline list:
// Beast pings a client silent for 30 s and closes one silent for 60 s
// (Prefect's client pings every 20 s itself), and bounds the closing
// handshake to 5 s.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <string_view>

#include "api/http/io_thread.h"
#include "api/http/request_reader.h"
#include "api/http/server_state.h"

namespace slotd::api {

inline constexpr std::string_view kEventsSocketPath = "/api/events/in";

// Whether the request `reader` has just read is the upgrade to the events
// websocket.
bool IsEventsUpgrade(const RequestReader& reader);

// Serves the events websocket on `stream`: the upgrade request `reader` read
// (copied) and the bytes received after it, which the session reads first.
// The session takes the caller's place under the connection cap.
void StartEventsSession(IoThread& thread, ServerState& state, boost::asio::ip::tcp::socket&& stream,
                        const RequestReader& reader, std::string_view buffered);
void StartEventsSession(IoThread& thread, ServerState& state,
                        boost::asio::ssl::stream<boost::asio::ip::tcp::socket>&& stream,
                        const RequestReader& reader, std::string_view buffered);

}  // namespace slotd::api
