#include "api/http/connection.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "api/http/event_stream_session.h"
#include "api/http/request_reader.h"
#include "api/http/response_writer.h"
#include "api/http/websocket_session.h"
#include "api/prefect/dispatch.h"
#include "api/prefect/responses.h"

namespace slotd::api {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using TlsStream = asio::ssl::stream<tcp::socket>;

// The read buffer starts small (an idle connection holds little) and grows,
// while a head or a chunk line is incomplete, up to the largest head the
// reader accepts plus room for the next read.
constexpr size_t kInitialBuffer = 2048;
constexpr size_t kReadRoom = 4096;
constexpr size_t kMinRead = 512;
// A write's output string is released rather than kept when it grew past
// this (a large answer), so an idle connection does not hold it.
constexpr size_t kKeptOutput = 2 * kOutputWindow;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

template <class Stream>
class HttpConnection final : public Connection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  HttpConnection(IoThread& thread, ServerState& state, tcp::socket socket, bool admitted)
      : thread_(thread),
        state_(state),
        stream_(MakeStream(std::move(socket), state)),
        reader_(&state.reader),
        admitted_(admitted),
        deferral_([this](ApiResponse answer, Undo undo) {
          // From any thread: the answer is handled on the connection's own.
          asio::post(thread_.context(),
                     [this, answer = std::move(answer), undo = std::move(undo)]() mutable {
                       OnLateAnswer(std::move(answer), std::move(undo));
                     });
        }) {}

  ~HttpConnection() override {
    thread_.Forget(this);
    ReleasePlace();
  }

  void Start() override;
  void Expire() override { Close(); }
  void Stop() override;

