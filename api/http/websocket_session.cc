#include "api/http/websocket_session.h"

#include <simdjson.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <sstream>
#include <string>
#include <utility>

#include "api/http/basic_auth.h"
#include "api/prefect/request_parsing_events.h"

namespace slotd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using boost::system::error_code;

constexpr std::string_view kSubprotocol = "prefect";
// What uvicorn answers when Prefect closes a websocket before accepting it.
constexpr std::string_view kForbidden =
    "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);

bool OffersSubprotocol(const http::request<http::string_body>& request) {
  auto [first, last] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto it = first; it != last; ++it) {
    std::string_view list = it->value();
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item == kSubprotocol) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

// What the first message of the "prefect" subprotocol decides.
struct AuthOutcome {
  bool ok = false;
  websocket::close_reason close;
};

// Prefect's accept_prefect_socket: {"type": "auth", "token": ...}, the token
// checked when an auth string is set.
AuthOutcome CheckAuthMessage(std::string_view text, const std::string* auth_string) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  // Not JSON, or not an object: Prefect's handler raises (1011).
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS ||
      root.type() != simdjson::dom::element_type::OBJECT) {
    return {false, websocket::close_reason(websocket::close_code::internal_error)};
  }
  std::string_view type;
  if (root["type"].get_string().get(type) != simdjson::SUCCESS || type != "auth") {
    return {false, websocket::close_reason(websocket::close_code::policy_error,
                                           "Expected 'auth' message")};
  }
  if (auth_string == nullptr) return {true, {}};
  simdjson::dom::element token;
  const bool given = root["token"].get(token) == simdjson::SUCCESS;
  std::string_view text_token;
  const bool is_text = given && token.get_string().get(text_token) == simdjson::SUCCESS;
  // Python's "not token": absent, null, false, 0, "" and empty containers.
  const bool falsy = !given || token.is_null() || (is_text && text_token.empty()) ||
                     (token.is_bool() && !token.get_bool().value_unsafe()) ||
                     (token.is_int64() && token.get_int64().value_unsafe() == 0);
  if (falsy) {
    return {false, websocket::close_reason(websocket::close_code::policy_error,
                                           "Auth required but no token provided")};
  }
  if (!is_text) return {false, websocket::close_reason(websocket::close_code::internal_error)};
  if (!ConstantTimeEquals(text_token, *auth_string)) {
    return {false, websocket::close_reason(websocket::close_code::policy_error, "Invalid token")};
  }
  return {true, {}};
}

template <class Next>
class EventsSession final : public Connection {
 public:
  EventsSession(IoThread& thread, ServerState& state, Next&& next, const RequestReader& reader,
                std::string_view buffered)
      : thread_(thread),
        state_(state),
        ws_(std::move(next)),
        request_(reader.message()),
        buffered_(buffered),
        subprotocol_(OffersSubprotocol(request_)) {}

  ~EventsSession() override {
    thread_.Forget(this);
    ReleasePlace();
  }

  void Start() override;
  void Expire() override { Close(); }
  void Stop() override;

 private:
  void Refuse();
  void OnAccepted(const error_code& error);
  void Read();
  void OnRead(const error_code& error);
  void Take(std::string_view text);
  void Send(std::string text);
  void CloseWith(websocket::close_reason reason);
  void Close();
  void ReleasePlace() {
    if (std::exchange(counted_, false)) state_.open.fetch_sub(1, std::memory_order_relaxed);
  }
  void DeleteIfDone() {
    if (!reading_ && !writing_) delete this;
  }

  IoThread& thread_;
  ServerState& state_;
  websocket::stream<Next> ws_;
  http::request<http::string_body> request_;
  std::string buffered_;  // received after the upgrade request
  const bool subprotocol_;
  bool authenticated_ = false;
  beast::flat_buffer buffer_;
  std::string out_;
  bool counted_ = true;  // holds the place under the cap its connection held
  bool reading_ = false;
  bool writing_ = false;  // accept, a message, the 403 or the close
  bool accepted_ = false;
  bool closing_ = false;  // a close frame was (or is being) sent
  bool stop_pending_ = false;
  bool closed_ = false;
};

template <class Next>
void EventsSession<Next>::Start() {
  thread_.Disarm(this);
  const std::string* auth = state_.reader.auth_string;
  if (auth != nullptr && !subprotocol_) return Refuse();
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = kHandshakeTimeout;
  timeout.idle_timeout = kIdleTimeout;
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.read_message_max(state_.settings.max_body_bytes);
  if (subprotocol_) {
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
      response.set(http::field::sec_websocket_protocol, kSubprotocol);
    }));
  }
  writing_ = true;
  auto done = [this](const error_code& error) { OnAccepted(error); };
  if (buffered_.empty()) {
    ws_.async_accept(request_, done);
  } else {
    // Beast reads the request again, and keeps what follows it for the frames.
    std::ostringstream head;
    head << request_.base();
    buffered_.insert(0, head.str());
    ws_.async_accept(asio::buffer(buffered_), done);
  }
}

