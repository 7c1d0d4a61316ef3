// The accept loop: one listening socket on the first I/O thread's context,
// handing each accepted connection round-robin to an I/O thread, where it
// stays until closed.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/http/io_thread.h"
#include "api/http/server_state.h"

namespace slotd::api {

class Listener {
 public:
  // `threads` is not empty and outlives the listener, which runs on
  // threads[0]'s context.
  Listener(ServerState& state, const std::vector<std::unique_ptr<IoThread>>& threads);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds (SO_REUSEADDR, not SO_REUSEPORT, which would let a second server
  // bind the same port instead of failing) and listens with a backlog of
  // SOMAXCONN. Returns the port (the one the system chose for port 0), or -1.
  int Bind(const std::string& host, int port);

  // Begins accepting, on threads[0]'s context (before or while it runs).
  void Start();

  // On threads[0]'s context: stops accepting and closes the listening
  // socket. Connections accepted before were posted to their threads first.
  void Close();

 private:
  void Accept();
  void OnAccept(const boost::system::error_code& error, boost::asio::ip::tcp::socket socket);
  void AnswerPastFileLimit();
  void Pause();

  ServerState& state_;
  const std::vector<std::unique_ptr<IoThread>>& threads_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_;
  size_t next_ = 0;
  // Kept open so that, once the process is out of descriptors, one can be
  // freed to accept a connection and answer it 503 rather than leave it
  // unanswered in the backlog.
  int spare_fd_ = -1;
  bool stopped_ = false;
};

}  // namespace slotd::api
