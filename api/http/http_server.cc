#include "api/http/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "api/http/access_log.h"
#include "api/http/basic_auth.h"
#include "api/http/bounded_server.h"
#include "api/http/httplib_coupling.h"
#include "api/http/request_framing.h"
#include "api/http/thread_pool.h"
#include "api/prefect/dispatch.h"
#include "api/prefect/responses.h"

namespace slotd::api {
namespace {

using Clock = std::chrono::steady_clock;

// Prefect compresses with Starlette's GZipMiddleware, which leaves bodies
// under 500 bytes alone; compressing every small answer would cost more
// than the request itself.
constexpr size_t kMinCompressedBody = 500;
// cpp-httplib closes a keep-alive connection after this many requests by
// default (5); clients such as Prefect's expect to keep it.
constexpr size_t kKeepAliveMaxRequests = 1000000;
constexpr size_t kInitialThreads = 8;
// Threads beyond max_connections, which only answer 503 to connections over
// the bound: rejecting takes at most a few milliseconds, so a few suffice.
constexpr size_t kRejectingThreads = 8;

// The request this thread is serving: when it started, and whether it is
// counted in flight. A connection is served by one thread from the request
// line to the last byte of the answer.
thread_local Clock::time_point t_request_start;
thread_local bool t_request_counted = false;
// Set when the pre-routing handler leaves a request for httplib to read its
// body: the error handler serves it once read (httplib_coupling.h).
thread_local bool t_awaiting_body = false;

const std::string* FindHeader(const httplib::Request& req, const char* name) {
  auto it = req.headers.find(name);  // httplib compares header names case-insensitively
  return it == req.headers.end() ? nullptr : &it->second;
}

// Whether httplib must read a body before the request can be served. Other
// requests are served before httplib would try (it would wait for the
// connection to close on a POST with no Content-Length).
bool ExpectsBody(const httplib::Request& req) {
  const std::string& method = req.method;
  if (method != "POST" && method != "PUT" && method != "PATCH" && method != "DELETE") return false;
  if (const std::string* encoding = FindHeader(req, "Transfer-Encoding")) {
    return encoding->find("chunked") != std::string::npos;
  }
  const std::string* length = FindHeader(req, "Content-Length");
  return length != nullptr && length->find_first_not_of("0 \t") != std::string::npos;
}

void WriteAnswer(ApiResponse& answer, const httplib::Request& req, httplib::Response& res) {
  res.status = answer.status;
  if (!answer.body.empty()) {
    res.body = std::move(answer.body);
    res.set_header("Content-Type", "application/json");
  }
  if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
  if (!answer.allow.empty()) res.set_header("Allow", std::string(answer.allow));
  if (!answer.location.empty()) res.set_header("Location", answer.location);
  // httplib decides compression and byte ranges from the request as it
  // writes the answer. The request object is not const (httplib owns one per
  // request), so adjusting it here steers only this answer: no compression
  // of small bodies, and no ranges (Prefect ignores Range on the API); see
  // httplib_coupling.h.
  auto& mutable_req = const_cast<httplib::Request&>(req);
  mutable_req.ranges.clear();
  if (res.body.size() < kMinCompressedBody) mutable_req.headers.erase("Accept-Encoding");
}

// Answers a request refused on its head alone. Its body, if any, was never
// read, so the connection cannot carry another request: it closes.
void RefuseAndClose(const FramingRefusal& refusal, const httplib::Request& req,
                    httplib::Response& res) {
  ApiResponse answer;
  RespondDetail(&answer, refusal.status, refusal.detail);
  // httplib writes "Connection: close" when the request asked for it.
  const_cast<httplib::Request&>(req).set_header("Connection", "close");
  WriteAnswer(answer, req, res);
  BoundedServer::CloseAfterThisAnswer();
}

// What httplib's exception handler answers; also what a request served
// from the error handler answers when serving it throws.
void RespondInternalError(httplib::Response& res) {
  ApiResponse answer;
  RespondDetail(&answer, 500, "Internal Server Error");
  res.status = 500;
  res.body = std::move(answer.body);
  res.set_header("Content-Type", "application/json");
}

// The detail of an error answer httplib produced before any handler ran.
const char* LibraryErrorDetail(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 413:
      return "Request body too large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

struct HttpServer::Impl {
  Impl(const ApiContext& context, ServerSettings settings)
      : context(context),
        settings(std::move(settings)),
        log(this->settings.access_log),
        server(BoundsOf(this->settings)) {}

  static ConnectionBounds BoundsOf(const ServerSettings& settings) {
    ConnectionBounds bounds;
    bounds.max_connections = settings.max_connections;
    bounds.request_timeout = settings.request_timeout;
    bounds.idle_timeout = std::chrono::seconds(settings.keep_alive_seconds);
    bounds.tls = settings.tls;
    return bounds;
  }

  void Configure();
  void BeginRequest();
  void Serve(const httplib::Request& req, httplib::Response& res);
  httplib::Server::HandlerResponse ServeOrExplainError(const httplib::Request& req,
                                                       httplib::Response& res);
  void Log(const httplib::Request& req, const httplib::Response& res);

  const ApiContext& context;
  const ServerSettings settings;
  const AccessLog log;
  BoundedServer server;
  std::atomic<int> in_flight{0};
  int listen_socket = -1;
  int bound_port = -1;  // set by Bind, before any request
};

void HttpServer::Impl::Configure() {
  server.new_task_queue = [this] {
    return new GrowingThreadPool(kInitialThreads, settings.max_connections + kRejectingThreads);
  };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(kKeepAliveMaxRequests);
  server.set_payload_max_length(settings.max_body_bytes);
  // Replaces httplib's default SO_REUSEPORT, which would let a second server
  // bind the same port instead of failing; and remembers the socket.
  server.set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket = sock;
  });
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    BeginRequest();
    t_awaiting_body = false;
    if (std::optional<FramingRefusal> refusal = CheckRequestFraming(req, settings.max_body_bytes)) {
      RefuseAndClose(*refusal, req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (ExpectsBody(req)) {
      t_awaiting_body = true;
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Serve(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // No route is registered: httplib would match each request with a body
  // against a table of std::regex. Read, such a request finds no route and
  // comes to the error handler as a 404.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        return ServeOrExplainError(req, res);
      }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                  std::exception_ptr) { RespondInternalError(res); });
  server.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { Log(req, res); });
}

void HttpServer::Impl::BeginRequest() {
  t_request_start = Clock::now();
  if (!t_request_counted) {
    t_request_counted = true;
    in_flight.fetch_add(1, std::memory_order_relaxed);
  }
}

void HttpServer::Impl::Serve(const httplib::Request& req, httplib::Response& res) {
  ApiResponse answer;
  if (req.body.size() > settings.max_body_bytes) {
    // httplib checks Content-Length only; a chunked body is measured here.
    RespondDetail(&answer, 413, "Request body too large");
  } else if (settings.auth_string && !IsAuthExempt(req.method, req.target) &&
             !IsAuthorized(req.get_header_value("Authorization"), *settings.auth_string)) {
    answer.status = 401;
    answer.body = R"({"exception_message":"Unauthorized"})";
  } else {
    ApiRequest request;
    request.method = req.method;
    request.path = req.path;
    const std::string_view target = req.target;
    if (const size_t mark = target.find('?'); mark != std::string_view::npos) {
      request.raw_query = target.substr(mark + 1);
    }
    request.body = req.body;
    if (const std::string* type = FindHeader(req, "Content-Type")) request.content_type = *type;
    if (const std::string* encoding = FindHeader(req, "Transfer-Encoding")) {
      request.chunked = encoding->find("chunked") != std::string::npos;
    }
    if (const std::string* host = FindHeader(req, "Host")) request.host_header = *host;
    request.tls = settings.tls != nullptr;
    request.server_address = settings.host;
    request.server_port = bound_port;
    if (const std::string* version = FindHeader(req, "x-prefect-api-version")) {
      request.api_version_header = *version;
    }
    if (auto client = req.params.find("client"); client != req.params.end()) {
      request.csrf_client = client->second;
    }
    Dispatch(context, request, &answer);
  }
  WriteAnswer(answer, req, res);
}

// Serves a request whose body httplib has read (and so found no route for);
// gives any other answer httplib produced itself (413 for a body over the
// limit, 400 for a malformed request) its detail. Answers with a body are
// ours and pass through.
httplib::Server::HandlerResponse HttpServer::Impl::ServeOrExplainError(const httplib::Request& req,
                                                                       httplib::Response& res) {
  if (std::exchange(t_awaiting_body, false) && res.status == 404) {
    // httplib calls the error handler outside the try that would send an
    // exception to the exception handler; this one answers as it would.
    try {
      Serve(req, res);
    } catch (...) {
      RespondInternalError(res);
    }
    return httplib::Server::HandlerResponse::Handled;
  }
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  ApiResponse answer;
  RespondDetail(&answer, res.status, LibraryErrorDetail(res.status));
  res.body = std::move(answer.body);
  res.set_header("Content-Type", "application/json");
  return httplib::Server::HandlerResponse::Handled;
}

void HttpServer::Impl::Log(const httplib::Request& req, const httplib::Response& res) {
  int64_t micros = 0;
  if (t_request_counted) {
    micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t_request_start)
                 .count();
    t_request_counted = false;
    in_flight.fetch_sub(1, std::memory_order_release);
  }
  log.Record(req.method, req.target, res.status, micros);
}

