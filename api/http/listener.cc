#include "api/http/listener.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "api/http/connection.h"

namespace slotd::api {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// At most this many connections over the cap are being answered 503 at once;
// past it the listener pauses and the backlog holds the rest.
constexpr size_t kMaxRejecting = 64;
constexpr std::chrono::milliseconds kPause{10};

int OpenSpare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

Listener::Listener(ServerState& state, const std::vector<std::unique_ptr<IoThread>>& threads)
    : state_(state),
      threads_(threads),
      acceptor_(threads[0]->context()),
      pause_(threads[0]->context()),
      spare_fd_(OpenSpare()) {}

Listener::~Listener() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

int Listener::Bind(const std::string& host, int port) {
  error_code error;
  asio::ip::address address = asio::ip::make_address(host, error);
  if (error) {
    // A name such as "localhost": looked up once, here.
    tcp::resolver resolver(threads_[0]->context());
    auto results = resolver.resolve(host, "", error);
    if (error || results.empty()) return -1;
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor_.open(endpoint.protocol(), error);
  if (error) return -1;
  acceptor_.set_option(tcp::acceptor::reuse_address(true), error);
  acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(SOMAXCONN, error);
  if (error) {
    acceptor_.close(error);
    return -1;
  }
  return acceptor_.local_endpoint().port();
}

void Listener::Start() {
  asio::post(threads_[0]->context(), [this] { Accept(); });
}

void Listener::Close() {
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  pause_.cancel();
}

void Listener::Accept() {
  if (stopped_) return;
  if (state_.rejecting.load(std::memory_order_relaxed) >= kMaxRejecting) return Pause();
  IoThread& target = *threads_[next_];
  next_ = (next_ + 1) % threads_.size();
  acceptor_.async_accept(
      target.context(), [this, &target](const error_code& error, tcp::socket socket) {
        if (stopped_) return;
        if (error == asio::error::no_descriptors ||
            error.value() == ENFILE) {  // EMFILE (no_descriptors) or ENFILE
          AnswerPastFileLimit();
          return Pause();
        }
        if (!error) {
          const bool admitted =
              state_.open.fetch_add(1, std::memory_order_relaxed) < state_.settings.max_connections;
          if (!admitted) {
            state_.open.fetch_sub(1, std::memory_order_relaxed);
            state_.rejecting.fetch_add(1, std::memory_order_relaxed);
            state_.context.metrics->CountRefusedConnection();
          }
          asio::post(target.context(), [&target, admitted, socket = std::move(socket)]() mutable {
            target.Adopt(std::move(socket), admitted);
          });
        }
        Accept();
      });
}

// Out of descriptors: frees the spare one to accept the oldest connection
// waiting, answers it 503 without blocking, and closes it. Its request, if
// already received, is read first so the close does not reset the answer.
void Listener::AnswerPastFileLimit() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
  const int fd =
      ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    state_.context.metrics->CountRefusedConnection();
    const std::string& answer = TooManyConnectionsAnswer();
    [[maybe_unused]] ssize_t sent =
        ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    char sink[4096];
    [[maybe_unused]] ssize_t drained = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
    ::close(fd);
  }
  spare_fd_ = OpenSpare();
}

void Listener::Pause() {
  pause_.expires_after(kPause);
  pause_.async_wait([this](const error_code& error) {
    if (!error) Accept();
  });
}

}  // namespace slotd::api
