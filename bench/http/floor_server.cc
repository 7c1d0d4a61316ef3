// The floor of slotd's HTTP library: a bare cpp-httplib server that answers
// the routes the wrk scenarios use with fixed bytes shaped like slotd's
// answers. No parsing, no engine, no access log: what this server spends per
// request is what cpp-httplib costs, so slotd's req/s divided by this one's
// is the share of the library's ceiling that slotd reaches.
//
// It drives httplib exactly as slotd's api/http_server.cc does: TCP_NODELAY,
// keep-alive for up to a million requests, a thread per connection (a pool
// large enough for every connection a benchmark opens), a listen backlog of
// SOMAXCONN, a pre-routing handler for requests without a body and a ".*"
// POST handler for those with one.
//
//   slotd_floor_server [--host H] [--port P] [--threads N]
//
// With --port 0 it prints one line, "floor listening on http://H:P/api".
#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr const char* kMinimalList =
    R"([{"id":"0b9f1c2e-4f7a-4d1e-9c3b-2a5d6e7f8091","name":"bench-cycle","limit":1000000000}])";
constexpr const char* kLeaseResponse =
    R"({"lease_id":"5c2d0a9e-8b1f-4e3a-a6c7-d4e5f60718a9","limits":[{"id":"0b9f1c2e-4f7a-4d1e-9c3b-2a5d6e7f8091","name":"bench-cycle","limit":1000000000}]})";

std::string GlobalLimit(int index) {
  char buffer[400];
  std::snprintf(
      buffer, sizeof buffer,
      R"({"id":"0b9f1c2e-4f7a-4d1e-9c3b-2a5d6e7f%04d","created":"2026-01-01T00:00:00.000000Z",)"
      R"("updated":"2026-01-01T00:00:00.000000Z","active":true,"name":"bench-filter-%03d",)"
      R"("limit":10,"active_slots":0,"slot_decay_per_second":0.0})",
      index, index);
  return buffer;
}

std::string FilterOf200() {
  std::string body = "[";
  for (int i = 0; i < 200; ++i) {
    if (i > 0) body += ',';
    body += GlobalLimit(i);
  }
  body += ']';
  return body;
}

const std::string kOneLimit = GlobalLimit(0);
const std::string kFilterPage = FilterOf200();

void Answer(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  if (!body.empty()) {
    res.body = body;
    res.set_header("Content-Type", "application/json");
  }
}

// The fixed answer for a path: the scenarios' routes by their last segment.
void Serve(const httplib::Request& req, httplib::Response& res) {
  std::string_view path = req.path;
  std::string_view last = path.substr(path.rfind('/') + 1);
  if (req.method == "GET" && path.starts_with("/api/v2/concurrency_limits/")) {
    Answer(res, 200, kOneLimit);
  } else if (last == "increment" || last == "decrement") {
    Answer(res, 200, kMinimalList);
  } else if (last == "increment-with-lease") {
    Answer(res, 200, kLeaseResponse);
  } else if (last == "renew" || last == "decrement-with-lease") {
    Answer(res, 204, "");
  } else if (last == "filter") {
    Answer(res, 200, kFilterPage);
  } else if (path == "/api/health") {
    Answer(res, 200, "true");
  } else {
    Answer(res, 404, R"({"detail":"Not Found"})");
  }
}

bool HasBody(const httplib::Request& req) {
  return (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0") ||
         req.has_header("Transfer-Encoding");
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 4299;
  size_t threads = 1024;  // slotd's default cap of connections served at once
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--host")
      host = argv[i + 1];
    else if (flag == "--port")
      port = std::atoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::strtoul(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--host H] [--port P] [--threads N]\n", argv[0]);
      return 2;
    }
  }

  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib writes the header block and the body with two send() calls; with
  // Nagle on, the second waits for the client's delayed ACK (~40 ms).
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1000000);
  int listen_socket = -1;
  server.set_socket_options([&listen_socket](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket = sock;
  });
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (HasBody(req)) return httplib::Server::HandlerResponse::Unhandled;
    Serve(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  server.Post(".*", Serve);

  port = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (port < 0) {
    std::fprintf(stderr, "cannot listen on %s\n", host.c_str());
    return 1;
  }
  ::listen(listen_socket, SOMAXCONN);  // httplib's backlog is 5
  std::printf("floor listening on http://%s:%d/api\n", host.c_str(), port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
