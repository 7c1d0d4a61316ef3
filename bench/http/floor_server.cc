// The floor of slotd's HTTP library: a bare cpp-httplib server that answers
// the routes the wrk scenarios use with fixed bytes shaped like slotd's
// answers. No parsing, no engine: whatever this server does per request is
// what cpp-httplib costs, so slotd's req/s divided by this one's is the share
// of the library's ceiling that slotd reaches.
//
//   slotd_floor_server [--host H] [--port P] [--threads N]
//                      [--keep-alive-max N] [--keep-alive-timeout S]
//                      [--tcp-nodelay 0|1]
//
// With --port 0 it prints one line, "floor listening on http://H:P/api".
// The threading and keep-alive flags exist so the floor can be configured as
// slotd configures its own httplib::Server (bench/http/run.sh passes them).
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kMinimalList =
    R"([{"id":"0b9f1c2e-4f7a-4d1e-9c3b-2a5d6e7f8091","name":"bench-cycle","limit":1000000000}])";
constexpr const char* kLeaseResponse =
    R"({"lease_id":"5c2d0a9e-8b1f-4e3a-a6c7-d4e5f60718a9","limits":[{"id":"0b9f1c2e-4f7a-4d1e-9c3b-2a5d6e7f8091","name":"bench-cycle","limit":1000000000}]})";

std::string GlobalLimit(int index) {
  char buffer[400];
  std::snprintf(buffer, sizeof buffer,
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

void Serve(httplib::Server& server, const char* method, const std::string& pattern, int status,
           std::string body) {
  auto handler = [status, body = std::move(body)](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    if (!body.empty()) res.set_content(body, kJson);
  };
  if (std::strcmp(method, "GET") == 0) server.Get(pattern, handler);
  else server.Post(pattern, handler);
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 4299;
  long threads = 0, keep_alive_max = 0, keep_alive_timeout = 0;
  bool tcp_nodelay = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host") host = value;
    else if (flag == "--port") port = std::atoi(value);
    else if (flag == "--threads") threads = std::atol(value);
    else if (flag == "--keep-alive-max") keep_alive_max = std::atol(value);
    else if (flag == "--keep-alive-timeout") keep_alive_timeout = std::atol(value);
    else if (flag == "--tcp-nodelay") tcp_nodelay = std::atoi(value) != 0;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }

  httplib::Server server;
  if (threads > 0) server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  if (keep_alive_max > 0) server.set_keep_alive_max_count(keep_alive_max);
  if (keep_alive_timeout > 0) server.set_keep_alive_timeout(keep_alive_timeout);
  // httplib writes the header block and the body with two send() calls; with
  // Nagle on, the second waits for the client's delayed ACK (~40 ms).
  server.set_tcp_nodelay(tcp_nodelay);

  const std::string v2 = "/api/v2/concurrency_limits";
  Serve(server, "POST", v2 + "/increment", 200, kMinimalList);
  Serve(server, "POST", v2 + "/decrement", 200, kMinimalList);
  Serve(server, "POST", v2 + "/increment-with-lease", 200, kLeaseResponse);
  Serve(server, "POST", v2 + "/leases/[^/]+/renew", 204, "");
  Serve(server, "POST", v2 + "/decrement-with-lease", 204, "");
  Serve(server, "POST", v2 + "/filter", 200, FilterOf200());
  Serve(server, "GET", v2 + "/[^/]+", 200, GlobalLimit(0));
  Serve(server, "POST", "/api/concurrency_limits/increment", 200, kMinimalList);
  Serve(server, "POST", "/api/concurrency_limits/decrement", 200, kMinimalList);
  Serve(server, "GET", "/api/health", 200, "true");

  if (port == 0) {
    port = server.bind_to_any_port(host);
    if (port < 0) return 1;
    std::printf("floor listening on http://%s:%d/api\n", host.c_str(), port);
    std::fflush(stdout);
    return server.listen_after_bind() ? 0 : 1;
  }
  return server.listen(host, port) ? 0 : 1;
}
