// One I/O thread: an io_context run by a single thread, the connections it
// serves from accept to close, and their deadlines.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "api/http/server_state.h"

namespace slotd::api {

using SteadyClock = std::chrono::steady_clock;

// The deadline lists of an I/O thread. Every entry of one list has the same
// duration, so appending at the tail keeps the list sorted by due time, and
// the sweep stops at the first entry that is not yet due.
enum class DeadlineList : uint8_t {
  kRequest,   // from a request's first byte to its answer's last
  kIdle,      // a keep-alive connection waiting for its next request
  kLinger,    // a refused or closing connection drained before close
  kRejected,  // a connection answered 503 over the cap, drained briefly
  kDeferred,  // an answer deferred (a request waiting for a slot): the
              // longest wait plus the request timeout, should it never come
  kNone,
};

class IoThread;

// What an IoThread knows of a connection: its list links and three calls.
// The connection lives on one thread; every call below is made there.
class Connection {
 public:
  virtual ~Connection() = default;

  // Begins serving (or, for one over the cap, answering 503).
  virtual void Start() = 0;
  // Its deadline passed: closes now, pending operations end aborted.
  virtual void Expire() = 0;
  // The server is stopping: closes now unless an answer is being completed,
  // which then closes once written.
  virtual void Stop() = 0;

 private:
  friend class IoThread;
  // Links in one deadline list.
  Connection* deadline_prev_ = nullptr;
  Connection* deadline_next_ = nullptr;
  SteadyClock::time_point due_;
  DeadlineList list_ = DeadlineList::kNone;
  // Links in the thread's list of every open connection.
  Connection* all_prev_ = nullptr;
  Connection* all_next_ = nullptr;
};

class IoThread {
 public:
  explicit IoThread(ServerState& state);
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& context() { return context_; }

  // Runs the event loop on the calling thread until Stop() has drained it:
  // every connection closed.
  void Run();

  // From any thread: closes idle connections and those partly received,
  // lets answers being completed finish, and force-closes what is left after
  // the drain timeout.
  void Stop();

  // Takes a socket accepted on this thread's context (on this thread):
  // serves it, or answers 503 when `admitted` is false.
  void Adopt(boost::asio::ip::tcp::socket socket, bool admitted);

  // The rest is for this thread's connections, on this thread.

  // Takes `connection`, made on this thread from a socket one of its
  // connections gave up (a websocket session), into the thread's list, so a
  // stop reaches it; then starts it.
  void Add(Connection* connection);

  // Sets the deadline of `connection` to now plus the list's duration.
  void Arm(Connection* connection, DeadlineList list, SteadyClock::time_point now);
  void Arm(Connection* connection, DeadlineList list) { Arm(connection, list, SteadyClock::now()); }
  // Takes `connection` off its deadline list.
  void Disarm(Connection* connection);
  // Called by a connection's destructor.
  void Forget(Connection* connection);

  bool stopping() const { return stopping_; }
  // A buffer for bytes read only to be thrown away (lingering close).
  char* scratch() { return scratch_.data(); }
  size_t scratch_size() const { return scratch_.size(); }

  // Requests read and not yet answered in full on this thread (for
  // HttpServer::InFlight, summed over the threads from any thread).
  void AddInFlight(int delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }
  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  struct List {
    Connection* head = nullptr;
    Connection* tail = nullptr;
    SteadyClock::duration duration{};
  };

  void Unlink(Connection* connection);
  void Sweep();
  void ScheduleSweep();
  void BeginStop();

  ServerState& state_;
  boost::asio::io_context context_;
  boost::asio::steady_timer sweep_timer_;
  std::array<List, static_cast<size_t>(DeadlineList::kNone)> lists_;
  Connection* all_ = nullptr;
  size_t connections_ = 0;
  bool stopping_ = false;
  SteadyClock::time_point force_close_at_;
  std::array<char, 16 * 1024> scratch_{};
  alignas(64) std::atomic<int> in_flight_{0};
};

}  // namespace slotd::api
