#include "api/http/http_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "api/http/io_thread.h"
#include "api/http/listener.h"
#include "api/http/server_state.h"
#include "api/http/tls.h"

namespace slotd::api {

struct HttpServer::Impl {
  Impl(const ApiContext& context, ServerSettings settings) : state(context, std::move(settings)) {
    if (state.settings.tls != nullptr) state.tls = AsioTlsContext(state.settings.tls);
    for (size_t i = 0; i < std::max<size_t>(state.settings.io_threads, 1); ++i) {
      threads.push_back(std::make_unique<IoThread>(state));
    }
    listener = std::make_unique<Listener>(state, threads);
  }

  ServerState state;
  std::vector<std::unique_ptr<IoThread>> threads;
  std::unique_ptr<Listener> listener;
};

HttpServer::HttpServer(const ApiContext& context, ServerSettings settings)
    : impl_(std::make_unique<Impl>(context, std::move(settings))) {}

HttpServer::~HttpServer() = default;

int HttpServer::Bind() {
  const int port = impl_->listener->Bind(impl_->state.settings.host, impl_->state.settings.port);
  impl_->state.reader.server_port = port;
  return port;
}

void HttpServer::Serve() {
  impl_->listener->Start();
  std::vector<std::thread> others;
  for (size_t i = 1; i < impl_->threads.size(); ++i) {
    others.emplace_back([thread = impl_->threads[i].get()] { thread->Run(); });
  }
  impl_->threads[0]->Run();
  for (std::thread& other : others) other.join();
}

void HttpServer::Stop() {
  // The listener hands connections to the threads by posting, so it stops
  // first, on its own thread: a connection handed over before reaches its
  // thread before that thread's stop does.
  boost::asio::post(impl_->threads[0]->context(), [impl = impl_.get()] {
    impl->listener->Close();
    for (const auto& thread : impl->threads) thread->Stop();
  });
}

int HttpServer::InFlight() const {
  int total = 0;
  for (const auto& thread : impl_->threads) total += thread->in_flight();
  return total;
}

size_t HttpServer::OpenConnections() const {
  return impl_->state.open.load(std::memory_order_relaxed);
}

}  // namespace slotd::api
