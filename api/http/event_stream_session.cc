#include "api/http/event_stream_session.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace slotd::api {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using TlsStream = asio::ssl::stream<tcp::socket>;

constexpr std::string_view kHead =
    "HTTP/1.1 200 OK\r\n"
    "content-type: text/event-stream\r\n"
    "cache-control: no-cache\r\n"
    "connection: close\r\n"
    "\r\n";
constexpr std::string_view kKeepalive = ": keepalive\n\n";

// What the feed holds of a session: it posts the wake-up to the session's
// thread, at most one at a time. The session is gone when on_wake is empty
// (both are touched only on that thread).
class Waker final : public ChangeFeed::Reader, public std::enable_shared_from_this<Waker> {
 public:
  explicit Waker(asio::io_context& context) : context_(context) {}

  void Wake() override {
    if (posted_.exchange(true, std::memory_order_acq_rel)) return;
    asio::post(context_, [self = shared_from_this()] {
      self->posted_.store(false, std::memory_order_release);
      if (self->on_wake) self->on_wake();
    });
  }

  std::function<void()> on_wake;

 private:
  asio::io_context& context_;
  std::atomic<bool> posted_{false};
};

template <class Stream>
class EventStreamSession final : public Connection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  EventStreamSession(IoThread& thread, ServerState& state, Stream&& stream,
                     std::optional<uint64_t> last_event_id)
      : thread_(thread),
        state_(state),
        feed_(*state.context.change_feed),
        stream_(std::move(stream)),
        last_event_id_(last_event_id),
        keepalive_(thread.context()),
        waker_(std::make_shared<Waker>(thread.context())) {}

  ~EventStreamSession() override {
    thread_.Forget(this);
    ReleasePlace();
  }

  void Start() override;
  void Expire() override { Close(); }
  void Stop() override;

 private:
  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void OnWake();
  bool Pull();
  void Write();
  void OnWritten(const error_code& error);
  void Read();
  void ArmKeepalive();
  void Finish();
  void Close();
  void ReleasePlace() {
    if (std::exchange(counted_, false)) state_.open.fetch_sub(1, std::memory_order_relaxed);
  }
  void DeleteIfDone() {
    if (!reading_ && !writing_ && !timing_ && !shutting_down_) delete this;
  }

  IoThread& thread_;
  ServerState& state_;
  ChangeFeed& feed_;
  Stream stream_;
  const std::optional<uint64_t> last_event_id_;
  asio::steady_timer keepalive_;
  std::shared_ptr<Waker> waker_;
  uint64_t cursor_ = 0;          // the next event to send
  uint64_t bytes_at_write_ = 0;  // the feed's BytesAppended when the write began
  SteadyClock::time_point last_sent_;
  std::string out_;  // being written
  bool counted_ = true;
  bool subscribed_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool timing_ = false;
  bool shutting_down_ = false;
  bool stopping_ = false;
  bool closed_ = false;
};

template <class Stream>
void EventStreamSession<Stream>::Start() {
  thread_.Disarm(this);
  waker_->on_wake = [this] { OnWake(); };
  const ChangeFeed::Start start = feed_.Subscribe(waker_, last_event_id_);
  subscribed_ = true;
  cursor_ = start.cursor;
  last_sent_ = SteadyClock::now();
  out_ = kHead;
  if (start.reset) {
    out_ += ChangeFeed::ResetText(start.reset_id,
                                  last_event_id_ && *last_event_id_ > start.reset_id
                                      ? "Last-Event-ID is newer than every event"
                                      : "the events after Last-Event-ID are no longer kept");
  }
  if (!Pull()) return;
  Write();
  Read();
  ArmKeepalive();
}

// Appends the events the client has not yet been given; false (the client
// closed) if the ring no longer has them.
template <class Stream>
bool EventStreamSession<Stream>::Pull() {
  if (feed_.ReadFrom(&cursor_, kStreamChunkBytes, &out_) == ChangeFeed::ReadOutcome::kOk) {
    return true;
  }
  Close();
  return false;
}

