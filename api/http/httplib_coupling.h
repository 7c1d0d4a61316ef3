// Where slotd depends on cpp-httplib's insides, written down in one place.
//
// Every file under api/http includes httplib through this header. slotd
// serves HTTP with Debian 12's cpp-httplib and bends it to its bounds by
// overriding a private virtual, using protected members and relying on the
// order in which httplib's Server does things. None of that is httplib's
// public contract: any release may change it without notice, and a change
// would compile cleanly and fail at run time (a deadline not applied, a head
// read without bound, a body request answered 404). So the build accepts
// only the release this was read against and tested with, 0.11.4. The
// transport is to move to Boost.Beast; until then, to accept another
// release, read its Server (process_and_close_socket, process_request,
// routing, read_content, write_response_core) against every item below,
// adjust, widen the check at the end of this file, and run `ctest -L e2e`
// (tests/e2e/hostile_input_test.cc, overload_test.cc, auth_test.cc and
// process_test.cc exercise all of it).
//
// Overridden or used, though not public (api/http/bounded_server.*):
//
// - `virtual bool Server::process_and_close_socket(socket_t)`, private. The
//   accept loop calls it on a task-queue thread for each accepted socket;
//   the override replaces httplib's keep-alive loop (and its per-read
//   timeouts) with BoundedServer's, and must close the socket itself.
// - `Server::process_request(Stream&, bool close_connection,
//   bool& connection_closed, setup_request)`, protected. Reads one request
//   from the stream, routes it, writes its answer (with `Connection: close`
//   when `close_connection`), sets `connection_closed` when the request
//   asked to close, and returns false once the stream fails or is at EOF.
// - `Server::svr_sock_`, protected: INVALID_SOCKET once stop() is called,
//   which is how an idle connection learns that the server is stopping.
// - `Server::keep_alive_max_count_`, protected: requests per connection.
// - `set_pre_routing_handler` and `set_logger` are not virtual;
//   BoundedServer hides them, so they must be called on a BoundedServer.
//
// Behaviour assumed of Server (api/http/bounded_server.cc, http_server.cc,
// deadline_stream.cc, request_framing.h):
//
// - The request line and header lines are read through Stream::read one
//   byte at a time, and the first '\n' ends the request line (DeadlineStream
//   buffers, and counts head bytes, beneath that).
// - A request line longer than CPPHTTPLIB_REQUEST_URI_MAX_LENGTH (8192
//   bytes, CRLF included) is answered 414, and a header line longer than
//   CPPHTTPLIB_HEADER_MAX_LENGTH (8192) 400; there is no bound on the count
//   of header lines. Both values are compiled into the library; the header's
//   defaults are the ones Debian builds with (kMaxRequestLineBytes is
//   checked against the first in request_framing.h).
// - When the head fails to read, httplib answers 400 and calls the logger
//   with whatever of the request line it parsed; a failed write of that
//   answer still reaches the logger (BoundedServer logs a refused head from
//   there). A request line that itself fails to read ends process_request
//   with no answer and no log.
// - Before routing, the request gains the headers REMOTE_ADDR, REMOTE_PORT,
//   LOCAL_ADDR and LOCAL_PORT; CheckRequestFraming's count and size of the
//   header block include them.
// - `Expect: 100-continue` is answered "100 Continue" before routing.
// - The pre-routing handler runs once the head is read and before any of
//   the body; returning Handled skips the body and routing.
// - Unhandled there, a POST, PUT, PATCH or DELETE has its body read into
//   req.body (by Content-Length, or chunked; gzip, deflate or br decoded).
//   A body that fails to read leaves the status set: 413 for a
//   Content-Length over set_payload_max_length, 400 for bad framing or
//   data that does not decode, 500 for a decoder that fails to start;
//   never 404. The request is then matched against the route tables, lists
//   of std::regex tried in order.
//   slotd registers no route, so that no regex runs on its hot path: the
//   match fails, the status becomes 404 with an empty body, and the error
//   handler serves the request (http_server.cc). The tables of handlers
//   "with content reader", tried before the body is read, are empty too.
// - The error handler runs, before writing, for every answer with status
//   400 or above (slotd's own answers included); returning Handled makes
//   httplib apply compression and ranges as for a routed answer. An
//   exception thrown in it is not caught by httplib (one thrown in routing
//   goes to the exception handler).
// - The answer is written from the very Request object the handlers got as
//   const (a local of process_request). Compression is decided from its
//   first Accept-Encoding header and ranges from req.ranges, both as the
//   answer is written, so WriteAnswer's const_cast steers them; and
//   `Connection: close` is written when its first Connection header is
//   "close" (RefuseAndClose adds one; it is the first unless the client
//   sent a Connection header too).
// - The Keep-Alive header httplib writes advertises keep_alive_timeout_sec_
//   (never set by slotd, so httplib's default, 5) and keep_alive_max_count_;
//   the connection's idle timeout itself is BoundedServer's.
// - The listen socket is configured by set_socket_options (which replaces
//   httplib's SO_REUSEPORT) and listened on with a backlog of
//   CPPHTTPLIB_LISTEN_BACKLOG (5); HttpServer::Bind listens again to raise it.
// - stop() does nothing until the accept loop has started (is_running()).
// - The accept loop's task queue (new_task_queue, api/http/thread_pool.h)
//   is shut down, and so joins every connection's thread, before
//   listen_after_bind() returns.
#pragma once

#include <httplib.h>

#include <string_view>

#ifndef CPPHTTPLIB_VERSION
#error "slotd needs cpp-httplib 0.11.4, whose httplib.h defines CPPHTTPLIB_VERSION"
#endif

// The preprocessor cannot compare the version string, so the compiler does.
static_assert(std::string_view(CPPHTTPLIB_VERSION) == "0.11.4",
              "slotd: cpp-httplib " CPPHTTPLIB_VERSION
              " is not the release slotd was checked against (0.11.4, Debian 12). slotd overrides "
              "and relies on internals of httplib::Server: before accepting this release, check "
              "each item listed in api/http/httplib_coupling.h, then widen this check");
