// Prefect's optional HTTP Basic authentication (PREFECT_SERVER_API_AUTH_STRING).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slotd::api {

// Whether a request needs no credentials: GET of exactly /api/health or
// /api/ready, compared on the raw request target (before any query string),
// so no encoding, trailing slash or dot segment reaches them.
bool IsAuthExempt(std::string_view method, std::string_view raw_target);

// Whether `authorization` (the Authorization header, empty if absent) is
// "Basic <base64 of auth_string>", read as Prefect reads it: two
// whitespace-separated words, the scheme exactly "Basic", base64 decoded
// leniently (characters outside the alphabet skipped) but with correct
// padding, and valid UTF-8. The credentials are compared in time that does
// not depend on where they differ.
bool IsAuthorized(std::string_view authorization, std::string_view auth_string);

// Whether `given` equals `expected`, in time that depends only on their
// lengths.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// The auth string stored in the file at `path` (--auth-string-file), so the
// secret need not sit in the environment: the whole file, less one trailing
// "\n" or "\r\n". Nullopt, with *error saying why, if the file cannot be
// read or holds nothing.
std::optional<std::string> ReadAuthStringFile(const std::string& path, std::string* error);

}  // namespace slotd::api
