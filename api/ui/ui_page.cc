#include "api/ui/ui_page.h"

#include <cstdint>
#include <string>
#include <vector>

#include "api/ui/embedded_files.h"

namespace slotd::api {
namespace {

constexpr std::string_view kIndex = "index.html";

struct ServedFile {
  std::string_view name;
  std::string_view content_type;
  std::string_view bytes;
  std::string etag;     // W/"<FNV-1a 64 of the bytes, hex>"
  std::string headers;  // UiAnswer::headers
};

std::string_view ContentTypeOf(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// The files change only with the binary, so a hash of the bytes is a
// validator that stays right across restarts. Weak: the transport may gzip
// the body, and a strong tag would have to differ per coding.
std::string WeakEtag(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3;
  }
  constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "W/\"";
  for (int shift = 60; shift >= 0; shift -= 4) tag.push_back(kHex[(hash >> shift) & 0xf]);
  tag.push_back('"');
  return tag;
}

const std::vector<ServedFile>& ServedFiles() {
  static const std::vector<ServedFile> files = [] {
    std::vector<ServedFile> out;
    for (const EmbeddedFile& file : EmbeddedUiFiles()) {
      ServedFile served{file.name, ContentTypeOf(file.name), file.bytes, WeakEtag(file.bytes), ""};
      served.headers = "Cache-Control: no-cache\r\nETag: " + served.etag +
                       "\r\nContent-Security-Policy: " + std::string(kUiContentSecurityPolicy) +
                       "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";
      out.push_back(std::move(served));
    }
    return out;
  }();
  return files;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// If-None-Match: "*" or a comma-separated list of entity tags, each compared
// without its W/ prefix. An entity tag holds no comma (RFC 9110 8.8.3), so
// splitting on commas is exact.
bool MatchesEtag(std::string_view if_none_match, std::string_view weak_etag) {
  const std::string_view opaque = weak_etag.substr(2);
  while (true) {
    const size_t comma = if_none_match.find(',');
    std::string_view tag = TrimSpaces(if_none_match.substr(0, comma));
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == opaque) return true;
    if (comma == std::string_view::npos) return false;
    if_none_match.remove_prefix(comma + 1);
  }
}

}  // namespace

bool IsUiPath(std::string_view path) {
  return path == "/" || path == "/ui" || path.starts_with("/ui/");
}

UiAnswer AnswerUi(std::string_view path, std::string_view if_none_match) {
  std::string_view name;
  if (path == "/" || path == "/ui" || path == "/ui/") {
    name = kIndex;
  } else if (path.starts_with("/ui/")) {
    name = path.substr(4);
  } else {
    return {};
  }
  for (const ServedFile& file : ServedFiles()) {
    if (file.name != name) continue;
    if (!if_none_match.empty() && MatchesEtag(if_none_match, file.etag)) {
      return {304, {}, {}, file.headers};
    }
    return {200, file.content_type, file.bytes, file.headers};
  }
  return {};
}

}  // namespace slotd::api