HttpServer::HttpServer(const ApiContext& context, ServerSettings settings)
    : impl_(std::make_unique<Impl>(context, std::move(settings))) {
  impl_->Configure();
}

HttpServer::~HttpServer() = default;

int HttpServer::Bind() {
  const ServerSettings& settings = impl_->settings;
  int port = -1;
  if (settings.port == 0) {
    port = impl_->server.bind_to_any_port(settings.host);
  } else if (impl_->server.bind_to_port(settings.host, settings.port)) {
    port = settings.port;
  }
  // httplib listens with a backlog of 5; a burst of clients connecting at
  // once would see dropped handshakes. Listening again raises the backlog.
  if (port >= 0) ::listen(impl_->listen_socket, SOMAXCONN);
  impl_->bound_port = port;
  return port;
}

void HttpServer::Serve() { impl_->server.listen_after_bind(); }

void HttpServer::Stop() {
  // httplib's stop() does nothing until the accept loop runs; Serve() may
  // have been called an instant ago.
  for (int i = 0; i < 1000 && !impl_->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->server.stop();
}

int HttpServer::InFlight() const { return impl_->in_flight.load(std::memory_order_acquire); }

size_t HttpServer::OpenConnections() const { return impl_->server.OpenConnections(); }

}  // namespace slotd::api