template <class Next>
void EventsSession<Next>::Refuse() {
  writing_ = true;
  asio::async_write(ws_.next_layer(), asio::buffer(kForbidden), [this](const error_code&, size_t) {
    writing_ = false;
    Close();
  });
}

template <class Next>
void EventsSession<Next>::OnAccepted(const error_code& error) {
  writing_ = false;
  std::string().swap(buffered_);
  if (closed_) return DeleteIfDone();
  if (error) return Close();  // Beast answered a bad upgrade itself
  accepted_ = true;
  authenticated_ = !subprotocol_;
  if (stop_pending_) return CloseWith(websocket::close_code::going_away);
  Read();
}

template <class Next>
void EventsSession<Next>::Read() {
  reading_ = true;
  ws_.async_read(buffer_, [this](const error_code& error, size_t) { OnRead(error); });
}

template <class Next>
void EventsSession<Next>::OnRead(const error_code& error) {
  reading_ = false;
  if (closed_) return DeleteIfDone();
  // The peer closed, or broke the protocol (Beast sent the close code), or
  // went silent: nothing more to read.
  if (error) return closing_ ? DeleteIfDone() : Close();
  if (closing_) return;
  if (!ws_.got_text()) return CloseWith(websocket::close_code::unknown_data);
  const std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (buffer_.capacity() > 64 * 1024) buffer_ = beast::flat_buffer();
  Take(text);
}

template <class Next>
void EventsSession<Next>::Take(std::string_view text) {
  if (!authenticated_) {
    const AuthOutcome outcome = CheckAuthMessage(text, state_.reader.auth_string);
    if (!outcome.ok) return CloseWith(outcome.close);
    authenticated_ = true;
    return Send(R"({"type":"auth_success"})");
  }
  EventRing::Entry event = ParseEventText(text, state_.context.engine->Now());
  if (!event) return CloseWith(websocket::close_code::internal_error);
  std::vector<EventRing::Entry> one;
  one.push_back(std::move(event));
  state_.context.events->Append(std::move(one));
  Read();
}

template <class Next>
void EventsSession<Next>::Send(std::string text) {
  out_ = std::move(text);
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(out_), [this](const error_code& error, size_t) {
    writing_ = false;
    if (closed_) return DeleteIfDone();
    if (error) return Close();
    if (stop_pending_) return CloseWith(websocket::close_code::going_away);
    Read();
  });
}

// Sends the close frame; Beast then reads until the client's (or the
// timeout) and closes the socket.
template <class Next>
void EventsSession<Next>::CloseWith(websocket::close_reason reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  writing_ = true;
  ws_.async_close(reason, [this](const error_code&) {
    writing_ = false;
    Close();
  });
}

template <class Next>
void EventsSession<Next>::Stop() {
  if (closed_ || closing_) return;
  if (!accepted_ || writing_) {
    // Accepting (or answering the auth): the close follows, or the socket
    // closes now when the handshake has not begun to be answered.
    if (!accepted_) return Close();
    stop_pending_ = true;
    return;
  }
  CloseWith(websocket::close_code::going_away);
}

template <class Next>
void EventsSession<Next>::Close() {
  if (!closed_) {
    closed_ = true;
    ReleasePlace();
    error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
  }
  DeleteIfDone();
}

template <class Next>
void Start(IoThread& thread, ServerState& state, Next&& stream, const RequestReader& reader,
           std::string_view buffered) {
  thread.Add(new EventsSession<Next>(thread, state, std::move(stream), reader, buffered));
}

}  // namespace

bool IsEventsUpgrade(const RequestReader& reader) {
  return reader.is_websocket_upgrade() && reader.request().path == kEventsSocketPath &&
         reader.request().body.empty();
}

void StartEventsSession(IoThread& thread, ServerState& state, tcp::socket&& stream,
                        const RequestReader& reader, std::string_view buffered) {
  Start(thread, state, std::move(stream), reader, buffered);
}

void StartEventsSession(IoThread& thread, ServerState& state,
                        asio::ssl::stream<tcp::socket>&& stream, const RequestReader& reader,
                        std::string_view buffered) {
  Start(thread, state, std::move(stream), reader, buffered);
}

}  // namespace slotd::api
