// The Location of a trailing-slash redirect, built as Starlette builds it
// (URL(scope=...) then RedirectResponse's quote), so slotd's 307 points where
// Prefect's would.
#pragma once

#include <string>
#include <string_view>

#include "api/prefect/context.h"

namespace slotd::api {

// "<scheme>://<host><path>[?<query>]", percent-encoded as Python's
// quote(url, safe=":/%#?=@[]!$&'()*+,;") does. The host is the request's Host
// header when it is a valid host[:port] (kept as sent), else the server's
// address, without the port when it is the scheme's default. `path` is
// percent-decoded (RouteMatch::redirect_path): its '?', '#' and '\' are
// escaped first, and bytes that are not UTF-8 become U+FFFD, as they do in
// Starlette's decoded path. The raw query is kept as sent.
std::string RedirectLocation(const ApiRequest& request, std::string_view path);

// Whether `host` is a Host header Starlette takes as the URL's authority:
// a registered name or IP literal, and a port, if any, up to 65535.
bool IsUsableHostHeader(std::string_view host);

}  // namespace slotd::api
