// Fuzzes routing and the request parts around it: the method, the raw target
// (path and query string, percent-decoded as cpp-httplib decodes them), the
// x-prefect-api-version, Authorization, Content-Type and Host headers, and a
// body.
//
// Input: newline-separated fields
// "METHOD\nTARGET\nAPI-VERSION\nAUTHORIZATION\nCONTENT-TYPE\nHOST\nBODY"; the
// body is everything after the sixth newline, missing fields are empty. A
// Content-Type field of "-" stands for no Content-Type header.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/http/basic_auth.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

std::string_view NextField(std::string_view* rest) {
  const size_t newline = rest->find('\n');
  const std::string_view field = rest->substr(0, newline);
  rest->remove_prefix(newline == std::string_view::npos ? rest->size() : newline + 1);
  return field;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded (a malformed escape stays as it is), as httplib does
// for the path and the query parameters; '+' is a space in the query.
std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
    if (text[i] == '%' && high >= 0 && low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += plus_is_space && text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

// The first `client` parameter of a query string, decoded.
std::optional<std::string> ClientParam(std::string_view query) {
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    const size_t equals = pair.find('=');
    if (PercentDecode(pair.substr(0, equals), true) != "client") continue;
    return equals == std::string_view::npos ? std::string()
                                            : PercentDecode(pair.substr(equals + 1), true);
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view method = NextField(&rest);
  const std::string_view target = NextField(&rest);
  const std::string_view api_version = NextField(&rest);
  const std::string_view authorization = NextField(&rest);
  const std::string_view content_type = NextField(&rest);
  const std::string_view host = NextField(&rest);

  const size_t question = target.find('?');
  const std::string path = PercentDecode(target.substr(0, question), false);
  const std::optional<std::string> client =
      question == std::string_view::npos ? std::nullopt : ClientParam(target.substr(question + 1));

  // The auth checks run on every request before routing when auth is on.
  slotd::api::IsAuthExempt(method, target);
  slotd::api::IsAuthorized(authorization, "admin:pass");

  slotd::api::ApiRequest request;
  request.method = method;
  request.path = path;
  if (question != std::string_view::npos) request.raw_query = target.substr(question + 1);
  request.body = rest;
  if (content_type != "-") request.content_type = content_type;
  request.host_header = host;
  request.server_address = "127.0.0.1";
  request.server_port = 4200;
  request.api_version_header = api_version;
  if (client) request.csrf_client = *client;
  slotd::fuzz::FuzzServer::Get().Call(request);
  return 0;
}