template <class Stream>
void EventStreamSession<Stream>::OnWake() {
  if (closed_ || stopping_) return;
  if (writing_) {
    // The client has not taken the last write while these came: too slow.
    if (feed_.BytesAppended() - bytes_at_write_ > kStreamMaxQueuedBytes) Close();
    return;
  }
  if (Pull() && !out_.empty()) Write();
}

template <class Stream>
void EventStreamSession<Stream>::Write() {
  writing_ = true;
  bytes_at_write_ = feed_.BytesAppended();
  asio::async_write(stream_, asio::buffer(out_),
                    [this](const error_code& error, size_t) { OnWritten(error); });
}

template <class Stream>
void EventStreamSession<Stream>::OnWritten(const error_code& error) {
  writing_ = false;
  if (closed_) return DeleteIfDone();
  if (error) return Close();
  last_sent_ = SteadyClock::now();
  if (out_.capacity() > 2 * kStreamChunkBytes) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
  if (stopping_) return Finish();
  if (Pull() && !out_.empty()) Write();
}

// Reads only to see the client close; what it sends is thrown away.
template <class Stream>
void EventStreamSession<Stream>::Read() {
  reading_ = true;
  auto done = [this](const error_code& error, size_t) {
    reading_ = false;
    if (closed_) return DeleteIfDone();
    if (error) return Close();
    Read();
  };
  // Bytes only thrown away may share the thread's one scratch buffer.
  stream_.async_read_some(asio::buffer(thread_.scratch(), thread_.scratch_size()), done);
}

// Due 15 s after the last write completed; a write still pending (the
// client not reading) puts it off by as much again.
template <class Stream>
void EventStreamSession<Stream>::ArmKeepalive() {
  timing_ = true;
  keepalive_.expires_at(last_sent_ + kStreamKeepalive);
  keepalive_.async_wait([this](const error_code&) {
    timing_ = false;
    if (closed_) return DeleteIfDone();
    if (stopping_) return;
    const SteadyClock::time_point now = SteadyClock::now();
    if (now - last_sent_ >= kStreamKeepalive) {
      if (!writing_) {
        out_ = kKeepalive;
        Write();
      }
      last_sent_ = now;
    }
    ArmKeepalive();
  });
}

template <class Stream>
void EventStreamSession<Stream>::Stop() {
  if (closed_ || stopping_) return;
  stopping_ = true;
  error_code ignored;
  keepalive_.cancel(ignored);
  if (!writing_) Finish();
}

// The end of the stream: the client reads it as the end of the body.
template <class Stream>
void EventStreamSession<Stream>::Finish() {
  if constexpr (kTls) {
    shutting_down_ = true;
    stream_.async_shutdown([this](const error_code&) {
      shutting_down_ = false;
      Close();
    });
  } else {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    Close();
  }
}

template <class Stream>
void EventStreamSession<Stream>::Close() {
  if (!closed_) {
    closed_ = true;
    if (subscribed_) feed_.Unsubscribe(waker_.get());
    waker_->on_wake = nullptr;
    ReleasePlace();
    error_code ignored;
    keepalive_.cancel(ignored);
    socket().close(ignored);
  }
  DeleteIfDone();
}

template <class Stream>
void Start(IoThread& thread, ServerState& state, Stream&& stream,
           std::optional<uint64_t> last_event_id) {
  thread.Add(new EventStreamSession<Stream>(thread, state, std::move(stream), last_event_id));
}

}  // namespace

void StartEventStream(IoThread& thread, ServerState& state, tcp::socket&& stream,
                      std::optional<uint64_t> last_event_id) {
  Start(thread, state, std::move(stream), last_event_id);
}

void StartEventStream(IoThread& thread, ServerState& state, TlsStream&& stream,
                      std::optional<uint64_t> last_event_id) {
  Start(thread, state, std::move(stream), last_event_id);
}

}  // namespace slotd::api