 private:
  static Stream MakeStream(tcp::socket socket, ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return socket;
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void Handshake();
  void Read();
  void ReadSome();
  void WatchWhileDeferred();
  void OnLateAnswer(ApiResponse answer, Undo undo);
  void DeliverLate(const ApiResponse& answer, Undo undo);
  void GiveBackUnwritten();
  bool PeerClosed() {
    char byte = 0;
    const ssize_t n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  void Reply(const ApiResponse& answer);
  void OnRead(const error_code& error, size_t bytes);
  void Process();
  bool Answer();
  void HandOff();
  void StreamEvents(const ApiResponse& answer);
  void Refuse();
  void Log(const ApiResponse& answer);
  void Write();
  void OnWritten(const error_code& error);
  void Linger(DeadlineList list);
  void BeginLingering();
  void Drain();
  bool MakeRoom();
  void Close();
  // Gives back the connection's place under the cap (or among those being
  // answered 503), once: when its socket closes, not when its last aborted
  // operation has completed, so a client that sees the close can reconnect.
  void ReleasePlace() {
    if (std::exchange(counted_, false)) {
      (admitted_ ? state_.open : state_.rejecting).fetch_sub(1, std::memory_order_relaxed);
    }
  }
  // Deletes the connection once it is closed and no operation is pending.
  void DeleteIfDone() {
    if (!reading_ && !writing_ && !handshaking_ && !shutting_down_ && !deferred_) delete this;
  }

  IoThread& thread_;
  ServerState& state_;
  Stream stream_;
  RequestReader reader_;
  const bool admitted_;
  bool counted_ = true;  // holds its place in state_.open or state_.rejecting

  // The bytes received and not yet consumed by the reader: [begin_, end_).
  std::unique_ptr<char[]> in_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  // Answers formatted and not yet written, and how many requests they answer.
  std::string out_;
  int answers_ = 0;

  // When the request being read began (its deadline and access log time).
  SteadyClock::time_point request_start_;
  SteadyClock::time_point last_read_;
  bool in_request_ = false;  // on the request deadline rather than the idle one
  bool filled_ = false;      // the last read filled the buffer
  bool reading_ = false;
  bool writing_ = false;
  bool handshaking_ = false;
  bool shutting_down_ = false;  // TLS close_notify being exchanged
  bool closing_ = false;        // close (lingering) once out_ is written
  bool lingering_ = false;
  bool closed_ = false;

  // A deferred answer (api/prefect/deferred.h): the request waits (for a
  // slot) and its answer comes later through deferral_, posted to this
  // thread. Meanwhile nothing after it is parsed, so answers stay in order;
  // bytes that arrive are kept, and reading goes on only to see the client
  // close, which stops the wait. The connection is on the kDeferred
  // deadline, and is not deleted while an answer may still come.
  Deferral deferral_;
  bool deferred_ = false;
  // A late answer that came while earlier answers were being written.
  std::optional<std::pair<ApiResponse, Undo>> late_;
  // How to give back what the answers being written grant, should the
  // write fail.
  std::vector<Undo> unwritten_;
};

template <class Stream>
void HttpConnection<Stream>::Start() {
  error_code ignored;
  socket().set_option(tcp::no_delay(true), ignored);
  if (!admitted_) {
    if constexpr (kTls) {
      // The 503 goes inside TLS, so a client over the cap reads it as it
      // reads any answer; the handshake is bounded by the drain time.
      thread_.Arm(this, DeadlineList::kLinger);
      Handshake();
    } else {
      out_ = TooManyConnectionsAnswer();
      closing_ = true;
      Write();
    }
    return;
  }
  if constexpr (kTls) {
    thread_.Arm(this, DeadlineList::kRequest);
    Handshake();
  } else {
    thread_.Arm(this, DeadlineList::kIdle);
    Read();
  }
}

template <class Stream>
void HttpConnection<Stream>::Handshake() {
  if constexpr (kTls) {
    handshaking_ = true;
    stream_.async_handshake(asio::ssl::stream_base::server, [this](const error_code& error) {
      handshaking_ = false;
      if (closed_) return DeleteIfDone();
      if (error) return Close();
      if (!admitted_) {
        out_ = TooManyConnectionsAnswer();
        closing_ = true;
        return Write();
      }
      thread_.Arm(this, DeadlineList::kIdle);
      Read();
    });
  }
}

template <class Stream>
void HttpConnection<Stream>::Stop() {
  if (closed_) return;
  if (deferred_ || (writing_ && admitted_)) {
    closing_ = true;  // the answer being written completes, then a short drain
    return;
  }
  Close();
}

// Makes room at the end of the buffer for a read: moves the unconsumed
// bytes to the front, or grows the buffer when it is nearly full or the last
// read filled it (a body arriving faster than small reads take it). False
// when the buffer is at its bound and full, which the reader's bounds rule
// out.
template <class Stream>
bool HttpConnection<Stream>::MakeRoom() {
  if (begin_ == end_) begin_ = end_ = 0;
  const size_t bound = state_.reader.max_head_bytes + kReadRoom;
  if (capacity_ - end_ >= kMinRead && !(filled_ && capacity_ < bound)) return true;
  if (begin_ > 0) {
    std::memmove(in_.get(), in_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (capacity_ - end_ >= kMinRead && !filled_) return true;
  }
  if (capacity_ >= bound) return end_ < capacity_;
  const size_t grown = capacity_ == 0 ? kInitialBuffer : std::min(capacity_ * 2, bound);
  auto bigger = std::make_unique<char[]>(grown);
  if (end_ > 0) std::memcpy(bigger.get(), in_.get(), end_);
  in_ = std::move(bigger);
  capacity_ = grown;
  return true;
}

template <class Stream>
void HttpConnection<Stream>::Read() {
  if (!MakeRoom()) return Close();
  ReadSome();
}

template <class Stream>
void HttpConnection<Stream>::ReadSome() {
  reading_ = true;
  filled_ = false;
  stream_.async_read_some(asio::buffer(in_.get() + end_, capacity_ - end_),
                          [this](const error_code& error, size_t bytes) { OnRead(error, bytes); });
}

template <class Stream>
void HttpConnection<Stream>::OnRead(const error_code& error, size_t bytes) {
  reading_ = false;
  if (closed_) return DeleteIfDone();
  // The client closed or the connection failed; a request it had begun can
  // no longer be answered.
  if (error) return Close();
  if (lingering_) return BeginLingering();
  last_read_ = SteadyClock::now();
  if (!in_request_) {
    in_request_ = true;
    request_start_ = last_read_;
    thread_.Arm(this, DeadlineList::kRequest, last_read_);
  }
  filled_ = end_ + bytes == capacity_;
  end_ += bytes;
  if (deferred_) return WatchWhileDeferred();
  if (writing_) return;  // read while a deferred answer waited: parsed once written
  Process();
}

// Keeps a read pending while an answer is deferred, to see the client close
// (EOF or reset); the bytes it brings wait for their turn. Stops when the
// buffer is full, leaving it to the deadline.
template <class Stream>
void HttpConnection<Stream>::WatchWhileDeferred() {
  if (!reading_ && MakeRoom()) ReadSome();
}

template <class Stream>
void HttpConnection<Stream>::Process() {
  while (!closing_ && !deferred_ && out_.size() < kOutputWindow && begin_ != end_) {
    size_t consumed = 0;
    const RequestReader::Step step =
        reader_.Put(std::string_view(in_.get() + begin_, end_ - begin_), &consumed);
    begin_ += consumed;
    if (step == RequestReader::Step::kNeedMore) break;
    switch (step) {
      case RequestReader::Step::kContinue:
        out_ += kContinue;
        break;
      case RequestReader::Step::kRequest:
        // The events websocket takes the socket over (once the answers
        // before it are written, and no read is pending on it); this
        // connection is then gone.
        if (out_.empty() && !reading_ && !thread_.stopping() && IsEventsUpgrade(reader_)) {
          return HandOff();
        }
        if (Answer()) return;  // the connection is an event stream now
        if (deferred_) break;
        reader_.Next();
        request_start_ = last_read_;  // the next pipelined request, if any
        break;
      case RequestReader::Step::kRefuse:
        Refuse();
        break;
      case RequestReader::Step::kNeedMore:
        break;
    }
  }
  if (!out_.empty()) return Write();
  if (deferred_) return WatchWhileDeferred();
  if (!reading_) Read();
}

// Answers the request read; true if the connection was handed to an event
// stream (and is gone).
template <class Stream>
bool HttpConnection<Stream>::Answer() {
  ApiResponse answer;
  try {
    Dispatch(state_.context, reader_.request(), &answer, &deferral_);
  } catch (const std::exception&) {
    answer = ApiResponse();
    RespondDetail(&answer, 500, "Internal Server Error");
  }
  if (deferral_.deferred()) {
    deferred_ = true;
    thread_.AddInFlight(1);
    thread_.Arm(this, DeadlineList::kDeferred);
    return false;
  }
  if (answer.event_stream && !reader_.is_head()) {
    // The stream takes the socket over, which needs it free: no answer
    // before it still to write and no read pending (only a pipelined
    // request behind a write can find it otherwise).
    if (out_.empty() && !reading_ && !thread_.stopping()) {
      StreamEvents(answer);
      return true;
    }
    answer = ApiResponse();
    RespondDetail(&answer, 503, "The event stream must be the first request on its connection");
    answer.retry_after = "1";
    answer.family = RouteFamily::kSlotd;
  }
  Reply(answer);
  return false;
}

template <class Stream>
void HttpConnection<Stream>::StreamEvents(const ApiResponse& answer) {
  Log(answer);
  closed_ = true;
  counted_ = false;  // the stream holds the place under the cap now
  thread_.Disarm(this);
  StartEventStream(thread_, state_, std::move(stream_), answer.last_event_id);
  DeleteIfDone();
}

template <class Stream>
void HttpConnection<Stream>::Reply(const ApiResponse& answer) {
  // An answer written while stopping closes its connection, and says so.
  const bool close = !reader_.keep_alive() || thread_.stopping();
  Log(answer);
  AppendResponse(
      answer,
      ResponseOptions{
          .head_request = reader_.is_head(), .close = close, .gzip = reader_.accepts_gzip()},
      &out_);
  ++answers_;
  thread_.AddInFlight(1);
  closing_ = close;
}

template <class Stream>
void HttpConnection<Stream>::HandOff() {
  ApiResponse upgrade;
  upgrade.status = 101;
  upgrade.family = RouteFamily::kEvents;
  Log(upgrade);
  closed_ = true;
  counted_ = false;  // the session holds the place under the cap now
  thread_.Disarm(this);
  StartEventsSession(thread_, state_, std::move(stream_), reader_,
                     std::string_view(in_.get() + begin_, end_ - begin_));
  DeleteIfDone();
}

template <class Stream>
void HttpConnection<Stream>::OnLateAnswer(ApiResponse answer, Undo undo) {
  deferred_ = false;
  deferral_.Clear();
  // A client that closed before its answer came, seen before the read that
  // will report it: the grant goes back rather than into a dead socket.
  if (!closed_ && PeerClosed()) Close();
  if (closed_ || writing_) {
    if (closed_) {
      thread_.AddInFlight(-1);
      if (undo) undo();  // the client has gone: the grant goes back at once
      return DeleteIfDone();
    }
    late_.emplace(std::move(answer), std::move(undo));  // after the write
    return;
  }
  DeliverLate(answer, std::move(undo));
  Process();
}

template <class Stream>
void HttpConnection<Stream>::DeliverLate(const ApiResponse& answer, Undo undo) {
  thread_.AddInFlight(-1);
  if (undo) unwritten_.push_back(std::move(undo));
  Reply(answer);
  reader_.Next();
  request_start_ = last_read_;
  thread_.Arm(this, DeadlineList::kRequest);
}

template <class Stream>
void HttpConnection<Stream>::GiveBackUnwritten() {
  for (Undo& undo : unwritten_) undo();
  unwritten_.clear();
  if (late_) {
    thread_.AddInFlight(-1);
    if (late_->second) late_->second();
    late_.reset();
  }
}

template <class Stream>
void HttpConnection<Stream>::Refuse() {
  const ApiResponse& refusal = reader_.refusal();
  // Logged before it is written: a refused request is not in flight, so the
  // server may exit as soon as its client has the answer.
  Log(refusal);
  AppendResponse(refusal, ResponseOptions{.head_request = reader_.is_head(), .close = true}, &out_);
  closing_ = true;
}

template <class Stream>
void HttpConnection<Stream>::Log(const ApiResponse& answer) {
  const int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - request_start_)
          .count();
  state_.context.metrics->RecordRequest(answer.family, answer.status, micros);
  state_.log.Record(reader_.log_method(), reader_.log_target(), answer.status, micros);
}

template <class Stream>
void HttpConnection<Stream>::Write() {
  writing_ = true;
  asio::async_write(stream_, asio::buffer(out_),
                    [this](const error_code& error, size_t) { OnWritten(error); });
}

template <class Stream>
void HttpConnection<Stream>::OnWritten(const error_code& error) {
  writing_ = false;
  const int answered = std::exchange(answers_, 0);
  thread_.AddInFlight(-answered);
  if (closed_ || error) GiveBackUnwritten();
  if (closed_) return DeleteIfDone();
  if (error) return Close();
  unwritten_.clear();
  if (out_.capacity() > kKeptOutput) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
  if (closing_) {
    return Linger(!admitted_ || thread_.stopping() ? DeadlineList::kRejected
                                                   : DeadlineList::kLinger);
  }
  if (late_) {
    std::pair<ApiResponse, Undo> late = std::move(*late_);
    late_.reset();
    DeliverLate(late.first, std::move(late.second));
  } else if (answered > 0 && !deferred_) {
    if (begin_ != end_ || reader_.started()) {
      // The next request began while this one was answered: its deadline
      // starts now.
      request_start_ = SteadyClock::now();
      thread_.Arm(this, DeadlineList::kRequest, request_start_);
    } else {
      in_request_ = false;
      thread_.Arm(this, DeadlineList::kIdle);
      if (capacity_ > kInitialBuffer) {
        in_.reset();
        capacity_ = begin_ = end_ = 0;
      }
    }
  }
  Process();
}

template <class Stream>
void HttpConnection<Stream>::Linger(DeadlineList list) {
  lingering_ = true;
  thread_.Arm(this, list);
  // A read still pending (the one that watched a deferred answer's client)
  // completes first, and OnRead carries on here: never two reads at once.
  if (!reading_) BeginLingering();
}

template <class Stream>
void HttpConnection<Stream>::BeginLingering() {
  if constexpr (kTls) {
    // close_notify, then the client's (or its close, or the deadline).
    shutting_down_ = true;
    stream_.async_shutdown([this](const error_code&) {
      shutting_down_ = false;
      Close();
    });
  } else {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    Drain();
  }
}

template <class Stream>
void HttpConnection<Stream>::Drain() {
  reading_ = true;
  // Bytes only thrown away may share the thread's one scratch buffer.
  socket().async_read_some(asio::buffer(thread_.scratch(), thread_.scratch_size()),
                           [this](const error_code& error, size_t) {
                             reading_ = false;
                             if (closed_) return DeleteIfDone();
                             if (error) return Close();
                             Drain();
                           });
}

// Closes the socket (once) and deletes the connection if no operation is
// pending; each pending one ends with operation_aborted and comes back here
// or to DeleteIfDone, and the last one deletes it.
template <class Stream>
void HttpConnection<Stream>::Close() {
  if (!closed_) {
    closed_ = true;
    thread_.Disarm(this);
    ReleasePlace();
    error_code ignored;
    socket().close(ignored);
    // The client has gone (or its deadline passed): a wait stops; if its
    // answer is already on its way, OnLateAnswer gives the grant back.
    if (deferred_ && deferral_.Cancel()) {
      deferred_ = false;
      deferral_.Clear();
      thread_.AddInFlight(-1);
    }
    if (!writing_) GiveBackUnwritten();
  }
  DeleteIfDone();
}

}  // namespace

const std::string& TooManyConnectionsAnswer() {
  static const std::string answer = [] {
    ApiResponse response;
    RespondDetail(&response, 503, "Too many connections");
    response.retry_after = std::string("1");
    std::string bytes;
    AppendResponse(response, ResponseOptions{.close = true}, &bytes);
    return bytes;
  }();
  return answer;
}

Connection* NewConnection(IoThread& thread, ServerState& state, tcp::socket socket, bool admitted) {
  if (state.tls != nullptr) {
    return new HttpConnection<TlsStream>(thread, state, std::move(socket), admitted);
  }
  return new HttpConnection<tcp::socket>(thread, state, std::move(socket), admitted);
}

}  // namespace slotd::api
