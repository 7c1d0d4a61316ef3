// GET /api/slotd/events once accepted: the connection becomes a stream of
// server-sent events (api/prefect/change_feed.h), until the client closes,
// is dropped, or the server stops.
//
// The answer is 200 with Content-Type text/event-stream, delimited by the
// connection's close. Then, when the client's Last-Event-ID could not be
// resumed from, a reset event; the events after it (replayed from the ring,
// then live); a ": keepalive" comment after each 15 s of silence.
//
// A session holds no thread: the feed wakes it (posting to its I/O thread)
// when events come, and it copies them out of the feed's ring, up to
// kStreamChunkBytes a write. It keeps its connection's place under the
// connection cap and is on no deadline list. A client that reads too slowly
// is dropped (closed at once): one that lets more than
// kStreamMaxQueuedBytes of new events arrive while a single write to it is
// pending, or that the ring overtakes. Bytes it sends are read and thrown away, so its close is
// seen. A stop ends the stream cleanly: the write in progress completes, then the connection is
// shut down (TLS: close_notify) and closed.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "api/http/io_thread.h"
#include "api/http/server_state.h"

namespace slotd::api {

inline constexpr size_t kStreamChunkBytes = 64 * 1024;
inline constexpr uint64_t kStreamMaxQueuedBytes = 16 << 20;
inline constexpr auto kStreamKeepalive = std::chrono::seconds(15);

// Starts the stream on `stream`, whose request has been answered by the
// router (access-logged as 200) and nothing else written. The session takes
// the caller's place under the connection cap. state.context.change_feed
// must be set.
void StartEventStream(IoThread& thread, ServerState& state, boost::asio::ip::tcp::socket&& stream,
                      std::optional<uint64_t> last_event_id);
void StartEventStream(IoThread& thread, ServerState& state,
                      boost::asio::ssl::stream<boost::asio::ip::tcp::socket>&& stream,
                      std::optional<uint64_t> last_event_id);

}  // namespace slotd::api
