#include "api/http/io_thread.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "api/http/connection.h"

namespace slotd::api {
namespace {

// How often the deadlines are looked at: a connection is cut between its
// deadline and this much later.
constexpr std::chrono::milliseconds kSweepInterval{100};
// A refused request may still be sending its body (a few MiB on loopback take
// milliseconds); it is drained this long before the close, so that closing
// with its bytes unread does not reset the connection and destroy the
// answer before the client reads it.
constexpr std::chrono::milliseconds kLingerTime{2000};
// A connection over the cap sent a request head at most.
constexpr std::chrono::milliseconds kRejectedLingerTime{100};
// How long a stop waits for answers being completed.
constexpr std::chrono::seconds kDrainTimeout{30};

}  // namespace

IoThread::IoThread(ServerState& state) : state_(state), context_(1), sweep_timer_(context_) {
  lists_[static_cast<size_t>(DeadlineList::kRequest)].duration = state.settings.request_timeout;
  lists_[static_cast<size_t>(DeadlineList::kIdle)].duration =
      std::chrono::seconds(state.settings.keep_alive_seconds);
  lists_[static_cast<size_t>(DeadlineList::kLinger)].duration = kLingerTime;
  lists_[static_cast<size_t>(DeadlineList::kRejected)].duration = kRejectedLingerTime;
  lists_[static_cast<size_t>(DeadlineList::kDeferred)].duration =
      state.settings.max_wait + state.settings.request_timeout;
}

IoThread::~IoThread() {
  // Run() returns only once every connection is gone; connections left by a
  // server that never ran are freed here, before the context they use.
  while (all_ != nullptr) delete all_;
}

void IoThread::Run() {
  ScheduleSweep();
  context_.run();
}

void IoThread::Stop() {
  boost::asio::post(context_, [this] { BeginStop(); });
}

void IoThread::BeginStop() {
  if (stopping_) return;
  stopping_ = true;
  force_close_at_ = SteadyClock::now() + kDrainTimeout;
  for (Connection* connection = all_; connection != nullptr;) {
    Connection* next = connection->all_next_;
    connection->Stop();
    connection = next;
  }
  if (connections_ == 0) sweep_timer_.cancel();
}

void IoThread::Adopt(boost::asio::ip::tcp::socket socket, bool admitted) {
  if (stopping_) {
    // Accepted an instant before the stop: closing it at once is what a
    // client connecting after the stop would see.
    (admitted ? state_.open : state_.rejecting).fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Add(NewConnection(*this, state_, std::move(socket), admitted));
}

void IoThread::Add(Connection* connection) {
  connection->all_next_ = all_;
  if (all_ != nullptr) all_->all_prev_ = connection;
  all_ = connection;
  ++connections_;
  connection->Start();
}

void IoThread::Forget(Connection* connection) {
  Unlink(connection);
  if (connection->all_prev_ != nullptr) {
    connection->all_prev_->all_next_ = connection->all_next_;
  } else {
    all_ = connection->all_next_;
  }
  if (connection->all_next_ != nullptr) connection->all_next_->all_prev_ = connection->all_prev_;
  --connections_;
  if (stopping_ && connections_ == 0) sweep_timer_.cancel();
}

void IoThread::Arm(Connection* connection, DeadlineList list, SteadyClock::time_point now) {
  Unlink(connection);
  List& to = lists_[static_cast<size_t>(list)];
  connection->list_ = list;
  connection->due_ = now + to.duration;
  connection->deadline_prev_ = to.tail;
  connection->deadline_next_ = nullptr;
  if (to.tail != nullptr) {
    to.tail->deadline_next_ = connection;
  } else {
    to.head = connection;
  }
  to.tail = connection;
}

void IoThread::Disarm(Connection* connection) { Unlink(connection); }

void IoThread::Unlink(Connection* connection) {
  if (connection->list_ == DeadlineList::kNone) return;
  List& from = lists_[static_cast<size_t>(connection->list_)];
  if (connection->deadline_prev_ != nullptr) {
    connection->deadline_prev_->deadline_next_ = connection->deadline_next_;
  } else {
    from.head = connection->deadline_next_;
  }
  if (connection->deadline_next_ != nullptr) {
    connection->deadline_next_->deadline_prev_ = connection->deadline_prev_;
  } else {
    from.tail = connection->deadline_prev_;
  }
  connection->deadline_prev_ = connection->deadline_next_ = nullptr;
  connection->list_ = DeadlineList::kNone;
}

void IoThread::ScheduleSweep() {
  if (stopping_ && connections_ == 0) return;
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;  // cancelled: stopped with nothing left
    Sweep();
    ScheduleSweep();
  });
}

void IoThread::Sweep() {
  const SteadyClock::time_point now = SteadyClock::now();
  for (List& list : lists_) {
    while (list.head != nullptr && list.head->due_ <= now) {
      Connection* due = list.head;
      Unlink(due);
      due->Expire();
    }
  }
  if (stopping_ && now >= force_close_at_) {
    for (Connection* connection = all_; connection != nullptr;) {
      Connection* next = connection->all_next_;
      connection->Expire();
      connection = next;
    }
  }
}

}  // namespace slotd::api
